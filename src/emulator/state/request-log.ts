/** One request as the log keeps it. */
export interface LoggedRequest {
  /** Milliseconds on the emulator's clock since start (or the last reset). */
  readonly at: number;
  readonly operation: string;
  readonly modelId?: string;
  readonly status: number;
  /** The request body as text, cut at `BODY_LIMIT` characters. */
  readonly body: string;
}

const BODY_LIMIT = 4096;

/**
 * The most recent requests (a ring of `capacity`, off when 0): for tests that must know what
 * was sent — which prompts, how many times — beyond the counts the statistics keep.
 */
export class RequestLog {
  #capacity: number;
  #entries: LoggedRequest[] = [];
  #next = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get enabled(): boolean {
    return this.#capacity > 0;
  }

  resize(capacity: number): void {
    if (capacity === this.#capacity) return;
    const kept = this.entries().slice(-capacity);
    this.#capacity = capacity;
    this.#entries = capacity > 0 ? kept : [];
    this.#next = this.#entries.length % Math.max(1, capacity);
  }

  add(entry: Omit<LoggedRequest, "body"> & { readonly body: Buffer }): void {
    if (this.#capacity === 0) return;
    const logged: LoggedRequest = {
      at: entry.at,
      operation: entry.operation,
      ...(entry.modelId !== undefined ? { modelId: entry.modelId } : {}),
      status: entry.status,
      body: entry.body.subarray(0, BODY_LIMIT).toString("utf8"),
    };
    if (this.#entries.length < this.#capacity) this.#entries.push(logged);
    else this.#entries[this.#next] = logged;
    this.#next = (this.#next + 1) % this.#capacity;
  }

  /** Oldest first. */
  entries(): LoggedRequest[] {
    if (this.#entries.length < this.#capacity) return [...this.#entries];
    return [...this.#entries.slice(this.#next), ...this.#entries.slice(0, this.#next)];
  }

  clear(): void {
    this.#entries = [];
    this.#next = 0;
  }
}
