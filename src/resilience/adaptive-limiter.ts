import { abortReason, type Clock } from "../clock/clock.js";
import { systemClock } from "../clock/system-clock.js";
import { CONNECTION_LIMIT_ERRORS } from "../errors/classify-error.js";
import { QuarryError } from "../errors/quarry-error.js";
import { LearnedRate } from "./learned-rate.js";
import type { LimiterOutcome, Permit, RateLimiter, RequestCost } from "./rate-limiter.js";
import { chargedTokens, reservedTokens } from "./token-bucket.js";

/** Limits the user knows for a lane; each one given is used as is instead of learned. */
export interface KnownLimits {
  /** Tokens per minute (input + output × burndown, with max_tokens reserved at the start). */
  readonly tpm?: number;
  /** Requests per minute. */
  readonly rpm?: number;
  /** Calls in flight at once. */
  readonly concurrency?: number;
}

/** How the limiter discovers what it is not told. */
export interface AdaptiveOptions {
  /** Calls in flight at first. @default 4 */
  readonly initialConcurrency?: number;
  /** Never more calls in flight than this, however well they go. @default 4096 */
  readonly maxConcurrency?: number;
  /** The first token estimate is this many first-call reservations per minute. @default 4 */
  readonly initialBurst?: number;
  /** On a throttle the rate drops to this fraction of the limit measured. @default 0.7 */
  readonly decrease?: number;
  /** On ModelNotReady the rate drops only to this fraction (the model warms up; the quota is fine). @default 0.9 */
  readonly modelNotReadyDecrease?: number;
  /** On a 503 "Too many connections" concurrency drops to this fraction of the calls in flight. @default 0.7 */
  readonly concurrencyDecrease?: number;
  /**
   * Time for the rate to climb back to the limit measured at the last throttle, in ms (at least
   * three round trips, since feedback arrives a round trip late). @default 30000
   */
  readonly recoveryMs?: number;
  /** Calls finished between two throttles before the rate measured between them is trusted. @default 8 */
  readonly minimumWindowCalls?: number;
}

export interface AdaptiveLimiterOptions extends AdaptiveOptions {
  /** The lane this limiter paces (for permits, errors and snapshots). @default "default" */
  readonly lane?: string;
  readonly limits?: KnownLimits;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** What a limiter knows and does right now. */
export interface LimiterSnapshot {
  readonly lane: string;
  readonly inFlight: number;
  readonly waiting: number;
  readonly concurrency: number;
  /** The token limit in force (known or estimated), per minute; undefined before the first call. */
  readonly tokensPerMinute: number | undefined;
  /** The token limit measured at the last throttle, per minute. */
  readonly measuredTokensPerMinute: number | undefined;
  /** The request limit in force, per minute; undefined while requests are not limited. */
  readonly requestsPerMinute: number | undefined;
  readonly measuredRequestsPerMinute: number | undefined;
  readonly slowStart: boolean;
  readonly throttles: number;
  /** When the lane's pause (after an exhausted quota) ends, on the clock; 0 if not paused. */
  readonly pausedUntil: number;
}

interface Waiter {
  readonly cost: RequestCost;
  readonly reserved: number;
  readonly resolve: (permit: Permit) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  done: boolean;
}

/** A first-in, first-out queue that drops aborted waiters lazily (O(1) everywhere). */
class WaitQueue {
  #items: Waiter[] = [];
  #head = 0;
  #live = 0;

  get size(): number {
    return this.#live;
  }

  push(waiter: Waiter): void {
    this.#items.push(waiter);
    this.#live++;
  }

  peek(): Waiter | undefined {
    while (this.#head < this.#items.length) {
      const waiter = this.#items[this.#head]!;
      if (!waiter.done) return waiter;
      this.#head++;
    }
    // Empty: start over in place (no allocation on the hot path).
    this.#items.length = 0;
    this.#head = 0;
    return undefined;
  }

  shift(): Waiter | undefined {
    const waiter = this.peek();
    if (!waiter) return undefined;
    this.#head++;
    this.#live--;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) this.#compact();
    return waiter;
  }

