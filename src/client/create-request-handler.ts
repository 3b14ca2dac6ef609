import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { NodeHttp2Handler, NodeHttpHandler } from "@smithy/node-http-handler";
import { QuarryError } from "../errors/quarry-error.js";
import { ProxyHttpAgent, ProxyHttpsAgent, type ProxySettings, proxyFor } from "./proxy-agent.js";

/**
 * Which HTTP stack carries the requests: `auto` (the default) is Quarry's choice, today
 * keep-alive HTTP/1.1 for everything (see `createRequestHandler`); `http1` and `http2` name the
 * stack outright.
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
 * Bedrock does. `bench/client-overhead.ts` runs the choices side by side against the emulator:
 * with the SDK's middleware cached (region-clients.ts), keep-alive HTTP/1.1 sized for the
 * concurrency carries unary calls faster than multiplexed HTTP/2 (1,523 vs 1,246 req/s, at
 * 0.67 vs 0.70 ms of client CPU per call), each call on its own socket so a reset loses one call,
 * not a session's; event streams would get an HTTP/2 session each from the SDK anyway. So `auto`
 * is HTTP/1.1 for everything — and only HTTP/1.1 agents can tunnel through a proxy. `http2`
 * stays for endpoints that want it.
 */
export function createRequestHandler(
  settings: RequestHandlerSettings,
): NodeHttpHandler | NodeHttp2Handler {
  const proxy = proxyFor(settings.target, settings.proxy);
  if (settings.protocol === "http2" && proxy) {
    throw new QuarryError(
      "options.http.protocol",
      `http.protocol "http2" cannot go through a proxy (set for ${settings.target.host}); use "http1" or "auto", or add the host to NO_PROXY.`,
    );
  }
  return settings.protocol === "http2" ? http2Handler(settings) : http1Handler(settings, proxy);
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
