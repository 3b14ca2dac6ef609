import type { ErrorKind } from "./classify-error.js";
import { QuarryError } from "./quarry-error.js";

/** Why the retry loop stopped trying. */
export type RetryStopReason =
  /** The last error is one a retry cannot cure (a bad request, no access, no such model). */
  | "final"
  /** The call failed with one error kind as many times as that kind is allowed. */
  | "max-attempts"
  /** The run's shared retry budget is spent: the endpoint fails too often to keep retrying. */
  | "retry-budget-exhausted"
  /** A quota that minutes cannot cure (daily tokens, a service quota) stayed exhausted. */
  | "quota-exhausted";

/** One failed attempt as the retry loop saw it. */
export interface AttemptFailure {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** The lane the attempt was sent on. */
  readonly lane: string;
  readonly kind: ErrorKind;
  /** The exception name (`ThrottlingException`, `ECONNRESET`, ...). */
  readonly name: string;
  readonly error: unknown;
}

export interface RetryErrorOptions {
  readonly reason: RetryStopReason;
  readonly failures: readonly AttemptFailure[];
  readonly recordId?: string;
  readonly model?: string;
}

const HINTS: Readonly<Record<RetryStopReason, string>> = {
  final:
    "The request itself was refused; fix it (model id, region, model access, body fields) rather than retrying.",
  "max-attempts":
    "The service kept failing for this call; try again later, lower the request rate, or spread the job over more regions.",
  "retry-budget-exhausted":
    "Too many calls in this run needed retries, so the rest fail fast; check the endpoint and region, then run again.",
  "quota-exhausted":
    "A quota that does not refill within minutes is used up (tokens per day or a service quota); wait for it to reset or ask AWS for an increase.",
};

/**
 * A call that the scheduler gave up on: it keeps every attempt's error, the reason it stopped,
 * and whether trying again later could succeed (`isRetryable`). The last attempt's error is the
 * `cause`, so its type and status are one step away.
 */
export class RetryError extends QuarryError {
  override readonly name = "RetryError";
  readonly reason: RetryStopReason;
  /** Every failed attempt, oldest first. */
  readonly failures: readonly AttemptFailure[];
  /** The errors alone, oldest first. */
  readonly errors: readonly unknown[];
  /** The last attempt's error. */
  readonly lastError: unknown;

  constructor(options: RetryErrorOptions) {
    const last = options.failures[options.failures.length - 1];
    const attempts = options.failures.length;
    const what = last ? `${last.name}${messageOf(last.error)}` : "no attempt was made";
    super(
      `retry.${options.reason}`,
      `Gave up after ${attempts} attempt${attempts === 1 ? "" : "s"} (${describe(options.reason)}): ${what}`,
      {
        cause: last?.error,
        recordId: options.recordId,
        model: options.model,
        status: statusOf(last?.error),
        isRetryable: options.reason !== "final",
        hint: HINTS[options.reason],
      },
    );
    this.reason = options.reason;
    this.failures = options.failures;
    this.errors = options.failures.map((failure) => failure.error);
    this.lastError = last?.error;
  }
}

function describe(reason: RetryStopReason): string {
  switch (reason) {
    case "final":
      return "the error is not retryable";
    case "max-attempts":
      return "out of attempts";
    case "retry-budget-exhausted":
      return "the run's retry budget is spent";
    case "quota-exhausted":
      return "the quota stayed exhausted";
  }
}

function messageOf(error: unknown): string {
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === "string" && message.length > 0 ? `: ${message}` : "";
}

function statusOf(error: unknown): number | undefined {
  const candidate = error as
    | { $metadata?: { httpStatusCode?: number }; status?: unknown }
    | undefined;
  const status = candidate?.$metadata?.httpStatusCode ?? candidate?.status;
  return typeof status === "number" ? status : undefined;
}
