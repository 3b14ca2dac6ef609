import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from "@smithy/types";
import type { Clock } from "../clock/clock.js";
import { QuarryError } from "../errors/quarry-error.js";
import type { Scheduler, SchedulerOptions } from "../resilience/scheduler.js";
import type { HttpProtocol } from "./create-request-handler.js";
import { type ProxySettings, parseProxyUrl, proxySettingsFromEnvironment } from "./proxy-agent.js";
import { isRegionCode, type ResolvedTarget, resolveTargets } from "./resolve-targets.js";

/** Timeouts for each call, in milliseconds; 0 turns one off. */
export interface TimeoutOptions {
  /**
   * Opening a connection.
   * @default 10_000
   */
  readonly connectMs?: number;
  /**
   * From sending the request to the first byte of the response. For InvokeModel and Converse
   * that is the whole reply, so it must cover the longest generation you expect.
   * @default 600_000
   */
  readonly firstByteMs?: number;
  /**
   * The longest silence between two events of a stream.
   * @default 60_000
   */
  readonly idleMs?: number;
}

/** The HTTP stack. */
export interface HttpOptions {
  /**
   * `auto`: Quarry's choice — today keep-alive HTTP/1.1 sockets for every call, the fastest in
   * `bench/client-overhead.ts`. `http1` or `http2` (multiplexed sessions, no proxy): that stack.
   * @default "auto"
   */
  readonly protocol?: HttpProtocol;
  /**
   * Sockets (http1) or concurrent streams (http2). Never fewer than `concurrency`: Node's
   * small default pool is a known throughput ceiling.
   * @default concurrency
   */
  readonly maxSockets?: number;
}

/**
 * One place a call may run: a Region, and the model id to call there. Calls are spread over
 * the targets, each with a limiter of its own (Bedrock's quotas are per Region and per route).
 */
export interface QuarryTarget {
  /** The AWS Region, e.g. `us-west-2`. */
  readonly region: string;
  /**
   * The model id to call in this Region for the client's model: a cross-region profile of the
   * same model (`eu.anthropic...` where another target says `us.anthropic...`), the base id, or
   * an ARN of this Region. All targets must name the same base model.
   * @default the model the call names (or the client's `model`)
   */
  readonly model?: string;
  /**
   * Another endpoint for this Region (the emulator, a VPC endpoint).
   * @default the Region's `https://bedrock-runtime.{region}.amazonaws.com`
   */
  readonly endpoint?: string;
}

/** Everything `createQuarry` is configured with, once. */
export interface QuarryOptions {
  /**
   * The AWS Region.
   * @default the SDK's provider chain (`AWS_REGION`, the profile's region)
   */
  readonly region?: string;
  /**
   * A named profile from the shared config and credentials files.
   * @default the SDK's default (`AWS_PROFILE`, else `default`)
   */
  readonly profile?: string;
  /**
   * Credentials or a provider of them. Never parsed or logged by Quarry.
   * @default the SDK's default provider chain (environment, SSO, container and instance roles)
   */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  /**
   * A Bedrock API key (a bearer token); replaces SigV4 signing.
   * @default `AWS_BEARER_TOKEN_BEDROCK`, read by the SDK itself
   */
  readonly apiKey?: string;
  /**
   * Another endpoint, e.g. the emulator's `http://127.0.0.1:PORT` or a VPC endpoint.
   * @default the Region's `https://bedrock-runtime.{region}.amazonaws.com`
   */
  readonly endpoint?: string;
  /** @default see `TimeoutOptions` */
  readonly timeouts?: TimeoutOptions;
  /**
   * Proxy settings, or `false` to ignore the environment's.
   * @default `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY` from the environment
   */
  readonly proxy?: ProxySettings | false;
  /** @default `auto`, sized for `concurrency` */
  readonly http?: HttpOptions;
  /**
   * The most calls in flight at once on one lane (the scheduler's `adaptive.maxConcurrency`,
   * which it grows towards while calls succeed); sizes the socket pool and embedding batches.
   * @default 256
   */
  readonly concurrency?: number;
  /**
   * A scheduler to share with other clients, or options for this client's own. It is the only
   * retry loop: the SDK's own retries are always off (`maxAttempts: 1`).
   * @default a scheduler of its own with default options
   */
  readonly scheduler?: Scheduler | SchedulerOptions;
  /**
   * Spreads calls over several Regions or inference profiles: each attempt goes to the target
   * with the most headroom, so a retry after a throttle or a fault may move to another one.
   * Replaces `region` and `endpoint`; one SDK client per Region (and endpoint), made on first use.
   * @default one target: `region` (and `endpoint`)
   * @example [{ region: "us-east-1", model: "us.anthropic.claude-3-5-haiku-20241022-v1:0" }, { region: "eu-west-1", model: "eu.anthropic.claude-3-5-haiku-20241022-v1:0" }]
   */
  readonly targets?: readonly QuarryTarget[];
  /**
   * The model used when a call names none.
   * @default the first target's `model`, if any
   */
  readonly model?: string;
  /** Aborts every call of this client. */
  readonly signal?: AbortSignal;
  /**
   * The clock that times stream idleness (tests pass a manual one).
   * @default the system clock
   */
  readonly clock?: Clock;
}

