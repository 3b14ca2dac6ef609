import { abortReason, type Clock } from "../clock/clock.js";
import { systemClock } from "../clock/system-clock.js";
import { CONNECTION_LIMIT_ERRORS } from "../errors/classify-error.js";
import { QuarryError } from "../errors/quarry-error.js";
import { type LearnedPhase, LearnedRate } from "./learned-rate.js";
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
  /** Calls in flight at first (the window grows while it is what holds calls back). @default 64 */
  readonly initialConcurrency?: number;
  /** Never more calls in flight than this, however well they go. @default 4096 */
  readonly maxConcurrency?: number;
  /**
   * The first estimate is this many first-call reservations (and requests) per minute; one call
   * goes at once, the rest as the pace (×4 every second while calls wait) allows. @default 8
   */
  readonly initialBurst?: number;
  /**
   * Growth per second before the first throttle. ×4 takes a 50-call job on a fresh quota from
   * one call to all of them in about four seconds (×2 took six); the overshoot when the
   * service's bucket runs dry grows only with the pace at that moment. @default 4
   */
  readonly rampPerSecond?: number;
  /** Growth per second after the first throttle, until the limit is measured. @default 2 */
  readonly searchPerSecond?: number;
  /** Pace this fraction below the limit measured. @default 0.02 */
  readonly margin?: number;
  /** A refusal that comes before the limit can be measured drops the pace to this fraction. @default 0.85 */
  readonly decrease?: number;
  /** On a 503 "Too many connections" concurrency drops to this fraction of the calls in flight. @default 0.7 */
  readonly concurrencyDecrease?: number;
  /** Quiet time before the pace probes above the limit measured, in ms. @default 2000 */
  readonly probeAfterMs?: number;
  /** A window between throttles measures the limit once it was charged this many reservations. @default 3 */
  readonly minimumWindow?: number;
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
  /** Where the token search stands: `ramp` before any throttle, `search`, then `paced`. */
  readonly phase: LearnedPhase;
  readonly throttles: number;
  /** When the lane's pause (after an exhausted quota) ends, on the clock; 0 if not paused. */
  readonly pausedUntil: number;
}

interface Waiter {
  readonly cost: RequestCost;
  readonly resolve: (permit: Permit) => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  done: boolean;
}

/** Bedrock's message when the requests-per-minute bucket ran dry. */
const REQUESTS_MESSAGE = /too many requests/i;

