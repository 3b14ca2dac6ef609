/**
 * The one place that decides what a failed call means. By exception *type* (the AWS SDK's
 * `name`, which comes from `x-amzn-ErrorType` or the event stream's `:exception-type`), never by
 * message text or status alone — except that the message may choose how long to wait for a
 * quota that minutes cannot cure (the daily-token throttle), never whether to retry.
 * Tables follow Smithy's service-error-classification; the Bedrock specifics follow
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html#API_runtime_InvokeModel_Errors
 */

/** How the scheduler treats a failure. */
export type ErrorKind =
  /** Throttled: slow down (feed the limiter) and retry. */
  | "throttled"
  /** The model is warming up: retry after a longer wait. */
  | "model-not-ready"
  /** A server or network fault: retry. */
  | "transient"
  /** The model or a socket timed out: retry a bounded number of times. */
  | "timeout"
  /** A quota a retry within minutes cannot cure: back off long, then report. */
  | "quota-exhausted"
  /** The request itself is wrong (or not allowed): never retry. */
  | "final";

export interface ClassifiedError {
  readonly kind: ErrorKind;
  /** The exception name, e.g. `ThrottlingException`, or a network code such as `ECONNRESET`. */
  readonly name: string;
  readonly status: number | undefined;
  readonly retryable: boolean;
}

export const THROTTLING_ERRORS: ReadonlySet<string> = new Set([
  "ThrottlingException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "Throttling",
]);

export const MODEL_NOT_READY_ERRORS: ReadonlySet<string> = new Set(["ModelNotReadyException"]);

export const TRANSIENT_ERRORS: ReadonlySet<string> = new Set([
  "InternalServerException",
  "ServiceUnavailableException",
  "ModelStreamErrorException",
  "BadGatewayException",
  "DependencyFailedException",
  "StreamTruncatedError",
  "RequestTimeoutException",
]);

export const TIMEOUT_ERRORS: ReadonlySet<string> = new Set([
  "ModelTimeoutException",
  "TimeoutError",
  "RequestTimeout",
  "ETIMEDOUT",
  "ESOCKETTIMEDOUT",
]);

export const QUOTA_EXHAUSTED_ERRORS: ReadonlySet<string> = new Set([
  "ServiceQuotaExceededException",
]);

export const FINAL_ERRORS: ReadonlySet<string> = new Set([
  "ValidationException",
  "AccessDeniedException",
  "ResourceNotFoundException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "ExpiredTokenException",
  "ConflictException",
  "ModelErrorException",
  "UnknownOperationException",
]);

/**
 * Errors that mean "too many calls at once" rather than "too fast": the scheduler answers them
 * by lowering concurrency. They keep their kind from the tables above (Bedrock's 503
 * "Too many connections" is a ServiceUnavailableException, transient).
 */
export const CONNECTION_LIMIT_ERRORS: ReadonlySet<string> = new Set([
  "ServiceUnavailableException",
]);

/** Network-level failures (Node error codes) worth retrying: the request may not have arrived. */
export const NETWORK_ERRORS: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "ECONNABORTED",
  "ERR_HTTP2_STREAM_ERROR",
  "ERR_HTTP2_SESSION_ERROR",
  "ERR_HTTP2_GOAWAY_SESSION",
  "ERR_HTTP2_INVALID_SESSION",
  "ERR_STREAM_PREMATURE_CLOSE",
  "UND_ERR_SOCKET",
]);

// The daily-token throttle is a ThrottlingException like any other; only its message says the
// quota is per day. It is the one case where text may choose the wait (never the retry).
const DAILY_QUOTA = /per day|daily/i;

const TABLES: ReadonlyArray<readonly [ReadonlySet<string>, ErrorKind]> = [
  [THROTTLING_ERRORS, "throttled"],
  [MODEL_NOT_READY_ERRORS, "model-not-ready"],
  [TRANSIENT_ERRORS, "transient"],
  [TIMEOUT_ERRORS, "timeout"],
  [QUOTA_EXHAUSTED_ERRORS, "quota-exhausted"],
  [FINAL_ERRORS, "final"],
  [NETWORK_ERRORS, "transient"],
];

/** Classifies any error: AWS SDK exceptions, Node network errors, Quarry's own, following `cause`. */
export function classifyError(error: unknown): ClassifiedError {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== null && typeof current === "object" && !seen.has(current)) {
    seen.add(current);
    const candidate = current as {
      name?: unknown;
      code?: unknown;
      message?: unknown;
      $metadata?: { httpStatusCode?: number };
      $response?: { statusCode?: number };
      status?: unknown;
      cause?: unknown;
    };
    const status =
      candidate.$metadata?.httpStatusCode ??
      candidate.$response?.statusCode ??
      (typeof candidate.status === "number" ? candidate.status : undefined);
    for (const name of [candidate.name, candidate.code]) {
      if (typeof name !== "string") continue;
      for (const [table, kind] of TABLES) {
        if (!table.has(name)) continue;
        const resolved =
          kind === "throttled" &&
          typeof candidate.message === "string" &&
          DAILY_QUOTA.test(candidate.message)
            ? "quota-exhausted"
            : kind;
        return { kind: resolved, name, status, retryable: resolved !== "final" };
      }
    }
    if (candidate.name === "AbortError")
      return { kind: "final", name: "AbortError", status, retryable: false };
    current = candidate.cause;
  }
  // Unknown errors: a 5xx or 429 status is retryable; anything else is final, so that a bug in
  // the request never loops.
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  if (status === 429) return { kind: "throttled", name: errorName(error), status, retryable: true };
  if (status !== undefined && status >= 500)
    return { kind: "transient", name: errorName(error), status, retryable: true };
  return { kind: "final", name: errorName(error), status, retryable: false };
}

function errorName(error: unknown): string {
  const name = (error as { name?: unknown })?.name;
  return typeof name === "string" ? name : "Error";
}
