import { abortReason, type Clock } from "../clock/clock.js";
import { systemClock } from "../clock/system-clock.js";
import { type ClassifiedError, classifyError, type ErrorKind } from "../errors/classify-error.js";
import { type AttemptFailure, RetryError, type RetryStopReason } from "../errors/retry-error.js";
import {
  AdaptiveLimiter,
  type AdaptiveOptions,
  type KnownLimits,
  type LimiterSnapshot,
  resolveAdaptiveOptions,
  validateKnownLimits,
} from "./adaptive-limiter.js";
import { type BackoffOptions, backoff, type Random, validateBackoff } from "./backoff.js";
import { linkSignals } from "./link-signals.js";
import { OutputLengthLearner, type OutputLengthLearnerOptions } from "./output-length-learner.js";
import type { RequestCost } from "./rate-limiter.js";
import { RetryBudget, type RetryBudgetOptions } from "./retry-budget.js";
import type { SchedulerEventName, SchedulerEvents, SchedulerListener } from "./scheduler-events.js";

/** One call for the scheduler: how to reserve quota for it, how to try it, what it used. */
export interface ScheduledCall<T> {
  /** One lane (model × region × on-demand/profile), or several to spread over. */
  readonly lane: string | readonly string[];
  /** Input tokens, estimated, for the reservation (the reported count settles it). */
  readonly inputTokens: number;
  /** The max tokens to request, or `auto`: learned from past replies, re-run at the full limit if cut off. */
  readonly maxTokens: number | "auto";
  /** The ceiling when `maxTokens` is `auto`. */
  readonly fullMaxTokens?: number;
  /** Quota tokens per output token. @default 1 (5 for Claude 4-family models) */
  readonly outputBurndown?: number;
  readonly recordId?: string;
  /** Calls whose replies have alike lengths share a key. @default the (first) lane */
  readonly lengthKey?: string;
  readonly signal?: AbortSignal;
  /** Makes one attempt. Throw the service's error as is: it is classified by type. */
  attempt(context: AttemptContext): Promise<T>;
  /** The usage the service reported, for the refund and for learning; undefined if unknown. */
  usage(result: T): { inputTokens: number; outputTokens: number } | undefined;
  /** Whether the reply was cut off at the requested max tokens. */
  stoppedAtMaxTokens?(result: T): boolean;
}

/** What one attempt is told. */
export interface AttemptContext {
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly lane: string;
  /** The max tokens to send (learned, for `auto`). */
  readonly maxTokens: number;
  /** Aborts when the caller aborts. */
  readonly signal: AbortSignal;
}

/** How many failures of each kind a call may have before it is given up on. */
export interface MaxAttempts {
  /** @default 12 */
  readonly throttled?: number;
  /** Server and network faults, truncated streams. @default 6 */
  readonly transient?: number;
  /** ModelTimeoutException and socket timeouts: a slow request rarely gets faster. @default 3 */
  readonly timeout?: number;
  /** @default 8 */
  readonly modelNotReady?: number;
  /** Daily-token or service-quota exhaustion, each wait minutes long. @default 3 */
  readonly quotaExhausted?: number;
}

export interface RetryOptions {
  readonly maxAttempts?: MaxAttempts;
  /** All attempts of one call, whatever their kinds. @default 20 */
  readonly maxTotalAttempts?: number;
  /** Backoff after a throttle, in ms (the limiter paces too). @default { base: 250, cap: 10000 } */
  readonly throttledBackoff?: Omit<BackoffOptions, "random">;
  /** Backoff after a server or network fault, in ms. @default { base: 100, cap: 20000 } */
  readonly transientBackoff?: Omit<BackoffOptions, "random">;
  /** Backoff while the model warms up: longer. @default { base: 2000, cap: 60000 } */
  readonly modelNotReadyBackoff?: Omit<BackoffOptions, "random">;
  /** The first wait after a quota that minutes cannot cure; it doubles. @default 60000 */
  readonly quotaExhaustedWaitMs?: number;
  /** The longest such wait. @default 600000 */
  readonly quotaExhaustedMaxWaitMs?: number;
  /** The run's shared retry budget, or options for one. */
  readonly budget?: RetryBudget | RetryBudgetOptions;
}

export interface SchedulerOptions {
  /** @default systemClock */
  readonly clock?: Clock;
  /** @default Math.random */
  readonly random?: Random;
  /** Known limits per lane; `*` applies to lanes not listed. Unknown limits are learned. */
  readonly limits?: Readonly<Record<string, KnownLimits>>;
  readonly retry?: RetryOptions;
  readonly adaptive?: AdaptiveOptions;
  /** How `maxTokens: "auto"` learns. */
  readonly outputLength?: OutputLengthLearnerOptions;
  /** Replaces the error classification (tests). @default classifyError */
  readonly classify?: (error: unknown) => ClassifiedError;
}

