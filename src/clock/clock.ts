/**
 * Time, injected. Everything that waits or measures time (the limiter, the retry loop, the
 * runner, the emulator's latency model and quotas) takes a `Clock`, so unit tests drive time
 * by hand and never assert on wall-clock durations.
 *
 * This folder sits below both the client side and the emulator: it is the one piece of code
 * the two sides share, because a clock carries no Bedrock knowledge that could hide a bug.
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin; only differences are meaningful. */
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The reason a sleep rejects with when its signal aborts without a reason of its own. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted.", "AbortError");
}