/** Options with defaults filled in and checked. */
export interface ResolvedQuarryOptions {
  readonly region: string | undefined;
  readonly profile: string | undefined;
  readonly credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined;
  readonly apiKey: string | undefined;
  readonly endpoint: URL | undefined;
  readonly connectTimeoutMs: number;
  readonly firstByteTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly proxy: ProxySettings;
  readonly protocol: HttpProtocol;
  readonly maxSockets: number;
  readonly concurrency: number;
  readonly model: string | undefined;
  /** The targets calls are spread over; undefined for the one `region` (and `endpoint`). */
  readonly targets: readonly ResolvedTarget[] | undefined;
  readonly signal: AbortSignal | undefined;
}

const DEFAULT_CONCURRENCY = 256;

/** Fills defaults and validates eagerly, naming the option, what it must be, and what it was. */
export function resolveQuarryOptions(
  options: QuarryOptions = {},
  environment: NodeJS.ProcessEnv = process.env,
): ResolvedQuarryOptions {
  if (options === null || typeof options !== "object") invalid("options", "an object", options);
  const region = optionalString("region", options.region);
  if (region !== undefined && !isRegionCode(region))
    invalid("region", "a Region code such as us-east-1", region);
  const endpoint = parseEndpoint(options.endpoint);
  const concurrency = positiveInteger("concurrency", options.concurrency, DEFAULT_CONCURRENCY);
  const protocol = options.http?.protocol ?? "auto";
  if (protocol !== "auto" && protocol !== "http1" && protocol !== "http2")
    invalid("http.protocol", '"auto", "http1" or "http2"', protocol);
  const maxSockets = positiveInteger("http.maxSockets", options.http?.maxSockets, concurrency);
  if (maxSockets < concurrency) {
    throw new QuarryError(
      "options.http.maxSockets",
      `Option http.maxSockets must be at least concurrency (${concurrency}), or calls queue for a socket; got ${maxSockets}.`,
    );
  }
  const apiKey = optionalString("apiKey", options.apiKey);
  if (apiKey !== undefined && apiKey.trim() === "")
    invalid("apiKey", "a non-empty Bedrock API key", "an empty string");
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal))
    invalid("signal", "an AbortSignal", options.signal);
  const proxy =
    options.proxy === false ? {} : (options.proxy ?? proxySettingsFromEnvironment(environment));
  // Parse now so that a malformed proxy fails at construction, not at the first call.
  if (proxy.httpsProxy) parseProxyUrl(proxy.httpsProxy);
  if (proxy.httpProxy) parseProxyUrl(proxy.httpProxy);
  const model = optionalString("model", options.model);
  const targets =
    options.targets === undefined
      ? undefined
      : resolveTargets(options.targets, {
          model,
          region,
          endpoint: options.endpoint,
          parseEndpoint: (value, name) => parseEndpoint(value, name),
          invalid,
        });
  return {
    region,
    profile: optionalString("profile", options.profile),
    credentials: options.credentials,
    apiKey,
    endpoint,
    connectTimeoutMs: milliseconds("timeouts.connectMs", options.timeouts?.connectMs, 10_000),
    firstByteTimeoutMs: milliseconds(
      "timeouts.firstByteMs",
      options.timeouts?.firstByteMs,
      600_000,
    ),
    idleTimeoutMs: milliseconds("timeouts.idleMs", options.timeouts?.idleMs, 60_000),
    proxy,
    protocol,
    maxSockets,
    concurrency,
    model: model ?? targets?.find((target) => target.model !== undefined)?.model,
    targets,
    signal: options.signal,
  };
}

function parseEndpoint(value: unknown, name = "endpoint"): URL | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") invalid(name, "a URL string", value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return invalid(name, "an http:// or https:// URL such as http://127.0.0.1:4566", value);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    invalid(name, "an http:// or https:// URL", value);
  return url;
}

function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") invalid(name, "a string", value);
  return value;
}

function positiveInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1)
    invalid(name, "a positive integer", value);
  return value;
}

function milliseconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    invalid(name, "a number of milliseconds ≥ 0 (0 turns it off)", value);
  return value;
}

function invalid(name: string, expected: string, given: unknown): never {
  const shown =
    typeof given === "string"
      ? JSON.stringify(given)
      : given === null
        ? "null"
        : typeof given === "object"
          ? "an object"
          : String(given);
  throw new QuarryError("options.invalid", `Option ${name} must be ${expected}; got ${shown}.`);
}
