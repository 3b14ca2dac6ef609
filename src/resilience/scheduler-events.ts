import type { ErrorKind } from "../errors/classify-error.js";
import type { RetryError, RetryStopReason } from "../errors/retry-error.js";

/** A call's attempt left the queue and was handed to the caller's `attempt`. */
export interface SentEvent {
  readonly lane: string;
  readonly recordId: string | undefined;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly maxTokens: number;
  /** Tokens reserved against the lane's TPM quota: `input + maxTokens × burndown`. */
  readonly reservedTokens: number;
  /** Time spent waiting for the lane's limiter, in ms. */
  readonly queuedMs: number;
}

/** A call succeeded. */
export interface CompletedEvent {
  readonly lane: string;
  readonly recordId: string | undefined;
  /** Attempts made in all, including any re-run at the full max tokens. */
  readonly attempt: number;
  /** The successful attempt's duration, in ms. */
  readonly latencyMs: number;
  readonly inputTokens: number | undefined;
  readonly outputTokens: number | undefined;
  readonly maxTokens: number;
}

/** A call was given up on; `error` is what `run` rejects with. */
export interface FailedEvent {
  readonly lane: string;
  readonly recordId: string | undefined;
  readonly attempts: number;
  readonly reason: RetryStopReason;
  readonly kind: ErrorKind;
  readonly name: string;
  readonly error: RetryError;
}

/** An attempt failed (or was cut off at a learned max tokens) and the call will be tried again. */
export interface RetryingEvent {
  readonly lane: string;
  readonly recordId: string | undefined;
  /** The attempt that failed. */
  readonly attempt: number;
  /** Why: the error's kind, or `max-tokens` for a re-run at the full limit. */
  readonly kind: ErrorKind | "max-tokens";
  readonly name: string;
  /** The backoff before the next attempt joins the queue, in ms. */
  readonly waitMs: number;
  readonly error: unknown;
}

/** The service throttled an attempt (a rate, a daily quota, or a service quota). */
export interface ThrottledEvent {
  readonly lane: string;
  readonly recordId: string | undefined;
  readonly attempt: number;
  readonly kind: ErrorKind;
  readonly name: string;
  readonly waitMs: number;
}

/** Nothing is queued or in flight any more. */
export interface IdleEvent {
  /** When, on the scheduler's clock. */
  readonly at: number;
}

/** The scheduler's events, by name. */
export interface SchedulerEvents {
  sent: SentEvent;
  completed: CompletedEvent;
  failed: FailedEvent;
  retrying: RetryingEvent;
  throttled: ThrottledEvent;
  idle: IdleEvent;
}

export type SchedulerEventName = keyof SchedulerEvents;
export type SchedulerListener<E extends SchedulerEventName> = (event: SchedulerEvents[E]) => void;
