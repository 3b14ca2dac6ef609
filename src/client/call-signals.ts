import type { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import type { NodeHttp2Handler, NodeHttpHandler } from "@smithy/node-http-handler";
import type { Pluggable } from "@smithy/types";

// Why this file exists: the SDK rebuilds and sorts its middleware stack on every `send` — about a
// quarter of its CPU per call against a fast endpoint — unless the client is made with
// `cacheMiddleware: true`, and it uses that cache only for `send(command)` without options. An
// abort signal is a per-call option, so Quarry carries it beside the call instead: the command's
// input (the same object through every middleware step) names the signal, a middleware next to
// the handler hands it to the signed request, and the request handler reads it from there.

const signalByInput = new WeakMap<object, AbortSignal>();
const signalByRequest = new WeakMap<object, AbortSignal>();

/** The command, registered so that `signal` aborts it when sent with `client.send(command)`. */
export function withSignal<C extends { readonly input: object }>(
  command: C,
  signal: AbortSignal | undefined,
): C {
  if (signal) signalByInput.set(command.input, signal);
  return command;
}

const MIDDLEWARE_NAME = "quarryCallSignal";

/** Hands a call's signal from its input to its request, after signing (the innermost step). */
const carryCallSignals: Pluggable<object, object> = {
  applyToStack(stack) {
    stack.add(
      (next) => (args) => {
        const signal = signalByInput.get(args.input);
        const request = (args as { request?: unknown }).request;
        if (signal && request && typeof request === "object") signalByRequest.set(request, signal);
        return next(args);
      },
      { step: "deserialize", priority: "low", name: MIDDLEWARE_NAME, override: true },
    );
  },
};

/** Installs the plugin once on a client whose request handler is a `SignalledHandler`. */
export function installCallSignals(client: BedrockRuntimeClient): void {
  client.middlewareStack.use(carryCallSignals as Parameters<typeof client.middlewareStack.use>[0]);
}

/**
 * The SDK's request handler, given each call's signal (an explicit `abortSignal` option still
 * wins). Everything else is the inner handler's: its metadata tells the SDK which headers the
 * protocol needs (`:authority` for HTTP/2).
 */
export class SignalledHandler {
  readonly inner: NodeHttpHandler | NodeHttp2Handler;

  constructor(inner: NodeHttpHandler | NodeHttp2Handler) {
    this.inner = inner;
  }

  get metadata(): NodeHttpHandler["metadata"] {
    return this.inner.metadata;
  }

  handle(...[request, options = {}]: Parameters<NodeHttp2Handler["handle"]>) {
    const abortSignal = options.abortSignal ?? signalByRequest.get(request);
    return this.inner.handle(
      request,
      abortSignal === options.abortSignal ? options : { ...options, abortSignal },
    );
  }

  updateHttpClientConfig(key: never, value: never): void {
    this.inner.updateHttpClientConfig(key, value);
  }

  httpHandlerConfigs(): object {
    return this.inner.httpHandlerConfigs();
  }

  destroy(): void {
    this.inner.destroy();
  }
}
