import { StreamTruncatedError } from "../errors/stream-truncated-error.js";

/** The error for a stream that ended without its final event: retryable, by type. */
export function truncatedStream(lastEvent: string | undefined): Error {
  return new StreamTruncatedError(lastEvent === undefined ? {} : { lastEvent });
}
