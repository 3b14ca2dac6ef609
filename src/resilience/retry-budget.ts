import type { ErrorKind } from "../errors/classify-error.js";

export interface RetryBudgetOptions {
  /** Tokens the budget holds when full. @default 500 */
  readonly capacity?: number;
  /** What a retry after a server or network fault costs. @default 5 */
  readonly retryCost?: number;
  /** What a retry after a timeout costs (a timeout tied up a connection for long). @default 10 */
  readonly timeoutCost?: number;
  /**
   * What a retry after a throttle costs. Throttles are the rate limiter's feedback and are paced
   * by it, so they are cheap here: a live endpoint at its quota must not drain the budget that
   * guards against a dead one. @default 1
   */
  readonly throttledCost?: number;
  /** What a success puts back. @default 1 */
  readonly successRefill?: number;
}

/**
 * A retry budget shared by a whole run, as in Smithy's `StandardRetryStrategy`: a token bucket
 * that retries spend and successes refill. While most calls succeed it never runs dry; when an
 * endpoint fails everything, it empties after a bounded number of retries and every later
 * failure is reported at once instead of retried, so a retry storm shuts itself off.
 */
export class RetryBudget {
  readonly capacity: number;
  readonly #costs: Readonly<Record<ErrorKind, number>>;
  readonly #successRefill: number;
  #tokens: number;

  constructor(options: RetryBudgetOptions = {}) {
    this.capacity = positive(options.capacity ?? 500, "retry.budget.capacity");
    const retryCost = positive(options.retryCost ?? 5, "retry.budget.retryCost");
    this.#costs = {
      transient: retryCost,
      "model-not-ready": retryCost,
      "quota-exhausted": retryCost,
      final: retryCost,
      timeout: positive(options.timeoutCost ?? 10, "retry.budget.timeoutCost"),
      throttled: positive(options.throttledCost ?? 1, "retry.budget.throttledCost"),
    };
    this.#successRefill = positive(options.successRefill ?? 1, "retry.budget.successRefill");
    this.#tokens = this.capacity;
  }

  /** Tokens left. */
  get tokens(): number {
    return this.#tokens;
  }

  /** Takes the cost of retrying after a failure of this kind; false (and takes nothing) if it does not fit. */
  trySpend(kind: ErrorKind): boolean {
    const cost = this.#costs[kind];
    if (cost > this.#tokens) return false;
    this.#tokens -= cost;
    return true;
  }

  /** A call succeeded: put some tokens back. */
  recordSuccess(): void {
    this.#tokens = Math.min(this.capacity, this.#tokens + this.#successRefill);
  }
}

function positive(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0)
    throw new RangeError(`${name} must be a finite number ≥ 0; got ${value}`);
  return value;
}
