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
  /**
   * Calls in flight at first. Concurrency is rarely what binds on Bedrock (tokens and requests
   * per minute are), so it starts at the ceiling and only a 503 "Too many connections" lowers
   * it. @default maxConcurrency
   */
  readonly initialConcurrency?: number;
  /** Never more calls in flight than this. @default 4096 */
  readonly maxConcurrency?: number;
  /** The first token estimate is this many first-call reservations per minute. @default 4 */
  readonly initialBurst?: number;
  /** Slow start doubles the estimate this often while it holds sends back, in ms. @default 250 */
  readonly slowStartDoublingMs?: number;
  /** A throttle with nothing measured drops the estimate to this fraction. @default 0.7 */
  readonly decrease?: number;
  /** A measured throttle sets the estimate to this fraction of the rate measured. @default 0.97 */
  readonly headroom?: number;
  /**
   * After a throttle the estimate regrows cubically while it holds sends back: flat at first,
   * double after this much time, in ms. @default 8000
   */
  readonly probeMs?: number;
  /**
   * A window between two throttles measures the token limit once the service admitted this
   * many refused reservations' worth in it. @default 8
   */
  readonly measureCalls?: number;
  /** The same for the request limit, in requests. @default 30 */
  readonly measureRequests?: number;
  /** Windows between throttles shorter than this never measure, in ms. @default 1000 */
  readonly minimumWindowMs?: number;
  /** Windows longer than this never measure, in ms. @default 60000 */
  readonly maximumWindowMs?: number;
  /** On a 503 "Too many connections" concurrency drops to this fraction of the calls in flight. @default 0.7 */
  readonly concurrencyDecrease?: number;
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

/** While an estimate holds sends back it grows; the queue looks again this often, in ms. */
const GROWTH_TICK_MS = 100;


interface Waiter {
  cost: RequestCost;
  reserved: number;
  /** Recomputes the cost when the call reaches the head of the queue. */
  readonly refresh: (() => RequestCost) | undefined;
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
 * Discovers a lane's quota that nobody told it, and paces calls at it: a `RateLimiter` with a
 * shadow of each of the service's buckets (tokens per minute with max_tokens reserved, requests
 * per minute; see `LearnedRate`). It ramps up quickly, treats each throttle as the moment the
 * service's bucket is empty, measures the limit as what the service admitted between such
 * moments, settles just under it, probes for more while nothing is refused, and uses any limit it
 * is given directly. Concurrency starts at its ceiling and only a 503 "Too many connections"
 * lowers it. Waiting calls are served first come, first served (retries ahead of first tries).
 */
