import { StreamTruncatedError } from "../errors/stream-truncated-error.js";

/** The error for a stream that ended without its final event: retryable, by type. */
export function truncatedStream(message: string): Error {
  return new StreamTruncatedError(message);
}