/** How often a waiting queue looks again while a learned pace grows, in ms. */
const GROWTH_CHECK_MS = 100;

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
  readonly #createdAt: number;
  /**
   * Requests per minute: the user's RPM quota, or one learned from the first refusal that says
   * "Too many requests" (see `#throttled`); undefined until then, as Bedrock's RPM quota is not
   * always there.
   */
  #requests: LearnedRate | undefined;
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
    this.#createdAt = this.#clock.now();
    this.#limits = validateKnownLimits(options.limits ?? {}, `limits for lane "${this.lane}"`);
    if (this.#limits.rpm !== undefined)
      this.#requests = new LearnedRate({
        ...this.#learning(),
        known: this.#limits.rpm,
        initial: this.#limits.rpm,
      });
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
        if (this.#concurrencyLimitedAt >= now - Math.max(outcome.latencyMs, 1000))
          this.#growConcurrency();
        break;
      }
      case "throttled": {
        // The service refused the call before charging it.
        tokens.settle(permit.reservedTokens);
        requests?.settle(1);
        this.#throttled(tokens, requests, permit, outcome.message);
        break;
      }
      case "model-not-ready": {
        // The model is warming up: a longer backoff (the scheduler's), not a quota signal. The
        // call was admitted, so its input counts and its output was never produced.
        tokens.settle(permit.reservedTokens - permit.cost.inputTokens);
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
        }
      }
    }
    this.#pump();
  }

  /**
   * Whether the token quota binds here: a limit was given, or the service has refused a call
   * for tokens. Until then a tight `maxTokens` buys nothing.
   */
  get tokensBind(): boolean {
    return this.#limits.tpm !== undefined || (this.#tokens?.throttles ?? 0) > 0;
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
      phase: tokens?.phase ?? "ramp",
      throttles: this.#throttles,
      pausedUntil: this.#pausedUntil > this.#clock.now() ? this.#pausedUntil : 0,
    };
  }

  /** What both dimensions share of the options. */
  #learning() {
    const options = this.#options;
    return {
      clock: this.#clock,
      rampPerSecond: options.rampPerSecond,
      searchPerSecond: options.searchPerSecond,
      margin: options.margin,
      decrease: options.decrease,
      probeAfterMs: options.probeAfterMs,
      minimumWindow: options.minimumWindow,
    };
  }

  #tokenRate(known: number | undefined, firstReservation = 1): LearnedRate {
    return new LearnedRate({
      ...this.#learning(),
      known,
      initial: firstReservation * this.#options.initialBurst,
      initialLevel: firstReservation,
    });
  }

  /**
   * Which bucket ran dry: Bedrock says so in the message ("Too many requests, ..." or "Too many
   * tokens, ...", bedrock-facts §2), and only there. A refusal that names requests teaches the
   * request pace — learned from that moment on, since Bedrock's RPM quota is not always there —
   * and any other teaches the token pace. Each is measured between its own sync points: the
   * token window's charge includes what calls in flight hold, which says nothing about a
   * request limit, and the request count says nothing about a token one.
   */
  #throttled(
    tokens: LearnedRate,
    requests: LearnedRate | undefined,
    permit: Permit,
    message: string | undefined,
  ): void {
    this.#throttles++;
    if (message === undefined || !REQUESTS_MESSAGE.test(message)) {
      tokens.throttled(permit.sequence, this.#sequence, permit.reservedTokens);
      return;
    }
    if (requests) {
      requests.throttled(permit.sequence, this.#sequence, 1);
      return;
    }
    // The first sync point of a request limit: what went through so far proves a lower bound.
    const minutes = (this.#clock.now() - this.#createdAt) / 60_000 + 1;
    this.#requests = new LearnedRate({
      ...this.#learning(),
      initial: Math.max(this.#options.initialBurst, this.#sequence / minutes),
      fromSyncPoint: true,
      // A request is a much smaller unit than a reservation of tokens: a window of requests
      // needs more of them to measure as finely.
      minimumWindow: Math.max(this.#options.minimumWindow, 20),
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
        tokens?.advance(false);
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
      // Read at the grant: a learned maxTokens may have tightened while the call waited.
      const cost = grantedCost(head.cost);
      const reserved = reservedTokens(cost);
      tokens.ensureFits(reserved);
      const requestDelay = requests ? requests.bucket.delayFor(1) : 0;
      const tokenDelay = tokens.bucket.delayFor(reserved);
      // Growth accrues only while a pace holds the queue back (both may at once: a learned pace
      // that stood still whenever the other one held calls too would never get past it).
      tokens.advance(tokenDelay > 0);
      requests?.advance(requestDelay > 0);
      if (requestDelay > 0 || tokenDelay > 0) {
        // A learned pace grows while calls wait, so look again soon rather than at the delay
        // the pace of this moment predicts.
        const delay = Math.max(requestDelay, tokenDelay);
        const learning = !tokens.known || (requests !== undefined && !requests.known);
        this.#wakeIn(learning ? Math.min(delay, GROWTH_CHECK_MS) : delay);
        return;
      }
      queue.shift();
      head.done = true;
      if (head.onAbort) head.signal!.removeEventListener("abort", head.onAbort);
      requests?.reserve(1);
      tokens.reserve(reserved);
      this.#inFlight++;
      head.resolve({
        lane: this.lane,
        reservedTokens: reserved,
        cost,
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

/** A plain copy of a cost, its (possibly learned) fields read now. */
function grantedCost(cost: RequestCost): RequestCost {
  return {
    inputTokens: cost.inputTokens,
    maxTokens: cost.maxTokens,
    outputBurndown: cost.outputBurndown,
  };
}

function finite(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}

/** Fills adaptive options with their defaults, checking each eagerly. */
export function resolveAdaptiveOptions(options: AdaptiveOptions = {}): Required<AdaptiveOptions> {
  return {
    initialConcurrency: check(
      options.initialConcurrency ?? 64,
      "adaptive.initialConcurrency",
      1,
      1e9,
    ),
    maxConcurrency: check(options.maxConcurrency ?? 4096, "adaptive.maxConcurrency", 1, 1e9),
    initialBurst: check(options.initialBurst ?? 8, "adaptive.initialBurst", 1, 1e9),
    rampPerSecond: check(options.rampPerSecond ?? 4, "adaptive.rampPerSecond", 1.01, 100),
    searchPerSecond: check(options.searchPerSecond ?? 2, "adaptive.searchPerSecond", 1.01, 100),
    margin: check(options.margin ?? 0.02, "adaptive.margin", 0, 0.5),
    decrease: check(options.decrease ?? 0.85, "adaptive.decrease", 0.05, 0.99),
    concurrencyDecrease: check(
      options.concurrencyDecrease ?? 0.7,
      "adaptive.concurrencyDecrease",
      0.05,
      0.99,
    ),
    probeAfterMs: check(options.probeAfterMs ?? 2_000, "adaptive.probeAfterMs", 0, 3_600_000),
    minimumWindow: check(options.minimumWindow ?? 3, "adaptive.minimumWindow", 1, 1e6),
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
