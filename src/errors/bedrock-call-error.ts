import type { ErrorKind } from "./classify-error.js";
import { QuarryError } from "./quarry-error.js";

/** What went wrong, in words a caller can branch on (the `code` is `bedrock.<reason>`). */
export type BedrockFailureReason =
  | "model-not-found"
  | "access-denied"
  | "profile-required"
  | "invalid-body"
  | "invalid-request"
  | "credentials"
  | "throttled"
  | "quota-exhausted"
  | "model-not-ready"
  | "service-fault"
  | "timeout"
  | "model-error"
  | "stream-truncated"
  | "network"
  | "cancelled"
  | "unknown";

export interface BedrockCallErrorOptions {
  readonly reason: BedrockFailureReason;
  readonly kind: ErrorKind;
  /** The exception name (`ThrottlingException`) or network code (`ECONNRESET`). */
  readonly exceptionName: string;
  readonly status?: number;
  readonly isRetryable: boolean;
  readonly model?: string;
  readonly recordId?: string;
  readonly hint: string;
  readonly cause: unknown;
  /** Body fields Bedrock named as not permitted (ValidationException `extraneous key [x]`). */
  readonly extraneousFields?: readonly string[];
  /** Body fields Bedrock named as missing (`required key [y] not found`). */
  readonly missingFields?: readonly string[];
}

/**
 * A failed call to Bedrock, described for the person who has to fix it: the model and record
 * it was for, the HTTP status and exception, whether a retry can help, and — in the message
 * and in `hint` — what to do. Built by `describeError`.
 */
export class BedrockCallError extends QuarryError {
  override readonly name = "BedrockCallError";
  readonly reason: BedrockFailureReason;
  readonly kind: ErrorKind;
  readonly exceptionName: string;
  readonly extraneousFields: readonly string[];
  readonly missingFields: readonly string[];

  constructor(message: string, options: BedrockCallErrorOptions) {
    super(`bedrock.${options.reason}`, message, {
      cause: options.cause,
      model: options.model,
      recordId: options.recordId,
      status: options.status,
      isRetryable: options.isRetryable,
      hint: options.hint,
    });
    this.reason = options.reason;
    this.kind = options.kind;
    this.exceptionName = options.exceptionName;
    this.extraneousFields = options.extraneousFields ?? [];
    this.missingFields = options.missingFields ?? [];
  }
}
