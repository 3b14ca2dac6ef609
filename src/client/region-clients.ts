import {
  BedrockRuntimeClient,
  type BedrockRuntimeClientConfig,
} from "@aws-sdk/client-bedrock-runtime";
import { installCallSignals, SignalledHandler } from "./call-signals.js";
import { createRequestHandler } from "./create-request-handler.js";
import type { QuarryOptions, ResolvedQuarryOptions } from "./quarry-options.js";
import { installResponseHeaders } from "./response-headers.js";

/**
 * One SDK client per Region and endpoint, made on first use, every one with the same HTTP
 * settings (protocol, a pool sized for the concurrency, timeouts, proxy), the SDK's own retries
 * off and its middleware cached.
 */
export class RegionClients {
  readonly #resolved: ResolvedQuarryOptions;
  readonly #options: QuarryOptions;
  readonly #clients = new Map<string, BedrockRuntimeClient>();

  constructor(resolved: ResolvedQuarryOptions, options: QuarryOptions) {
    this.#resolved = resolved;
    this.#options = options;
  }

  /** The client for a Region (undefined: the SDK's provider chain) and endpoint. */
  get(region: string | undefined, endpoint: URL | undefined): BedrockRuntimeClient {
    const key = `${region ?? ""} ${endpoint?.href ?? ""}`;
    let client = this.#clients.get(key);
    if (!client) {
      client = this.#create(region, endpoint);
      this.#clients.set(key, client);
    }
    return client;
  }

  /** Closes every connection pool made so far. */
  destroy(): void {
    for (const client of this.#clients.values()) client.destroy();
  }

  #create(region: string | undefined, endpoint: URL | undefined): BedrockRuntimeClient {
    const resolved = this.#resolved;
    const requestHandler = createRequestHandler({
      protocol: resolved.protocol,
      maxSockets: resolved.maxSockets,
      connectTimeoutMs: resolved.connectTimeoutMs,
      firstByteTimeoutMs: resolved.firstByteTimeoutMs,
      target: endpoint ?? regionEndpoint(region),
      proxy: resolved.proxy,
    });
    const config: BedrockRuntimeClientConfig = {
      // The scheduler is the only retry loop (bedrock-facts §5).
      maxAttempts: 1,
      // One sorted middleware stack per command class, not one per call (a quarter of the SDK's
      // CPU per call): calls are sent without options, their signals ride beside them.
      cacheMiddleware: true,
      requestHandler: new SignalledHandler(requestHandler),
    };
    if (region) config.region = region;
    if (resolved.profile) config.profile = resolved.profile;
    if (this.#options.credentials) config.credentials = this.#options.credentials;
    if (endpoint) config.endpoint = endpoint.href.replace(/\/$/, "");
    if (resolved.apiKey) {
      // Bedrock API keys are bearer tokens (Smithy httpBearerAuth); the SDK reads
      // AWS_BEARER_TOKEN_BEDROCK by itself when no key is given here.
      config.token = { token: resolved.apiKey };
      config.authSchemePreference = ["httpBearerAuth"];
    }
    const client = new BedrockRuntimeClient(config);
    installResponseHeaders(client);
    installCallSignals(client);
    return client;
  }
}

// Where calls go without an endpoint; only its scheme and host matter here (for NO_PROXY).
function regionEndpoint(region: string | undefined): URL {
  return new URL(
    region
      ? `https://bedrock-runtime.${region}.amazonaws.com`
      : "https://bedrock-runtime.amazonaws.com",
  );
}