/** Counters since the scheduler was made, plus each lane's limiter. */
export interface SchedulerStats {
  readonly calls: number;
  readonly sent: number;
  readonly completed: number;
  readonly failed: number;
  readonly retries: number;
  readonly throttled: number;
  /** Replies cut off at a learned max tokens and run again at the full limit. */
  readonly rerunsAtFullLimit: number;
  readonly inFlight: number;
  /** Calls waiting for a limiter or a backoff. */
  readonly waiting: number;
  readonly retryBudget: number;
  readonly lanes: readonly LimiterSnapshot[];
}

interface ResolvedRetry {
  readonly limits: Readonly<Record<ErrorKind, number>>;
  readonly maxTotalAttempts: number;
  readonly backoffs: Readonly<
    Record<"throttled" | "transient" | "model-not-ready", BackoffOptions>
  >;
  readonly quotaWaitMs: number;
  readonly quotaMaxWaitMs: number;
}

type Listeners = { [E in SchedulerEventName]: SchedulerListener<E>[] };

/** A reply cut off at a learned limit is re-run first with this many times that limit. */
const RERUN_FACTOR = 4;

/**
 * Quarry's only retry loop, and its pacing. Every model call goes through `run`: it waits for
 * its lane's limiter (which learns the quota it is not told), makes the attempt, hands the
 * limiter what happened (the unused reservation is refunded, throttles teach it the limit),
 * and on failure decides by error *type* whether to try again, after capped exponential
 * backoff with full jitter and only while the run's retry budget lasts. The AWS SDK's own
 * retries must be off (`maxAttempts: 1`) so that loops never nest.
 *
 * Progress is reported as typed events (`sent`, `completed`, `failed`, `retrying`,
 * `throttled`, `idle`) for the progress bar and the report to listen to.
 */
