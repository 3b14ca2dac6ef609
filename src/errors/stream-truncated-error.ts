import { QuarryError } from "./quarry-error.js";

/**
 * A response stream that ended without its final event (`message_stop`, `messageStop`, or the
 * invocation metrics). The output is incomplete, not short: the scheduler retries the whole
 * request, like any transient error (`StreamTruncatedError` is in `TRANSIENT_ERRORS`).
 */
export class StreamTruncatedError extends QuarryError {
  override readonly name = "StreamTruncatedError";
  /** The last event seen before the stream ended, when there was one. */
  readonly lastEvent: string | undefined;

  constructor(options: { lastEvent?: string; model?: string; recordId?: string } = {}) {
    super(
      "stream.truncated",
      `The response stream ended without its final event${options.lastEvent ? ` (last event: ${options.lastEvent})` : ""}.`,
      {
        model: options.model,
        recordId: options.recordId,
        isRetryable: true,
        hint: "The connection or the service dropped the stream; the request is safe to send again.",
      },
    );
    this.lastEvent = options.lastEvent;
  }
}
