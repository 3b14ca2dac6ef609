/**
 * A one-producer, one-consumer queue with backpressure: `push` resolves once the consumer has
 * room, so a slow reader slows the network read instead of buffering a whole reply.
 */
export class PartChannel<T> {
  readonly #highWaterMark: number;
  #queue: T[] = [];
  #closed = false;
  #error: { readonly value: unknown } | undefined;
  #reader: ((result: IteratorResult<T>) => void) | undefined;
  #readerFailed: ((error: unknown) => void) | undefined;
  #room: (() => void) | undefined;
  /** Parts handed to the consumer, or queued for it. */
  pushed = 0;

  constructor(highWaterMark = 16) {
    this.#highWaterMark = highWaterMark;
  }

  /** Queues one part; resolves when the queue has room again (or the channel was closed). */
  async push(item: T): Promise<void> {
    if (this.#closed) return;
    this.pushed++;
    if (this.#reader) {
      const reader = this.#reader;
      this.#clearReader();
      reader({ value: item, done: false });
      return;
    }
    this.#queue.push(item);
    if (this.#queue.length < this.#highWaterMark) return;
    await new Promise<void>((resolve) => {
      this.#room = resolve;
    });
  }

  /** Ends the stream after the queued parts. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake();
  }

  /** Ends the stream with an error, after the queued parts. */
  fail(error: unknown): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#error = { value: error };
    this.#wake();
  }

  /** The next part, or `done` once closed and drained; rejects with the failure. */
  next(): Promise<IteratorResult<T>> {
    const item = this.#queue.shift();
    if (item !== undefined || this.#queue.length > 0) {
      this.#releaseRoom();
      return Promise.resolve({ value: item as T, done: false });
    }
    if (this.#closed) {
      this.#releaseRoom();
      if (this.#error) return Promise.reject(this.#error.value);
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise<IteratorResult<T>>((resolve, reject) => {
      this.#reader = resolve;
      this.#readerFailed = reject;
    });
  }

  #releaseRoom(): void {
    if (this.#room && this.#queue.length < this.#highWaterMark) {
      const room = this.#room;
      this.#room = undefined;
      room();
    }
  }

  #clearReader(): void {
    this.#reader = undefined;
    this.#readerFailed = undefined;
  }

  #wake(): void {
    this.#releaseRoom();
    if (this.#room) {
      const room = this.#room;
      this.#room = undefined;
      room();
    }
    if (!this.#reader || this.#queue.length > 0) return;
    const reader = this.#reader;
    const failed = this.#readerFailed!;
    this.#clearReader();
    if (this.#error) failed(this.#error.value);
    else reader({ value: undefined, done: true });
  }
}
