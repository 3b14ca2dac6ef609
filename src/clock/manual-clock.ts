import { abortReason, type Clock } from "./clock.js";

interface Timer {
  readonly at: number;
  readonly sequence: number;
  readonly resolve: () => void;
}

/**
 * A clock that only moves when a test moves it. `advance(ms)` fires every sleep that falls due,
 * in time order, letting promise callbacks run between them so that code woken by one timer can
 * schedule the next before time moves on.
 */
export class ManualClock implements Clock {
  #now: number;
  #sequence = 0;
  #timers: Timer[] = [];

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const timer: Timer = {
        at: this.#now + Math.max(0, ms),
        sequence: this.#sequence++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        reject(abortReason(signal!));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#timers.push(timer);
    });
  }

  /** Number of sleeps not yet due. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** When the earliest pending sleep falls due, or undefined when none is pending. */
  get nextDueAt(): number | undefined {
    let next: number | undefined;
    for (const timer of this.#timers) if (next === undefined || timer.at < next) next = timer.at;
    return next;
  }

  /** Moves time forward by `ms`, firing due sleeps in order and settling promises between them. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await flushMicrotasks();
    for (;;) {
      const due = this.#earliestDue(target);
      if (!due) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = Math.max(this.#now, due.at);
      due.resolve();
      await flushMicrotasks();
    }
    this.#now = target;
    await flushMicrotasks();
  }

  /** Advances to each pending sleep in turn until none is left or `limitMs` would be passed. */
  async runAll(limitMs = 3_600_000): Promise<void> {
    const stop = this.#now + limitMs;
    for (;;) {
      await flushMicrotasks();
      const next = this.nextDueAt;
      if (next === undefined || next > stop) return;
      await this.advance(next - this.#now);
    }
  }

  #earliestDue(target: number): Timer | undefined {
    let best: Timer | undefined;
    for (const timer of this.#timers) {
      if (timer.at > target) continue;
      if (!best || timer.at < best.at || (timer.at === best.at && timer.sequence < best.sequence))
        best = timer;
    }
    return best;
  }
}

/** Lets every queued promise callback run (several turns, since awaits chain). */
export async function flushMicrotasks(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await Promise.resolve();
}
