/**
 * A counting semaphore: at most `size` holders at once, the rest wait in order. The runner uses
 * it to keep a bounded window of records in flight, so that a million-row input never becomes a
 * million pending promises.
 */
export class SlotPool {
  readonly #size: number;
  #held = 0;
  readonly #waiters: (() => void)[] = [];
  #idle: (() => void)[] = [];

  constructor(size: number) {
    this.#size = Math.max(1, size);
  }

  get held(): number {
    return this.#held;
  }

  /** Resolves when a slot is free (and takes it). */
  acquire(): Promise<void> {
    if (this.#held < this.#size) {
      this.#held++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Frees a slot, handing it straight to the next waiter if any. */
  release(): void {
    const next = this.#waiters.shift();
    if (next) {
      next();
      return;
    }
    this.#held--;
    if (this.#held === 0) {
      const idle = this.#idle;
      this.#idle = [];
      for (const resolve of idle) resolve();
    }
  }

  /** Resolves when no slot is held. */
  drained(): Promise<void> {
    if (this.#held === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }
}
