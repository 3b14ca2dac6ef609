/** What a `QuarryError` carries so that the user can act on it. */
export interface QuarryErrorOptions {
  /** The underlying error (an AWS SDK exception, a parse error, ...). */
  readonly cause?: unknown;
  /** The model the failing call was made to, as the user gave it. */
  readonly model?: string;
  /** The job record the error belongs to, when there is one. */
  readonly recordId?: string;
  /** The HTTP status of the failing response, when there was one. */
  readonly status?: number;
  /** Whether trying again, later, can succeed. */
  readonly isRetryable?: boolean;
  /** One sentence on what to do about it. */
  readonly hint?: string;
}

/**
 * The root of every error Quarry raises. A stable `code` lets callers branch without matching
 * message text; `hint` says what to do.
 */
export class QuarryError extends Error {
  override readonly name: string = "QuarryError";
  readonly code: string;
  readonly model: string | undefined;
  readonly recordId: string | undefined;
  readonly status: number | undefined;
  readonly isRetryable: boolean;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options: QuarryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.model = options.model;
    this.recordId = options.recordId;
    this.status = options.status;
    this.isRetryable = options.isRetryable ?? false;
    this.hint = options.hint;
  }

  /** True for any QuarryError, including ones from another copy of the package. */
  static is(value: unknown): value is QuarryError {
    return (
      value instanceof QuarryError ||
      (value instanceof Error && "code" in value && "isRetryable" in value)
    );
  }
}