export class AdaptiveLimiter implements RateLimiter {
  readonly lane: string;
  readonly #clock: Clock;
  readonly #options: Required<AdaptiveOptions>;
  readonly #limits: KnownLimits;
  readonly #requests: LearnedRate;
  #tokens: LearnedRate | undefined;
  #concurrency: number;
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
    // Requests per minute limit nothing until a throttle measures them (Bedrock's RPM is often
    // generous next to its TPM); a known one is used as given.
    this.#requests = this.#rate(this.#limits.rpm, Number.POSITIVE_INFINITY, false, "requests");
    this.#concurrency = Math.min(
      this.#options.maxConcurrency,
      this.#limits.concurrency ?? this.#options.initialConcurrency,
    );
    if (this.#limits.tpm !== undefined)
      this.#tokens = this.#rate(this.#limits.tpm, this.#limits.tpm, false, "tokens");
  }

  /**
   * Waits until the call fits every limit, then reserves it. `retry` puts the call ahead of
   * calls that have not been tried yet. `refresh`, if given, recomputes the cost when the call
   * reaches the head of the queue (a learned max tokens may have changed while it waited); the
   * permit carries the cost granted.
   */
  acquire(
    cost: RequestCost,
    signal?: AbortSignal,
    retry = false,
    refresh?: () => RequestCost,
  ): Promise<Permit> {
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
    if (!this.#tokens)
      this.#tokens = this.#rate(
        undefined,
        reserved * this.#options.initialBurst,
        true,
        "tokens",
        reserved,
      );
    this.#tokens.ensureFits(reserved);
    return new Promise<Permit>((resolve, reject) => {
      const waiter: Waiter = {
        cost,
        reserved,
        refresh,
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
        const window = Math.max(outcome.latencyMs, 1000);
        if (this.#concurrencyLimitedAt >= now - window) this.#growConcurrency();
        break;
      }
      case "throttled": {
        // Refused before anything was charged: the service's buckets are empty right now.
        tokens.settle(permit.reservedTokens);
        requests.settle(1);
        this.#throttles++;
        this.#throttled(tokens, requests, permit);
        break;
      }
      case "quota-exhausted": {
        tokens.settle(permit.reservedTokens);
        requests.settle(1);
        this.#pausedUntil = Math.max(this.#pausedUntil, now + (outcome.pauseMs ?? 0));
        break;
      }
      default: {
        if (CONNECTION_LIMIT_ERRORS.has(outcome.name)) {
          // Refused at the door: nothing was charged, but fewer calls at once are welcome.
          tokens.settle(permit.reservedTokens);
          requests.settle(1);
          this.#cutConcurrency(permit.sequence);
        } else {
          // Admitted, then failed (a server fault, a reset, a timeout, the model warming up):
          // its input counts, its output was never produced. Not a quota signal: no cut.
          tokens.settle(permit.reservedTokens - permit.cost.inputTokens);
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
    const requestsPerMinute = this.#requests.estimate;
    const interval = Math.max(
      Number.isFinite(requestsPerMinute) ? 60_000 / requestsPerMinute : 0,
      (reserved * 60_000) / tokensPerMinute,
    );
    const waiting = this.#retries.size + this.#firsts.size;
    let delay = Math.max(0, this.#pausedUntil - now);
    delay = Math.max(delay, this.#requests.delayFor(1));
    if (this.#tokens) delay = Math.max(delay, this.#tokens.delayFor(reserved));
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
      requestsPerMinute: finite(requests.estimate),
      measuredRequestsPerMinute: finite(requests.measuredLimit),
      slowStart: tokens?.inSlowStart ?? true,
      throttles: this.#throttles,
      pausedUntil: this.#pausedUntil > this.#clock.now() ? this.#pausedUntil : 0,
    };
  }

  /**
   * A throttle does not say which bucket ran dry (only its message does, and messages never
   * decide anything here). Tokens are Bedrock's primary quota: the token shadow takes it while
   * tokens held sends back just before. A refusal the token shadow cannot explain — tokens were
   * not what held sends back, so it had room — is evidence of a requests-per-minute limit, which
   * is learned from then on (measured the same way, from what the service admitted).
   */
  #throttled(tokens: LearnedRate, requests: LearnedRate, permit: Permit): void {
    if (permit.tight === "requests") requests.throttled(permit.sequence, this.#sequence, 1);
    else if (permit.tight === "tokens" || tokens.inSlowStart)
      tokens.throttled(permit.sequence, this.#sequence, permit.reservedTokens);
    else requests.throttled(permit.sequence, this.#sequence, 1);
  }

  #rate(
    known: number | undefined,
    initial: number,
    slowStart: boolean,
    dimension: "tokens" | "requests",
    initialLevel?: number,
  ): LearnedRate {
    const options = this.#options;
    return new LearnedRate({
      clock: this.#clock,
      known,
      initial,
      // A learned limit starts with room for one call: a drained bucket refuses no burst.
      ...(initialLevel === undefined ? {} : { initialLevel }),
      slowStart,
      doublingMs: options.slowStartDoublingMs,
      decrease: options.decrease,
      headroom: options.headroom,
      probeMs: options.probeMs,
      measureCalls: dimension === "tokens" ? options.measureCalls : options.measureRequests,
      minimumWindowMs: options.minimumWindowMs,
      maximumWindowMs: options.maximumWindowMs,
    });
  }

  #growConcurrency(): void {
    if (this.#limits.concurrency !== undefined) return;
    this.#concurrency = Math.min(
      this.#options.maxConcurrency,
      this.#concurrency + 1 / this.#concurrency,
    );
  }

  #cutConcurrency(sequence: number): void {
    if (this.#limits.concurrency !== undefined || sequence < this.#concurrencyCutSequence) return;
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
      if (head.refresh) {
        head.cost = head.refresh();
        head.reserved = reservedTokens(head.cost);
        tokens.ensureFits(head.reserved);
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
      let requestDelay = requests.delayFor(1);
      if (requestDelay > 0) {
        requests.blocked(now);
        requestDelay = requests.delayFor(1);
      }
      let tokenDelay = tokens.delayFor(head.reserved);
      if (tokenDelay > 0) {
        tokens.blocked(now);
        tokenDelay = tokens.delayFor(head.reserved);
      }
      if (requestDelay > 0 || tokenDelay > 0) {
        // A learned estimate grows while it holds sends back: look again soon.
        this.#wakeIn(Math.min(Math.max(requestDelay, tokenDelay), GROWTH_TICK_MS));
        return;
      }
      requests.passed(now);
      tokens.passed(now);
      queue.shift();
      head.done = true;
      if (head.onAbort) head.signal!.removeEventListener("abort", head.onAbort);
      requests.reserve(1);
      tokens.reserve(head.reserved);
      this.#inFlight++;
      head.resolve({
        lane: this.lane,
        reservedTokens: head.reserved,
        cost: head.cost,
        acquiredAt: now,
        sequence: this.#sequence++,
        tight:
          requests.delayFor(1) > 0
            ? "requests"
            : tokens.delayFor(head.reserved) > 0
              ? "tokens"
              : undefined,
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
  const maxConcurrency = check(options.maxConcurrency ?? 4096, "adaptive.maxConcurrency", 1, 1e9);
  return {
    initialConcurrency: check(
      options.initialConcurrency ?? maxConcurrency,
      "adaptive.initialConcurrency",
      1,
      1e9,
    ),
    maxConcurrency,
    initialBurst: check(options.initialBurst ?? 4, "adaptive.initialBurst", 1, 1e9),
    slowStartDoublingMs: check(
      options.slowStartDoublingMs ?? 250,
      "adaptive.slowStartDoublingMs",
      10,
      600_000,
    ),
    decrease: check(options.decrease ?? 0.7, "adaptive.decrease", 0.05, 0.99),
    headroom: check(options.headroom ?? 0.97, "adaptive.headroom", 0.5, 1),
    probeMs: check(options.probeMs ?? 8_000, "adaptive.probeMs", 100, 3_600_000),
    measureCalls: check(options.measureCalls ?? 8, "adaptive.measureCalls", 1, 1e6),
    measureRequests: check(options.measureRequests ?? 30, "adaptive.measureRequests", 1, 1e6),
    minimumWindowMs: check(
      options.minimumWindowMs ?? 1_000,
      "adaptive.minimumWindowMs",
      1,
      3_600_000,
    ),
    maximumWindowMs: check(
      options.maximumWindowMs ?? 60_000,
      "adaptive.maximumWindowMs",
      1,
      86_400_000,
    ),
    concurrencyDecrease: check(
      options.concurrencyDecrease ?? 0.7,
      "adaptive.concurrencyDecrease",
      0.05,
      0.99,
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
