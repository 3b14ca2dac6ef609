export interface OutputLengthLearnerOptions {
  /** The quantile of recent output lengths to cover. @default 0.99 */
  readonly quantile?: number;
  /** Headroom over that quantile (each token of it is reserved, ×burndown, on every call). @default 1.05 */
  readonly margin?: number;
  /**
   * What to ask for before enough replies are seen (the cold start), when the full limit is
   * higher. A reply cut off at it is run again with the full limit, and the guess doubles.
   * Asking for the full limit instead would reserve it on every call of the first wave: with a
   * large max_tokens, a handful of calls hold the whole token quota for a whole reply's time.
   * @default 1024
   */
  readonly initialMaxTokens?: number;
  /** Replies seen before the learned limit replaces the cold start's guess. @default 20 */
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
  /** The cold start's guess, doubled at each reply cut off at it. */
  guess: number;
  sinceSorted = 0;
  cached = 0;
  readonly scratch: Uint32Array;

  constructor(window: number, guess: number) {
    this.guess = guess;
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
 * are seen it is a guess (`initialMaxTokens`) that doubles each time it cuts a reply off. A
 * reply cut off at a learned limit below the full one is run again with room to finish by the
 * scheduler, so results never change — and its true length is recorded then (a cut-off reply
 * only says "at least this long", so it is never recorded).
 */
export class OutputLengthLearner {
  readonly #quantile: number;
  readonly #margin: number;
  readonly #minimumSamples: number;
  readonly #window: number;
  readonly #floor: number;
  readonly #initialMaxTokens: number;
  readonly #histories = new Map<string, LengthHistory>();

  constructor(options: OutputLengthLearnerOptions = {}) {
    this.#quantile = check(options.quantile ?? 0.99, "outputLength.quantile", 0.5, 1);
    this.#margin = check(options.margin ?? 1.05, "outputLength.margin", 1, 100);
    this.#window = Math.floor(check(options.window ?? 256, "outputLength.window", 8, 1 << 20));
    this.#minimumSamples = Math.floor(
      check(options.minimumSamples ?? 20, "outputLength.minimumSamples", 1, this.#window),
    );
    this.#floor = check(options.floor ?? 16, "outputLength.floor", 1, 1e9);
    this.#initialMaxTokens = check(
      options.initialMaxTokens ?? 1024,
      "outputLength.initialMaxTokens",
      1,
      1e9,
    );
  }

  /** The maxTokens to ask for: the learned limit, never above `fullMaxTokens`. */
  suggest(key: string, fullMaxTokens: number): number {
    const history = this.#histories.get(key);
    if (!history) return Math.min(fullMaxTokens, this.#initialMaxTokens);
    if (history.count < this.#minimumSamples) return Math.min(fullMaxTokens, history.guess);
    if (history.sinceSorted >= RESORT_EVERY || history.cached === 0) this.#resort(history);
    return Math.min(fullMaxTokens, history.cached);
  }

  /**
   * The cold start's guess, however many replies were seen: for a lane whose token quota does
   * not bind, where a tight limit saves nothing and each re-run costs a request.
   */
  guess(key: string, fullMaxTokens: number): number {
    return Math.min(fullMaxTokens, this.#histories.get(key)?.guess ?? this.#initialMaxTokens);
  }

  /** Records a finished reply's true output length (not one cut off at a learned limit). */
  record(key: string, outputTokens: number): void {
    const history = this.#history(key);
    history.lengths[history.next] = Math.max(0, Math.round(outputTokens));
    history.next = (history.next + 1) % this.#window;
    if (history.count < this.#window) history.count++;
    history.sinceSorted++;
    // A reply longer than the learned limit (it came from a full-limit re-run) moves it at once.
    if (history.cached > 0 && outputTokens * this.#margin > history.cached) this.#resort(history);
  }

  /**
   * A reply was cut off at `maxTokens`, a limit this learner suggested: it says only "at least
   * this long", so it is not recorded as a length, but a cold start's guess that cuts replies
   * off doubles.
   */
  cutOff(key: string, maxTokens: number): void {
    const history = this.#history(key);
    if (history.count < this.#minimumSamples && maxTokens >= history.guess)
      history.guess = maxTokens * 2;
  }

  /** Replies remembered for a key. */
  samples(key: string): number {
    return this.#histories.get(key)?.count ?? 0;
  }

  #history(key: string): LengthHistory {
    let history = this.#histories.get(key);
    if (!history) {
      history = new LengthHistory(this.#window, this.#initialMaxTokens);
      this.#histories.set(key, history);
    }
    return history;
  }

  #resort(history: LengthHistory): void {
    const sorted = history.scratch.subarray(0, history.count);
    sorted.set(history.lengths.subarray(0, history.count));
    sorted.sort();
    const index = Math.min(history.count - 1, Math.ceil(this.#quantile * history.count) - 1);
    const quantile = sorted[Math.max(0, index)]!;
    // Less a hair, so that float error (100 × 1.1 = 110.00000000000001) does not add a token.
    history.cached = Math.max(this.#floor, Math.ceil(quantile * this.#margin - 1e-9));
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
