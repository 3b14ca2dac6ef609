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
 * Bedrock does. `bench/client-overhead.ts` runs both choices against the emulator: keep-alive
 * HTTP/1.1 with `maxSockets` ≥ the concurrency and one multiplexed HTTP/2 session come out
 * within noise of each other, both well ahead of the default. HTTP/1.1 is the default because
 * only its agents can tunnel through a proxy, and a slow stream holds one socket, not a shared
 * TCP connection (no head-of-line blocking across calls).
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