export class Scheduler {
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #limits: Readonly<Record<string, KnownLimits>>;
  readonly #adaptive: AdaptiveOptions;
  readonly #retry: ResolvedRetry;
  readonly #budget: RetryBudget;
  readonly #learner: OutputLengthLearner;
  readonly #classify: (error: unknown) => ClassifiedError;
  readonly #limiters = new Map<string, AdaptiveLimiter>();
  readonly #listeners: Listeners = {
    sent: [],
    completed: [],
    failed: [],
    retrying: [],
    throttled: [],
    idle: [],
  };
  #calls = 0;
  #sent = 0;
  #completed = 0;
  #failed = 0;
  #retries = 0;
  #throttled = 0;
  #reruns = 0;
  #pending = 0;
  #inFlight = 0;

  constructor(options: SchedulerOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#limits = options.limits ?? {};
    for (const [lane, limits] of Object.entries(this.#limits))
      validateKnownLimits(limits, `limits["${lane}"]`);
    this.#adaptive = options.adaptive ?? {};
    resolveAdaptiveOptions(this.#adaptive);
    this.#retry = resolveRetry(options.retry ?? {}, this.#random);
    const budget = options.retry?.budget;
    this.#budget = budget instanceof RetryBudget ? budget : new RetryBudget(budget);
    this.#learner = new OutputLengthLearner(options.outputLength);
    this.#classify = options.classify ?? classifyError;
  }

  on<E extends SchedulerEventName>(event: E, listener: SchedulerListener<E>): this {
    this.#listeners[event].push(listener);
    return this;
  }

  off<E extends SchedulerEventName>(event: E, listener: SchedulerListener<E>): this {
    const list = this.#listeners[event];
    const index = list.indexOf(listener);
    if (index >= 0) list.splice(index, 1);
    return this;
  }

  /** Runs a call to success or to a `RetryError`; rejects with the abort reason if aborted. */
  async run<T>(call: ScheduledCall<T>): Promise<T> {
    const full = validateCall(call);
    if (call.signal?.aborted) throw abortReason(call.signal);
    // A signal of the call's own: what the limiter, the backoff and the attempt add listens
    // there, and a signal shared by many calls carries one listener, not one per call.
    const linked = linkSignals(call.signal);
    this.#calls++;
    this.#pending++;
    try {
      return await this.#run(call, full, linked.signal);
    } finally {
      linked.dispose();
      this.#pending--;
      if (this.#pending === 0 && this.#listeners.idle.length > 0)
        this.#emit("idle", { at: this.#clock.now() });
    }
  }

  stats(): SchedulerStats {
    const lanes: LimiterSnapshot[] = [];
    for (const limiter of this.#limiters.values()) lanes.push(limiter.snapshot());
    return {
      calls: this.#calls,
      sent: this.#sent,
      completed: this.#completed,
      failed: this.#failed,
      retries: this.#retries,
      throttled: this.#throttled,
      rerunsAtFullLimit: this.#reruns,
      inFlight: this.#inFlight,
      waiting: this.#pending - this.#inFlight,
      retryBudget: this.#budget.tokens,
      lanes,
    };
  }

  /** The limiter of a lane (made on first use). */
  limiter(lane: string): AdaptiveLimiter {
    let limiter = this.#limiters.get(lane);
    if (!limiter) {
      limiter = new AdaptiveLimiter({
        ...this.#adaptive,
        lane,
        limits: this.#limits[lane] ?? this.#limits["*"] ?? {},
        clock: this.#clock,
      });
      this.#limiters.set(lane, limiter);
    }
    return limiter;
  }

  async #run<T>(call: ScheduledCall<T>, full: number, own: AbortSignal | undefined): Promise<T> {
    // The attempt always gets a signal, and one of its own: listeners an attempt leaves on a
    // signal shared by every call without one would pile up there for good.
    const signal = own ?? new AbortController().signal;
    const auto = call.maxTokens === "auto";
    const burndown = call.outputBurndown ?? 1;
    const lengthKey = call.lengthKey ?? (typeof call.lane === "string" ? call.lane : call.lane[0]!);
    let failures: AttemptFailure[] | undefined;
    let counts: Record<ErrorKind, number> | undefined;
    /** After a reply was cut off at a learned limit: the limit its re-run asks for. */
    let rerunLimit: number | undefined;
    let attempt = 0;
    for (;;) {
      attempt++;
      const fixed = !auto ? full : rerunLimit;
      const learner = this.#learner;
      let picked: AdaptiveLimiter | undefined;
      // A learned limit is read when the limiter grants the call (a getter): calls queued at the
      // start would otherwise all reserve the cold start's guess, however much was learned since.
      // It is tight only where the token quota binds; elsewhere it saves nothing, and each reply
      // it cut off would cost a request to run again.
      const cost: RequestCost =
        fixed !== undefined
          ? { inputTokens: call.inputTokens, maxTokens: fixed, outputBurndown: burndown }
          : {
              inputTokens: call.inputTokens,
              get maxTokens() {
                return picked?.tokensBind === false
                  ? learner.guess(lengthKey, full)
                  : learner.suggest(lengthKey, full);
              },
              outputBurndown: burndown,
            };
      const limiter = this.#pick(call.lane, cost);
      picked = limiter;
      const queuedAt = this.#clock.now();
      // Without a signal to follow, the limiter needs no listener at all.
      const permit = await limiter.acquire(cost, own, attempt > 1);
      const { maxTokens } = permit.cost;
      const startedAt = this.#clock.now();
      this.#sent++;
      this.#inFlight++;
      if (this.#listeners.sent.length > 0)
        this.#emit("sent", {
          lane: limiter.lane,
          recordId: call.recordId,
          attempt,
          maxTokens,
          reservedTokens: permit.reservedTokens,
          queuedMs: startedAt - queuedAt,
        });
      let result: T;
      try {
        const pending = call.attempt({ attempt, lane: limiter.lane, maxTokens, signal });
        result = own === undefined ? await pending : await untilAborted(pending, signal);
      } catch (error) {
        this.#inFlight--;
        if (signal.aborted) {
          limiter.record({ permit, kind: "aborted", name: "AbortError" });
          throw abortReason(signal);
        }
        const classified = this.#classify(error);
        const { kind } = classified;
        failures ??= [];
        failures.push({ attempt, lane: limiter.lane, kind, name: classified.name, error });
        counts ??= {
          throttled: 0,
          "model-not-ready": 0,
          transient: 0,
          timeout: 0,
          "quota-exhausted": 0,
          final: 0,
        };
        counts[kind]++;
        const stop = this.#stopReason(kind, counts[kind], attempt);
        const waitMs = stop === undefined ? this.#wait(kind, counts[kind]) : 0;
        limiter.record({
          permit,
          kind,
          name: classified.name,
          message: error instanceof Error ? error.message : undefined,
          pauseMs: kind === "quota-exhausted" ? waitMs : undefined,
        });
        if (kind === "throttled" || kind === "quota-exhausted") {
          this.#throttled++;
          if (this.#listeners.throttled.length > 0)
            this.#emit("throttled", {
              lane: limiter.lane,
              recordId: call.recordId,
              attempt,
              kind,
              name: classified.name,
              waitMs,
            });
        }
        if (stop !== undefined) throw this.#fail(call, limiter.lane, stop, failures, classified);
        this.#retries++;
        if (this.#listeners.retrying.length > 0)
          this.#emit("retrying", {
            lane: limiter.lane,
            recordId: call.recordId,
            attempt,
            kind,
            name: classified.name,
            waitMs,
            error,
          });
        if (waitMs > 0) await this.#clock.sleep(waitMs, own);
        continue;
      }
      this.#inFlight--;
      const latencyMs = this.#clock.now() - startedAt;
      let usage: { inputTokens: number; outputTokens: number } | undefined;
      try {
        usage = call.usage(result);
      } finally {
        // Even if reading the usage throws, the permit goes back (as fully used).
        limiter.record({ permit, kind: "success", latencyMs, usage });
      }
      this.#budget.recordSuccess();
      const cutOff = call.stoppedAtMaxTokens?.(result) === true;
      if (auto && cutOff && maxTokens < full) {
        // Cut off at the learned limit: run it again with room to finish, so results never change.
        // A ladder, not the full limit at once: a re-run that ends by itself is the whole reply,
        // and a full-limit reservation (say 32,000 × 5 tokens) would hold a large share of the
        // token quota for the whole of a long reply. A re-run cut off again goes to the full
        // limit.
        rerunLimit = rerunLimit === undefined ? Math.min(full, maxTokens * RERUN_FACTOR) : full;
        this.#reruns++;
        this.#learner.cutOff(lengthKey, maxTokens);
        if (this.#listeners.retrying.length > 0)
          this.#emit("retrying", {
            lane: limiter.lane,
            recordId: call.recordId,
            attempt,
            kind: "max-tokens",
            name: "max_tokens",
            waitMs: 0,
            error: undefined,
          });
        continue;
      }
      if (usage) this.#learner.record(lengthKey, usage.outputTokens);
      this.#completed++;
      if (this.#listeners.completed.length > 0)
        this.#emit("completed", {
          lane: limiter.lane,
          recordId: call.recordId,
          attempt,
          latencyMs,
          inputTokens: usage?.inputTokens,
          outputTokens: usage?.outputTokens,
          maxTokens,
        });
      return result;
    }
  }

  /** The lane to send on: the only one, or the one where the call is expected to start first. */
  #pick(lanes: string | readonly string[], cost: RequestCost): AdaptiveLimiter {
    if (typeof lanes === "string") return this.limiter(lanes);
    if (lanes.length === 1) return this.limiter(lanes[0]!);
    let best: AdaptiveLimiter | undefined;
    let bestDelay = Number.POSITIVE_INFINITY;
    for (const lane of lanes) {
      const limiter = this.limiter(lane);
      const delay = limiter.expectedDelay(cost);
      if (delay < bestDelay) {
        best = limiter;
        bestDelay = delay;
      }
    }
    return best!;
  }

  #stopReason(kind: ErrorKind, count: number, attempt: number): RetryStopReason | undefined {
    if (kind === "final") return "final";
    if (count >= this.#retry.limits[kind])
      return kind === "quota-exhausted" ? "quota-exhausted" : "max-attempts";
    if (attempt >= this.#retry.maxTotalAttempts) return "max-attempts";
    if (!this.#budget.trySpend(kind)) return "retry-budget-exhausted";
    return undefined;
  }

  /** How long to wait before the next attempt, after `count` failures of this kind. */
  #wait(kind: ErrorKind, count: number): number {
    switch (kind) {
      case "throttled":
        return backoff(count - 1, this.#retry.backoffs.throttled);
      case "model-not-ready":
        return backoff(count - 1, this.#retry.backoffs["model-not-ready"]);
      case "quota-exhausted": {
        // Long and nearly fixed: the point is to let minutes pass, not to spread retries out.
        const wait = Math.min(
          this.#retry.quotaMaxWaitMs,
          this.#retry.quotaWaitMs * 2 ** (count - 1),
        );
        return wait * (0.9 + 0.1 * this.#random());
      }
      default:
        return backoff(count - 1, this.#retry.backoffs.transient);
    }
  }

  #fail(
    call: ScheduledCall<unknown>,
    lane: string,
    reason: RetryStopReason,
    failures: AttemptFailure[],
    classified: ClassifiedError,
  ): RetryError {
    this.#failed++;
    const error = new RetryError({
      reason,
      failures,
      ...(call.recordId === undefined ? {} : { recordId: call.recordId }),
    });
    if (this.#listeners.failed.length > 0)
      this.#emit("failed", {
        lane,
        recordId: call.recordId,
        attempts: failures.length,
        reason,
        kind: classified.kind,
        name: classified.name,
        error,
      });
    return error;
  }

  #emit<E extends SchedulerEventName>(event: E, payload: SchedulerEvents[E]): void {
    for (const listener of this.#listeners[event]) listener(payload);
  }
}

/** Rejects as soon as the signal aborts, even if the attempt itself ignores the signal. */
function untilAborted<T>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    pending.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** Checks a call eagerly; returns its full max tokens. */
function validateCall(call: ScheduledCall<unknown>): number {
  const lanes = typeof call.lane === "string" ? [call.lane] : call.lane;
  if (lanes.length === 0 || lanes.some((lane) => typeof lane !== "string" || lane.length === 0))
    throw new TypeError(
      `ScheduledCall.lane must be a lane name or a non-empty list of them; got ${JSON.stringify(call.lane)}`,
    );
  if (!(Number.isFinite(call.inputTokens) && call.inputTokens >= 0))
    throw new RangeError(`ScheduledCall.inputTokens must be a number ≥ 0; got ${call.inputTokens}`);
  if (
    call.outputBurndown !== undefined &&
    !(Number.isFinite(call.outputBurndown) && call.outputBurndown > 0)
  )
    throw new RangeError(
      `ScheduledCall.outputBurndown must be a number > 0; got ${call.outputBurndown}`,
    );
  const full = call.maxTokens === "auto" ? call.fullMaxTokens : call.maxTokens;
  if (!(typeof full === "number" && Number.isInteger(full) && full >= 1))
    throw new RangeError(
      call.maxTokens === "auto"
        ? `ScheduledCall.fullMaxTokens must be an integer ≥ 1 when maxTokens is "auto"; got ${call.fullMaxTokens}`
        : `ScheduledCall.maxTokens must be an integer ≥ 1 or "auto"; got ${String(call.maxTokens)}`,
    );
  return full;
}

function resolveRetry(options: RetryOptions, random: Random): ResolvedRetry {
  const max = options.maxAttempts ?? {};
  const limits: Record<ErrorKind, number> = {
    throttled: count(max.throttled ?? 12, "retry.maxAttempts.throttled"),
    transient: count(max.transient ?? 6, "retry.maxAttempts.transient"),
    timeout: count(max.timeout ?? 3, "retry.maxAttempts.timeout"),
    "model-not-ready": count(max.modelNotReady ?? 8, "retry.maxAttempts.modelNotReady"),
    "quota-exhausted": count(max.quotaExhausted ?? 3, "retry.maxAttempts.quotaExhausted"),
    final: 1,
  };
  const backoffs = {
    throttled: { base: 250, cap: 10_000, ...options.throttledBackoff, random },
    transient: { base: 100, cap: 20_000, ...options.transientBackoff, random },
    "model-not-ready": { base: 2_000, cap: 60_000, ...options.modelNotReadyBackoff, random },
  };
  validateBackoff(backoffs.throttled, "retry.throttledBackoff");
  validateBackoff(backoffs.transient, "retry.transientBackoff");
  validateBackoff(backoffs["model-not-ready"], "retry.modelNotReadyBackoff");
  const quotaWaitMs = options.quotaExhaustedWaitMs ?? 60_000;
  const quotaMaxWaitMs = options.quotaExhaustedMaxWaitMs ?? 600_000;
  if (!(Number.isFinite(quotaWaitMs) && quotaWaitMs >= 0))
    throw new RangeError(`retry.quotaExhaustedWaitMs must be a number ≥ 0; got ${quotaWaitMs}`);
  if (!(quotaMaxWaitMs >= quotaWaitMs))
    throw new RangeError(
      `retry.quotaExhaustedMaxWaitMs must be ≥ retry.quotaExhaustedWaitMs; got ${quotaMaxWaitMs}`,
    );
  return {
    limits,
    maxTotalAttempts: count(options.maxTotalAttempts ?? 20, "retry.maxTotalAttempts"),
    backoffs,
    quotaWaitMs,
    quotaMaxWaitMs,
  };
}

function count(value: number, name: string): number {
  if (!(Number.isInteger(value) && value >= 1))
    throw new RangeError(`${name} must be an integer ≥ 1; got ${value}`);
  return value;
}
