import {
  BedrockRuntimeClient,
  type BedrockRuntimeClientConfig,
} from "@aws-sdk/client-bedrock-runtime";
import { createRequestHandlers, type RequestHandlers } from "./create-request-handler.js";
import type { QuarryOptions, ResolvedQuarryOptions } from "./quarry-options.js";
import { installResponseHeaders } from "./response-headers.js";

/** The SDK clients calls to one Region (and endpoint) are sent with. */
export interface ClientPair {
  /** Unary calls. */
  readonly client: BedrockRuntimeClient;
  /** Event streams: the same client unless `http.protocol` is `auto` without a proxy. */
  readonly streamClient: BedrockRuntimeClient;
}

/**
 * One pair of SDK clients per Region and endpoint, made on first use, every pair with the
 * same HTTP settings (protocol, a pool sized for the concurrency, timeouts, proxy) and the
 * SDK's own retries off.
 */
export class RegionClients {
  readonly #resolved: ResolvedQuarryOptions;
  readonly #options: QuarryOptions;
  readonly #pairs = new Map<string, ClientPair>();

  constructor(resolved: ResolvedQuarryOptions, options: QuarryOptions) {
    this.#resolved = resolved;
    this.#options = options;
  }

  /** The clients for a Region (undefined: the SDK's provider chain) and endpoint. */
  get(region: string | undefined, endpoint: URL | undefined): ClientPair {
    const key = `${region ?? ""} ${endpoint?.href ?? ""}`;
    let pair = this.#pairs.get(key);
    if (!pair) {
      pair = this.#create(region, endpoint);
      this.#pairs.set(key, pair);
    }
    return pair;
  }

  /** Closes every connection pool made so far. */
  destroy(): void {
    for (const pair of this.#pairs.values()) {
      pair.client.destroy();
      if (pair.streamClient !== pair.client) pair.streamClient.destroy();
    }
  }

  #create(region: string | undefined, endpoint: URL | undefined): ClientPair {
    const resolved = this.#resolved;
    const handlers = createRequestHandlers({
      protocol: resolved.protocol,
      maxSockets: resolved.maxSockets,
      connectTimeoutMs: resolved.connectTimeoutMs,
      firstByteTimeoutMs: resolved.firstByteTimeoutMs,
      target: endpoint ?? regionEndpoint(region),
      proxy: resolved.proxy,
    });
    const client = this.#client(region, endpoint, handlers.unary);
    const streamClient =
      handlers.streams === handlers.unary
        ? client
        : this.#client(region, endpoint, handlers.streams);
    installResponseHeaders(client);
    if (streamClient !== client) installResponseHeaders(streamClient);
    return { client, streamClient };
  }

  #client(
    region: string | undefined,
    endpoint: URL | undefined,
    requestHandler: RequestHandlers["unary"],
  ): BedrockRuntimeClient {
    const resolved = this.#resolved;
    const config: BedrockRuntimeClientConfig = {
      // The scheduler is the only retry loop (bedrock-facts §5).
      maxAttempts: 1,
      requestHandler,
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
    return new BedrockRuntimeClient(config);
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