  /** A waiter left the queue early (aborted). */
  forget(): void {
    this.#live--;
  }

  #compact(): void {
    this.#items = this.#items.slice(this.#head);
    this.#head = 0;
  }
}

/**
 * Discovers a lane's quota that nobody told it, and paces calls just under it: a `RateLimiter`
 * with a shadow of each of the service's buckets (tokens per minute with max_tokens reserved,
 * requests per minute; see `LearnedRate`) and an adaptive concurrency window. It starts
 * cautiously, grows while calls succeed, backs off multiplicatively on throttles (learning the
 * limit from where they begin), re-adapts when the limit moves, and uses any limit it is given
 * directly. Waiting calls are served first come, first served (retries ahead of first tries).
 */
export class AdaptiveLimiter implements RateLimiter {
  readonly lane: string;
  readonly #clock: Clock;
  readonly #options: Required<AdaptiveOptions>;
  readonly #limits: KnownLimits;
  /** Undefined until a throttle shows a limit other than tokens (Bedrock's RPM is optional). */
  #requests: LearnedRate | undefined;
  /** Calls the service admitted that have finished, and their count at the last token cut. */
  #finished = 0;
  #edgeFinished = 0;
  #windowRequestRate = 0;
  /** Recent calls' duration, smoothed: the limiter's round trip. */
  #latencyMs = 0;
  #edgeAt: number;
  #tokens: LearnedRate | undefined;
  #concurrency: number;
  #concurrencySlowStart: boolean;
  #concurrencyCutSequence = -1;
  #concurrencyLimitedAt = Number.NEGATIVE_INFINITY;
  #inFlight = 0;
  #sequence = 0;
  #pausedUntil = 0;
  #throttles = 0;
  readonly #retries = new WaitQueue();
  readonly #firsts = new WaitQueue();
  #timer: AbortController | undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(options: AdaptiveLimiterOptions = {}) {
    this.lane = options.lane ?? "default";
    this.#clock = options.clock ?? systemClock;
    this.#options = resolveAdaptiveOptions(options);
    this.#limits = validateKnownLimits(options.limits ?? {}, `limits for lane "${this.lane}"`);
    this.#edgeAt = this.#clock.now();
    if (this.#limits.rpm !== undefined) this.#requests = this.#requestRate(this.#limits.rpm);
    this.#concurrency = this.#limits.concurrency ?? this.#options.initialConcurrency;
    this.#concurrencySlowStart = this.#limits.concurrency === undefined;
    if (this.#limits.tpm !== undefined) this.#tokens = this.#tokenRate(this.#limits.tpm);
  }

  /**
   * Waits until the call fits every limit, then reserves it. `retry` puts the call ahead of
   * calls that have not been tried yet.
   */
  acquire(cost: RequestCost, signal?: AbortSignal, retry = false): Promise<Permit> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    const reserved = reservedTokens(cost);
    if (this.#limits.tpm !== undefined && reserved > this.#limits.tpm) {
      return Promise.reject(
        new QuarryError(
          "limiter.reservation-exceeds-quota",
          `A call reserving ${reserved} tokens (input + maxTokens × burndown) can never fit the lane "${this.lane}" limit of ${this.#limits.tpm} tokens per minute.`,
          { hint: "Lower maxTokens (or use maxTokens: 'auto'), or raise the tpm limit." },
        ),
      );
    }
    if (!this.#tokens) this.#tokens = this.#tokenRate(undefined, reserved);
    this.#tokens.ensureFits(reserved);
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = {
        cost,
        reserved,
        resolve,
        reject,
        signal,
        onAbort: undefined,
        done: false,
      };
      const queue = retry ? this.#retries : this.#firsts;
      queue.push(waiter);
      this.#pump();
      if (!waiter.done && signal) {
        waiter.onAbort = () => {
          if (waiter.done) return;
          waiter.done = true;
          queue.forget();
          reject(abortReason(signal));
          this.#pump();
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
    });
  }

  record(outcome: LimiterOutcome): void {
    const { permit } = outcome;
    const tokens = this.#tokens!;
    const requests = this.#requests;
    const now = this.#clock.now();
    this.#inFlight--;
    switch (outcome.kind) {
      case "success": {
        const charged = outcome.usage
          ? chargedTokens(outcome.usage, permit.cost.outputBurndown)
          : permit.reservedTokens;
        tokens.settle(permit.reservedTokens - charged);
        tokens.finished(charged, permit.sequence);
        requests?.finished(1, permit.sequence);
        this.#finished++;
        const window = Math.max(outcome.latencyMs, 1000);
        this.#latencyMs += 0.1 * (outcome.latencyMs - this.#latencyMs);
        if (tokens.limitedAt >= now - window)
          tokens.grow(charged, permit.reservedTokens, outcome.latencyMs);
        if (requests && requests.limitedAt >= now - window) requests.grow(1, 1, outcome.latencyMs);
        if (this.#concurrencyLimitedAt >= now - window) this.#growConcurrency();
        break;
      }
      case "throttled": {
        // The service refused the call before charging it.
        tokens.settle(permit.reservedTokens);
        requests?.settle(1);
        this.#throttled(tokens, requests, permit, now);
        break;
      }
      case "model-not-ready": {
        tokens.settle(permit.reservedTokens - permit.cost.inputTokens);
        tokens.finished(permit.cost.inputTokens, permit.sequence);
        requests?.finished(1, permit.sequence);
        this.#finished++;
        tokens.soften(this.#options.modelNotReadyDecrease, permit.sequence, this.#sequence);
        requests?.soften(this.#options.modelNotReadyDecrease, permit.sequence, this.#sequence);
        break;
      }
      case "quota-exhausted": {
        tokens.settle(permit.reservedTokens);
        requests?.settle(1);
        this.#pausedUntil = Math.max(this.#pausedUntil, now + (outcome.pauseMs ?? 0));
        break;
      }
      default: {
        if (CONNECTION_LIMIT_ERRORS.has(outcome.name)) {
          // Refused at the door: nothing was charged, but fewer calls at once are welcome.
          tokens.settle(permit.reservedTokens);
          requests?.settle(1);
          this.#cutConcurrency(permit.sequence);
        } else {
          // The call was admitted and failed: its input counts, its output was never produced.
          tokens.settle(permit.reservedTokens - permit.cost.inputTokens);
          tokens.finished(permit.cost.inputTokens, permit.sequence);
          requests?.finished(1, permit.sequence);
          this.#finished++;
        }
      }
    }
    this.#pump();
  }

  /** Estimated ms before a call of this cost would be sent here (for choosing among lanes). */
  expectedDelay(cost: RequestCost): number {
    const now = this.#clock.now();
    const reserved = reservedTokens(cost);
    const tokensPerMinute = this.#tokens?.estimate ?? reserved * this.#options.initialBurst;
    const interval = Math.max(
      this.#requests ? 60_000 / this.#requests.estimate : 0,
      (reserved * 60_000) / tokensPerMinute,
    );
    const waiting = this.#retries.size + this.#firsts.size;
    let delay = Math.max(0, this.#pausedUntil - now);
    if (this.#requests) delay = Math.max(delay, this.#requests.bucket.delayFor(1));
    if (this.#tokens) delay = Math.max(delay, this.#tokens.bucket.delayFor(reserved));
    if (this.#inFlight >= Math.floor(this.#concurrency)) delay = Math.max(delay, interval);
    return delay + waiting * interval;
  }

  snapshot(): LimiterSnapshot {
    const tokens = this.#tokens;
    const requests = this.#requests;
    return {
      lane: this.lane,
      inFlight: this.#inFlight,
      waiting: this.#retries.size + this.#firsts.size,
      concurrency: Math.floor(this.#concurrency),
      tokensPerMinute: tokens?.estimate,
      measuredTokensPerMinute: finite(tokens?.measuredLimit),
      requestsPerMinute: requests?.estimate,
      measuredRequestsPerMinute: finite(requests?.measuredLimit),
      slowStart: tokens?.inSlowStart ?? true,
      throttles: this.#throttles,
      pausedUntil: this.#pausedUntil > this.#clock.now() ? this.#pausedUntil : 0,
    };
  }

  #tokenRate(known: number | undefined, firstReservation = 1): LearnedRate {
    return new LearnedRate({
      clock: this.#clock,
      known,
      initial: firstReservation * this.#options.initialBurst,
      decrease: this.#options.decrease,
      recoveryMs: this.#options.recoveryMs,
      minimumWindowCalls: this.#options.minimumWindowCalls,
    });
  }

  /**
   * A throttle does not say which bucket ran dry (only its message does, and messages never
   * decide anything here). Tokens are Bedrock's primary quota, so the token shadow takes the cut
   * unless a learned request limit is what holds sends back. A refusal that the token shadow
   * cannot explain — a call granted after the shadow was re-synchronised to the service's empty
   * bucket, on refunds the service would have received too — is evidence of a
   * requests-per-minute limit: one is learned from then on, starting below the request rate
   * measured since the last cut.
   */
  #throttled(
    tokens: LearnedRate,
    requests: LearnedRate | undefined,
    permit: Permit,
    now: number,
  ): void {
    this.#throttles++;
    const recent = now - 2000;
    const requestsBinding = requests !== undefined && requests.limitedAt >= recent;
    const tokensBinding = tokens.limitedAt >= recent;
    const firstCut = tokens.inSlowStart;
    const verdict =
      tokensBinding || !requestsBinding
        ? tokens.throttled(permit.sequence, this.#sequence, this.#latencyMs)
        : "ignored";
    if (requests) {
      if (requestsBinding || !tokensBinding)
        requests.throttled(permit.sequence, this.#sequence, this.#latencyMs);
    } else if (verdict === "unexplained" && this.#windowRequestRate > 0) {
      this.#requests = this.#requestRate(
        undefined,
        Math.max(1, this.#windowRequestRate * this.#options.decrease),
      );
    }
    if (verdict === "cut") {
      // The request rate over the window that just ended (from nearly empty to nearly empty;
      // the first one began with a full bucket, a minute's worth), should a request limit
      // need learning.
      const minutes = (now - this.#edgeAt) / 60_000 + (firstCut ? 1 : 0);
      if (minutes > 0) this.#windowRequestRate = (this.#finished - this.#edgeFinished) / minutes;
      this.#edgeAt = now;
      this.#edgeFinished = this.#finished;
    }
  }

  #requestRate(known: number | undefined, initial = 1): LearnedRate {
    return new LearnedRate({
      clock: this.#clock,
      known,
      initial,
      slowStart: false,
      decrease: this.#options.decrease,
      recoveryMs: this.#options.recoveryMs,
      minimumWindowCalls: this.#options.minimumWindowCalls,
    });
  }

  #growConcurrency(): void {
    if (this.#limits.concurrency !== undefined) return;
    const step = this.#concurrencySlowStart ? 1 : 1 / this.#concurrency;
    this.#concurrency = Math.min(this.#options.maxConcurrency, this.#concurrency + step);
  }

  #cutConcurrency(sequence: number): void {
    if (this.#limits.concurrency !== undefined || sequence < this.#concurrencyCutSequence) return;
    this.#concurrencySlowStart = false;
    this.#concurrencyCutSequence = this.#sequence;
    this.#concurrency = Math.max(
      1,
      Math.floor((this.#inFlight + 1) * this.#options.concurrencyDecrease),
    );
  }

  /** Grants waiting calls while they fit; otherwise sleeps until the head of the queue will. */
  #pump(): void {
    const tokens = this.#tokens;
    const requests = this.#requests;
    for (;;) {
      const queue = this.#retries.size > 0 ? this.#retries : this.#firsts;
      const head = queue.peek();
      if (!head || !tokens) {
        this.#cancelTimer();
        return;
      }
      const now = this.#clock.now();
      if (now < this.#pausedUntil) {
        this.#wakeIn(this.#pausedUntil - now);
        return;
      }
      if (this.#inFlight >= Math.floor(this.#concurrency)) {
        // A finishing call wakes the queue.
        this.#concurrencyLimitedAt = now;
        this.#cancelTimer();
        return;
      }
      const requestDelay = requests ? requests.bucket.delayFor(1) : 0;
      const tokenDelay = tokens.bucket.delayFor(head.reserved);
      if (requestDelay > 0 || tokenDelay > 0) {
        if (requestDelay > 0) requests!.limitedAt = now;
        if (tokenDelay > 0) tokens.limitedAt = now;
        this.#wakeIn(Math.max(requestDelay, tokenDelay));
        return;
      }
      queue.shift();
      head.done = true;
      if (head.onAbort) head.signal!.removeEventListener("abort", head.onAbort);
      requests?.reserve(1);
      tokens.reserve(head.reserved);
      this.#inFlight++;
      head.resolve({
        lane: this.lane,
        reservedTokens: head.reserved,
        cost: head.cost,
        acquiredAt: now,
        sequence: this.#sequence++,
      });
    }
  }

  #wakeIn(delay: number): void {
    const at = this.#clock.now() + delay;
    if (this.#timer && this.#timerAt <= at) return;
    this.#cancelTimer();
    const timer = new AbortController();
    this.#timer = timer;
    this.#timerAt = at;
    this.#clock.sleep(Math.max(1, Math.ceil(delay)), timer.signal).then(
      () => {
        if (this.#timer !== timer) return;
        this.#timer = undefined;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.#pump();
      },
      () => {},
    );
  }

  #cancelTimer(): void {
    if (!this.#timer) return;
    const timer = this.#timer;
    this.#timer = undefined;
    this.#timerAt = Number.POSITIVE_INFINITY;
    timer.abort();
  }
}

function finite(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

/** Fills adaptive options with their defaults, checking each eagerly. */
export function resolveAdaptiveOptions(options: AdaptiveOptions = {}): Required<AdaptiveOptions> {
  const initialBurst = check(options.initialBurst ?? 4, "adaptive.initialBurst", 1, 1e9);
  return {
    initialConcurrency: check(
      options.initialConcurrency ?? 4,
      "adaptive.initialConcurrency",
      1,
      1e9,
    ),
    maxConcurrency: check(options.maxConcurrency ?? 4096, "adaptive.maxConcurrency", 1, 1e9),
    initialBurst,
    decrease: check(options.decrease ?? 0.7, "adaptive.decrease", 0.05, 0.99),
    modelNotReadyDecrease: check(
      options.modelNotReadyDecrease ?? 0.9,
      "adaptive.modelNotReadyDecrease",
      0.05,
      1,
    ),
    concurrencyDecrease: check(
      options.concurrencyDecrease ?? 0.7,
      "adaptive.concurrencyDecrease",
      0.05,
      0.99,
    ),
    recoveryMs: check(options.recoveryMs ?? 30_000, "adaptive.recoveryMs", 100, 3_600_000),
    minimumWindowCalls: check(
      options.minimumWindowCalls ?? 8,
      "adaptive.minimumWindowCalls",
      1,
      1e6,
    ),
  };
}

/** Checks known limits eagerly: each must be a positive number. */
export function validateKnownLimits(limits: KnownLimits, name: string): KnownLimits {
  for (const key of ["tpm", "rpm", "concurrency"] as const) {
    const value = limits[key];
    if (value !== undefined && !(Number.isFinite(value) && value > 0))
      throw new RangeError(`${name}: ${key} must be a finite number > 0; got ${value}`);
  }
  return limits;
}

function check(value: number, name: string, minimum: number, maximum: number): number {
  if (!(Number.isFinite(value) && value >= minimum && value <= maximum))
    throw new RangeError(
      `${name} must be a number between ${minimum} and ${maximum}; got ${value}`,
    );
  return value;
}
