import { abortReason, type Clock } from "../clock/clock.js";

const MINUTE = 60_000;

/** What one model call asks of a tokens-per-minute quota. */
export interface TokenDemand {
  /** Input tokens (an estimate before the call, the count the service reports after). */
  readonly inputTokens: number;
  /** The request's max_tokens: reserved at the start, the unused part refunded at the end. */
  readonly maxTokens: number;
  /** Output burndown: how many quota tokens one output token consumes (5 for Claude 4-family). */
  readonly outputBurndown: number;
}

/**
 * The tokens Bedrock reserves when a request starts: `input + maxTokens × burndown`.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-token-burndown.html
 */
export function reservedTokens(demand: TokenDemand): number {
  return demand.inputTokens + demand.maxTokens * demand.outputBurndown;
}

/** The tokens a finished request really consumed: `input + output × burndown`. */
export function chargedTokens(
  usage: { readonly inputTokens: number; readonly outputTokens: number },
  outputBurndown: number,
): number {
  return usage.inputTokens + usage.outputTokens * outputBurndown;
}

export interface TokenBucketOptions {
  /** The most the bucket holds, and what it refills per minute (Bedrock quotas are per minute). */
  readonly capacity: number;
  /** Refill per minute. @default capacity */
  readonly refillPerMinute?: number;
  /** What the bucket holds at first. @default capacity */
  readonly initialLevel?: number;
  /** @default systemClock (pass the same clock as the rest of the run) */
  readonly clock: Clock;
}

interface Waiter {
  readonly amount: number;
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/**
 * A token bucket refilled continuously at `refillPerMinute`, holding at most `capacity`: the
 * shape of Bedrock's TPM and RPM quotas. A TPM bucket is charged a request's reservation
 * (`reservedTokens`) when it starts and given back the unused part (`refund`) when it ends;
 * an RPM bucket is charged 1 per request. `acquire` waits, abortably and on the injected clock,
 * until the amount fits; waiters are served first come, first served.
 */
export class TokenBucket {
  readonly #clock: Clock;
  #capacity: number;
  #refillPerMs: number;
  #level: number;
  #updatedAt: number;
  readonly #waiters: Waiter[] = [];
  #timer: AbortController | undefined;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(options: TokenBucketOptions) {
    this.#clock = options.clock;
    this.#capacity = checkPositive(options.capacity, "capacity");
    this.#refillPerMs =
      checkPositive(options.refillPerMinute ?? options.capacity, "refillPerMinute") / MINUTE;
    this.#level = Math.min(this.#capacity, options.initialLevel ?? this.#capacity);
    this.#updatedAt = this.#clock.now();
  }

  get capacity(): number {
    return this.#capacity;
  }

  get refillPerMinute(): number {
    return this.#refillPerMs * MINUTE;
  }

  /** What the bucket holds now (may be negative after a forced take or a resize). */
  get level(): number {
    this.#refill();
    return this.#level;
  }

  /** Number of `acquire` calls waiting. */
  get waiting(): number {
    return this.#waiters.length;
  }

  /** Takes `amount` if it fits now (and nobody waits ahead); true if it did. */
  tryTake(amount: number): boolean {
    this.#refill();
    if (this.#waiters.length > 0 || this.#level < amount) return false;
    this.#level -= amount;
    return true;
  }

  /** Takes `amount` whether it fits or not: the level may go negative and later takes wait. */
  take(amount: number): void {
    this.#refill();
    this.#level -= amount;
  }

  /** Gives back tokens (the unused part of a reservation), never above capacity. */
  refund(amount: number): void {
    this.#refill();
    this.#level = Math.min(this.#capacity, this.#level + amount);
    this.#serve();
  }

  /** Lowers the level to at most `level` (what an observation says the real bucket holds). */
  lowerTo(level: number): void {
    this.#refill();
    if (level < this.#level) this.#level = level;
  }

  /** Milliseconds until `amount` fits (0 if it fits now; Infinity if it never can). */
  delayFor(amount: number): number {
    this.#refill();
    if (this.#level >= amount) return 0;
    if (amount > this.#capacity) return Number.POSITIVE_INFINITY;
    return (amount - this.#level) / this.#refillPerMs;
  }

  /**
   * Changes the capacity and refill rate, keeping what is in use: a lower capacity applies at
   * once, a higher one fills over time (as the service's own quota does).
   */
  resize(capacity: number, refillPerMinute = capacity): void {
    this.#refill();
    checkPositive(capacity, "capacity");
    const used = this.#capacity - this.#level;
    this.#capacity = capacity;
    this.#level = Math.min(capacity, capacity - used);
    this.#refillPerMs = checkPositive(refillPerMinute, "refillPerMinute") / MINUTE;
    this.#serve();
  }

  /**
   * Changes the capacity and refill rate, keeping the level (clamped to the new capacity): a
   * learned estimate that creeps up must not hand out the difference as a burst.
   */
  retune(capacity: number, refillPerMinute = capacity): void {
    this.#refill();
    this.#capacity = checkPositive(capacity, "capacity");
    this.#refillPerMs = checkPositive(refillPerMinute, "refillPerMinute") / MINUTE;
    if (this.#level > capacity) this.#level = capacity;
    this.#serve();
  }

  /** Waits until `amount` fits, then takes it. Rejects at once if it can never fit. */
  acquire(amount: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (amount > this.#capacity)
      return Promise.reject(
        new RangeError(
          `A cost of ${amount} can never fit a bucket of capacity ${this.#capacity}; raise the quota or lower the request's maxTokens.`,
        ),
      );
    if (this.tryTake(amount)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        amount,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(abortReason(signal!));
          this.#serve();
        },
      };
      signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.#waiters.push(waiter);
      this.#serve();
    });
  }

  #refill(): void {
    const now = this.#clock.now();
    const elapsed = now - this.#updatedAt;
    if (elapsed > 0) {
      if (this.#level < this.#capacity)
        this.#level = Math.min(this.#capacity, this.#level + elapsed * this.#refillPerMs);
      this.#updatedAt = now;
    }
  }

  /** Admits waiters in order while they fit, then sleeps until the first one will. */
  #serve(): void {
    this.#refill();
    while (this.#waiters.length > 0) {
      const head = this.#waiters[0]!;
      if (this.#level < head.amount) break;
      this.#waiters.shift();
      this.#level -= head.amount;
      head.signal?.removeEventListener("abort", head.onAbort);
      head.resolve();
    }
    const head = this.#waiters[0];
    if (!head) {
      this.#cancelTimer();
      return;
    }
    const delay = this.delayFor(head.amount);
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
        this.#serve();
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

function checkPositive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0))
    throw new RangeError(`TokenBucket ${name} must be a finite number > 0; got ${value}`);
  return value;
}
