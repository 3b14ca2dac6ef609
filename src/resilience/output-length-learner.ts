export interface OutputLengthLearnerOptions {
  /** The quantile of recent output lengths to cover. @default 0.99 */
  readonly quantile?: number;
  /** Headroom over that quantile. @default 1.25 */
  readonly margin?: number;
  /** Replies seen before the learned limit replaces the full one (the cold start). @default 20 */
  readonly minimumSamples?: number;
  /** Recent replies remembered per key (older ones are forgotten, so the limit follows drift). @default 256 */
  readonly window?: number;
  /** Never ask for fewer tokens than this. @default 16 */
  readonly floor?: number;
}

/** Recent output lengths of one key, in a ring buffer, with a cached quantile. */
class LengthHistory {
  readonly lengths: Uint32Array;
  count = 0;
  next = 0;
  sinceSorted = 0;
  cached = 0;
  readonly scratch: Uint32Array;

  constructor(window: number) {
    this.lengths = new Uint32Array(window);
    this.scratch = new Uint32Array(window);
  }
}

/** How often (in new samples) the quantile is recomputed: sorting 256 numbers is cheap, but not free. */
const RESORT_EVERY = 16;

/**
 * Learns how long replies really are, per key (a lane or a prompt template), so that a call can
 * reserve a tight `maxTokens` instead of the full one. Bedrock reserves
 * `input + maxTokens × burndown` of the TPM quota when a call starts, so on a TPM-bound job a
 * generous `maxTokens` costs throughput even when the reply is short.
 *
 * The learned limit is a high quantile of recent lengths times a margin; until enough replies
 * are seen it is the full limit. A reply cut off at a learned limit below the full one is run
 * again with the full limit by the scheduler, so results never change — and its true length is
 * recorded then (a cut-off reply only says "at least this long", so it is never recorded).
 */
export class OutputLengthLearner {
  readonly #quantile: number;
  readonly #margin: number;
  readonly #minimumSamples: number;
  readonly #window: number;
  readonly #floor: number;
  readonly #histories = new Map<string, LengthHistory>();

  constructor(options: OutputLengthLearnerOptions = {}) {
    this.#quantile = check(options.quantile ?? 0.99, "outputLength.quantile", 0.5, 1);
    this.#margin = check(options.margin ?? 1.25, "outputLength.margin", 1, 100);
    this.#window = Math.floor(check(options.window ?? 256, "outputLength.window", 8, 1 << 20));
    this.#minimumSamples = Math.floor(
      check(options.minimumSamples ?? 20, "outputLength.minimumSamples", 1, this.#window),
    );
    this.#floor = check(options.floor ?? 16, "outputLength.floor", 1, 1e9);
  }

  /** The maxTokens to ask for: the learned limit, never above `fullMaxTokens`. */
  suggest(key: string, fullMaxTokens: number): number {
    const history = this.#histories.get(key);
    if (!history || history.count < this.#minimumSamples) return fullMaxTokens;
    if (history.sinceSorted >= RESORT_EVERY || history.cached === 0) this.#resort(history);
    return Math.min(fullMaxTokens, history.cached);
  }

  /** Records a finished reply's true output length (not one cut off at a learned limit). */
  record(key: string, outputTokens: number): void {
    let history = this.#histories.get(key);
    if (!history) {
      history = new LengthHistory(this.#window);
      this.#histories.set(key, history);
    }
    history.lengths[history.next] = Math.max(0, Math.round(outputTokens));
    history.next = (history.next + 1) % this.#window;
    if (history.count < this.#window) history.count++;
    history.sinceSorted++;
    // A reply longer than the learned limit (it came from a full-limit re-run) moves it at once.
    if (history.cached > 0 && outputTokens * this.#margin > history.cached) this.#resort(history);
  }

  /** Replies remembered for a key. */
  samples(key: string): number {
    return this.#histories.get(key)?.count ?? 0;
  }

  #resort(history: LengthHistory): void {
    const sorted = history.scratch.subarray(0, history.count);
    sorted.set(history.lengths.subarray(0, history.count));
    sorted.sort();
    const index = Math.min(history.count - 1, Math.ceil(this.#quantile * history.count) - 1);
    const quantile = sorted[Math.max(0, index)]!;
    history.cached = Math.max(this.#floor, Math.ceil(quantile * this.#margin));
    history.sinceSorted = 0;
  }
}

function check(value: number, name: string, minimum: number, maximum: number): number {
  if (!(Number.isFinite(value) && value >= minimum && value <= maximum))
    throw new RangeError(
      `${name} must be a number between ${minimum} and ${maximum}; got ${value}`,
    );
  return value;
}
