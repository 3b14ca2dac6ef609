import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { NodeHttp2Handler, NodeHttpHandler } from "@smithy/node-http-handler";
import { QuarryError } from "../errors/quarry-error.js";
import { ProxyHttpAgent, ProxyHttpsAgent, type ProxySettings, proxyFor } from "./proxy-agent.js";

/**
 * Which HTTP stack carries the requests: `auto` sends unary calls over multiplexed HTTP/2 and
 * event streams over keep-alive HTTP/1.1 (all HTTP/1.1 when a proxy applies); `http1` and
 * `http2` use one stack for everything.
 */
export type HttpProtocol = "auto" | "http1" | "http2";

// Streams per HTTP/2 session before the SDK opens another: below the 100 that servers commonly
// advertise (Node's default too), so calls never queue inside a session.
const STREAMS_PER_SESSION = 100;

/** What the request handler is built from (already validated by `resolveQuarryOptions`). */
export interface RequestHandlerSettings {
  /** See `HttpProtocol`. */
  readonly protocol: HttpProtocol;
  /** Sockets (http1), or streams over all HTTP/2 sessions: at least the scheduler's concurrency. */
  readonly maxSockets: number;
  /** Milliseconds to open a connection; 0 for none. */
  readonly connectTimeoutMs: number;
  /** Milliseconds until the response headers arrive (the whole reply, for InvokeModel). */
  readonly firstByteTimeoutMs: number;
  /** Where requests go: the endpoint, or the region's https endpoint. */
  readonly target: URL;
  readonly proxy: ProxySettings;
}

/**
 * Builds the SDK request handler. The SDK's default for bedrock-runtime is an HTTP/2 handler
 * that opens a new session for every request (`disableConcurrentStreams: true`, see
 * bedrock-facts §5), and Node's default agent pools few sockets; both cap throughput long before
 * Bedrock does. `bench/client-overhead.ts` runs the choices against the emulator: multiplexed
 * HTTP/2 carried unary calls at about twice the default's rate and with less client CPU per
 * call than keep-alive HTTP/1.1 (fewer sockets, fewer writes), so `auto` uses it for them. Event
 * streams get an HTTP/2 session each from the SDK, so `auto` pools them on HTTP/1.1; and only
 * HTTP/1.1 agents can tunnel through a proxy, so with a proxy everything goes that way.
 */
export function createRequestHandlers(settings: RequestHandlerSettings): RequestHandlers {
  const proxy = proxyFor(settings.target, settings.proxy);
  if (settings.protocol === "http2" && proxy) {
    throw new QuarryError(
      "options.http.protocol",
      `http.protocol "http2" cannot go through a proxy (set for ${settings.target.host}); use "http1" or "auto", or add the host to NO_PROXY.`,
    );
  }
  if (settings.protocol === "http2") {
    const handler = http2Handler(settings);
    return { unary: handler, streams: handler };
  }
  if (settings.protocol === "auto" && !proxy)
    return { unary: http2Handler(settings), streams: http1Handler(settings, undefined) };
  const handler = http1Handler(settings, proxy);
  return { unary: handler, streams: handler };
}

/**
 * The handler for unary calls and the one for event streams (the same object when one stack
 * carries both). Each needs an SDK client of its own: the SDK shapes headers for its client's
 * handler (`:authority` for HTTP/2, `host` for HTTP/1.1) before the handler is chosen.
 */
export interface RequestHandlers {
  readonly unary: NodeHttpHandler | NodeHttp2Handler;
  readonly streams: NodeHttpHandler | NodeHttp2Handler;
}

/** One handler for everything (`http1` or `http2`; `auto` is not allowed here). */
export function createRequestHandler(
  settings: RequestHandlerSettings & { readonly protocol: "http1" | "http2" },
): NodeHttpHandler | NodeHttp2Handler {
  return createRequestHandlers(settings).unary;
}

function http2Handler(settings: RequestHandlerSettings): NodeHttp2Handler {
  return new NodeHttp2Handler({
    disableConcurrentStreams: false,
    maxConcurrentStreams: Math.min(STREAMS_PER_SESSION, settings.maxSockets),
    ...(settings.firstByteTimeoutMs > 0 ? { requestTimeout: settings.firstByteTimeoutMs } : {}),
  });
}

function http1Handler(settings: RequestHandlerSettings, proxy: URL | undefined): NodeHttpHandler {
  const agentOptions = {
    keepAlive: true,
    maxSockets: settings.maxSockets,
    scheduling: "lifo" as const,
  };
  // Only the target's scheme is ever used (Bedrock does not redirect), so only its agent tunnels.
  const secure = settings.target.protocol === "https:";
  return new NodeHttpHandler({
    httpAgent:
      proxy && !secure ? new ProxyHttpAgent(proxy, agentOptions) : new HttpAgent(agentOptions),
    httpsAgent:
      proxy && secure ? new ProxyHttpsAgent(proxy, agentOptions) : new HttpsAgent(agentOptions),
    ...(settings.connectTimeoutMs > 0 ? { connectionTimeout: settings.connectTimeoutMs } : {}),
    ...(settings.firstByteTimeoutMs > 0
      ? { requestTimeout: settings.firstByteTimeoutMs, throwOnRequestTimeout: true }
      : {}),
  });
}
