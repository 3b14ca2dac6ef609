import type { ErrorKind } from "../errors/classify-error.js";
import type { TokenDemand } from "./token-bucket.js";

/**
 * What one call asks of a lane's quotas: one request, and `input + maxTokens × burndown` tokens.
 * A limiter reads it when it grants the call, not when the call starts waiting, so a cost whose
 * `maxTokens` is learned (a getter) reserves what is known at the grant.
 */
export type RequestCost = TokenDemand;

/** A call admitted by a limiter; hand it back through `record` exactly once. */
export interface Permit {
  readonly lane: string;
  /** The tokens reserved against the lane's TPM quota. */
  readonly reservedTokens: number;
  /** The cost as granted (a plain copy: what the call must ask for). */
  readonly cost: RequestCost;
  /** When the permit was granted, on the limiter's clock. */
  readonly acquiredAt: number;
  /** Grant order within the limiter; feedback on permits granted before a cut is not counted twice. */
  readonly sequence: number;
}

/** How a permitted call ended. */
export type LimiterOutcome =
  | {
      readonly permit: Permit;
      readonly kind: "success";
      /** Wall time of the call, in ms. */
      readonly latencyMs: number;
      /** What the service reported; without it the whole reservation is taken as used. */
      readonly usage?: { readonly inputTokens: number; readonly outputTokens: number } | undefined;
    }
  | {
      readonly permit: Permit;
      /** The classified failure, or `aborted` when the caller gave up. */
      readonly kind: ErrorKind | "aborted";
      /** The exception name (`ThrottlingException`, `ServiceUnavailableException`, ...). */
      readonly name: string;
      /** The service's message, where it says which quota ran dry ("Too many requests"). */
      readonly message?: string | undefined;
      /** For `quota-exhausted`: how long the lane should pause, in ms. */
      readonly pauseMs?: number;
    };

/**
 * The flow-control role, after Smithy's `RateLimiter`: `acquire` waits until a call fits the
 * lane's quotas, `record` hands the permit back with what happened, so the limiter can refund
 * the unused reservation and learn.
 */
export interface RateLimiter {
  acquire(cost: RequestCost, signal?: AbortSignal): Promise<Permit>;
  record(outcome: LimiterOutcome): void;
}
