import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { NodeHttp2Handler, NodeHttpHandler } from "@smithy/node-http-handler";
import { QuarryError } from "../errors/quarry-error.js";
import { ProxyHttpAgent, ProxyHttpsAgent, type ProxySettings, proxyFor } from "./proxy-agent.js";

/** Which HTTP stack carries the requests. */
export type HttpProtocol = "http1" | "http2";

/** What the request handler is built from (already validated by `resolveQuarryOptions`). */
export interface RequestHandlerSettings {
  /** `http1`: keep-alive sockets, `maxSockets` of them; `http2`: one multiplexed session. */
  readonly protocol: HttpProtocol;
  /** Sockets (http1) or concurrent streams (http2): at least the scheduler's concurrency. */
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
 * Bedrock does. `bench/client-overhead.ts` measured keep-alive HTTP/1.1 with `maxSockets` ≥ the
 * concurrency on par with a multiplexed HTTP/2 session, and only HTTP/1.1 agents can tunnel
 * through a proxy, so HTTP/1.1 is the default.
 */
export function createRequestHandler(
  settings: RequestHandlerSettings,
): NodeHttpHandler | NodeHttp2Handler {
  const proxy = proxyFor(settings.target, settings.proxy);
  if (settings.protocol === "http2") {
    if (proxy) {
      throw new QuarryError(
        "options.http.protocol",
        `http.protocol "http2" cannot go through a proxy (set for ${settings.target.host}); use "http1", or add the host to NO_PROXY.`,
      );
    }
    return new NodeHttp2Handler({
      disableConcurrentStreams: false,
      maxConcurrentStreams: settings.maxSockets,
      ...(settings.firstByteTimeoutMs > 0 ? { requestTimeout: settings.firstByteTimeoutMs } : {}),
    });
  }
  const agentOptions = {
    keepAlive: true,
    maxSockets: settings.maxSockets,
    scheduling: "lifo" as const,
  };
  const httpProxy = proxyFor(new URL("http://x.invalid"), {
    ...settings.proxy,
    noProxy: undefined,
  });
  const httpsProxy = proxyFor(new URL("https://x.invalid"), {
    ...settings.proxy,
    noProxy: undefined,
  });
  // The target decides whether NO_PROXY applies; the other protocol's agent is only used if the
  // endpoint redirects there, which Bedrock never does.
  const targetIsHttps = settings.target.protocol === "https:";
  const useHttpProxy = targetIsHttps ? httpProxy : proxy;
  const useHttpsProxy = targetIsHttps ? proxy : httpsProxy;
  return new NodeHttpHandler({
    httpAgent: useHttpProxy
      ? new ProxyHttpAgent(useHttpProxy, agentOptions)
      : new HttpAgent(agentOptions),
    httpsAgent: useHttpsProxy
      ? new ProxyHttpsAgent(useHttpsProxy, agentOptions)
      : new HttpsAgent(agentOptions),
    ...(settings.connectTimeoutMs > 0 ? { connectionTimeout: settings.connectTimeoutMs } : {}),
    ...(settings.firstByteTimeoutMs > 0
      ? { requestTimeout: settings.firstByteTimeoutMs, throwOnRequestTimeout: true }
      : {}),
  });
}
