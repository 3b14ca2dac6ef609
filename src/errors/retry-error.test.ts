import { describe, expect, it } from "vitest";
import { classifyError } from "./classify-error.js";
import { QuarryError } from "./quarry-error.js";
import { RetryError } from "./retry-error.js";
import { StreamTruncatedError } from "./stream-truncated-error.js";

function sdkError(name: string, status: number, message: string): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

describe("RetryError", () => {
  it("keeps every attempt's error, the reason it stopped, and the last error as its cause", () => {
    const throttle = sdkError("ThrottlingException", 429, "Too many tokens");
    const timeout = sdkError("ModelTimeoutException", 408, "Model has timed out");
    const error = new RetryError({
      reason: "max-attempts",
      recordId: "row-7",
      failures: [
        { attempt: 1, lane: "a", kind: "throttled", name: "ThrottlingException", error: throttle },
        { attempt: 2, lane: "a", kind: "timeout", name: "ModelTimeoutException", error: timeout },
      ],
    });
    expect(error).toBeInstanceOf(QuarryError);
    expect(QuarryError.is(error)).toBe(true);
    expect(error.name).toBe("RetryError");
    expect(error.code).toBe("retry.max-attempts");
    expect(error.errors).toEqual([throttle, timeout]);
    expect(error.lastError).toBe(timeout);
    expect(error.cause).toBe(timeout);
    expect(error.status).toBe(408);
    expect(error.isRetryable).toBe(true);
    expect(error.recordId).toBe("row-7");
    expect(error.message).toBe(
      "Gave up after 2 attempts (out of attempts): ModelTimeoutException: Model has timed out",
    );
    expect(error.hint).toMatch(/try again later/);
    // Classification follows the cause to the last attempt's error.
    expect(classifyError(error).kind).toBe("timeout");
  });

  it("a final error is not retryable and says to fix the request", () => {
    const error = new RetryError({
      reason: "final",
      failures: [
        {
          attempt: 1,
          lane: "a",
          kind: "final",
          name: "ValidationException",
          error: sdkError("ValidationException", 400, "Malformed input request"),
        },
      ],
    });
    expect(error.isRetryable).toBe(false);
    expect(error.hint).toMatch(/fix it/);
    expect(error.message).toMatch(/^Gave up after 1 attempt \(the error is not retryable\)/);
  });
});

describe("StreamTruncatedError", () => {
  it("is a retryable QuarryError that classifies as transient", () => {
    const error = new StreamTruncatedError({ lastEvent: "content_block_delta" });
    expect(error.isRetryable).toBe(true);
    expect(error.lastEvent).toBe("content_block_delta");
    expect(error.message).toMatch(/without its final event \(last event: content_block_delta\)/);
    expect(classifyError(error)).toMatchObject({ kind: "transient", name: "StreamTruncatedError" });
  });
});
