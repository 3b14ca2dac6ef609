import type { Clock } from "../clock/clock.js";
import { TokenBucket } from "./token-bucket.js";

const MINUTE = 60_000;
/** Throttle points remembered for measuring (a ring). */
const POINTS = 256;
const SLOWER = Number(process.env.Q_SLOWER ?? 4);
const HALVE = Number(process.env.Q_HALVE ?? 0.5);

/**
 * What a throttle did to a learned rate: a cut (the estimate went down), nothing but a
 * re-synchronised shadow (the estimate already answered it: granted before the last cut, or
 * already at or under what was measured), or, for a known limit, nothing at all.
 */
export type ThrottleVerdict = "cut" | "ignored" | "known";

export interface LearnedRateOptions {
  readonly clock: Clock;
  /** A limit the user knows (per minute): used as is, never learned. */
  readonly known?: number | undefined;
  /**
   * The first estimate, per minute, when the limit is not known; `Infinity` for a dimension
   * that does not limit anything until a throttle measures it.
   */
  readonly initial: number;
  /** What the shadow holds at first. @default the estimate */
  readonly initialLevel?: number;
  /** Whether to start by doubling every `doublingMs` until the first throttle. @default true */
  readonly slowStart?: boolean;
  /** Slow start doubles the estimate this often while it holds sends back, in ms. */
  readonly doublingMs: number;
  /** A throttle that cannot be measured cuts to this fraction of the estimate. */
  readonly decrease: number;
  /** A measured throttle sets the estimate to this fraction of the rate measured. */
  readonly headroom: number;
  /** After a throttle the estimate regrows cubically, doubling in this much limited time, in ms. */
  readonly probeMs: number;
  /**
   * A window between two throttles measures the limit once the service admitted at least this
   * many of the refused call's cost in it: each end is "empty" to within one such cost.
   */
  readonly measureCalls: number;
  /** Windows shorter than this never measure, in ms. */
  readonly minimumWindowMs: number;
  /** Windows longer than this never measure (the bucket may have filled up), in ms. */
  readonly maximumWindowMs: number;
}

/**
 * One quota dimension (tokens per minute, or requests per minute) of one lane, with a shadow of
 * the service's bucket. The shadow is charged and refunded exactly as the service charges and
 * refunds (a reservation when a call starts, the unused part when it ends), and refills at the
 * estimated limit, so sends are gated the way the service admits them: in-flight reservations
 * count, and a burst the service would refuse waits here instead.
 *
 * When the limit is unknown it is learned from throttles, which cost nothing but a round trip:
 * - **slow start**: the estimate doubles every `doublingMs` while it holds sends back, until the
 *   first throttle — a short ramp whatever the starting level of the service's bucket;
 * - **a throttle is a sync point**: the service's bucket has just refused a call, so it is
 *   (nearly) empty; the shadow's level drops to zero;
 * - **the limit is measured between sync points**: from one throttle to a later one the service's
 *   bucket went from empty to empty, so what it admitted in between (reservations granted less
 *   refunds received) is exactly its refill — `admitted / elapsed` is the limit, whatever level
 *   the bucket started at, to within one refused call's cost at each end. The estimate is then
 *   set just under that (`headroom`), never raised by a throttle. A throttle with no window long
 *   enough to measure cuts multiplicatively, once per episode (throttles of calls granted before
 *   a cut do not cut again);
 * - **cubic regrowth** while the dimension holds sends back: flat just after a throttle, then
 *   faster and faster, so a limit that was raised is found within seconds, and one that was
 *   lowered shows at the next throttle.
 */
export class LearnedRate {
  /** The shadow bucket: capacity and refill per minute are the estimate (when finite). */
  readonly bucket: TokenBucket;
  readonly known: boolean;
  readonly #clock: Clock;
  readonly #options: LearnedRateOptions;
  #estimate: number;
  /** The estimate set at the last throttle (or at the start), and the growth since. */
  #base: number;
  #growthMs = 0;
  #blockedSince: number | undefined;
  #slowStart: boolean;
  #measured = Number.POSITIVE_INFINITY;
  #cutSequence = -1;
  /** The estimate before the current episode's first cut. */
  #episodeEstimate = Number.POSITIVE_INFINITY;
  #refusedInSlowStart = false;
  #lastPointGiven = 0;
  /** Reservations granted less refunds received, in all: what the service's bucket gave out. */
  #given = 0;
  readonly #pointAt = new Float64Array(POINTS);
  readonly #pointGiven = new Float64Array(POINTS);
  #points = 0;
  #largestCost = 0;
  readonly #startedAt: number;
  /** Last time this dimension held back the head of the queue. */
  limitedAt = Number.NEGATIVE_INFINITY;
  /** Throttles seen by this dimension. */
  throttles = 0;
  /** Cuts made. */
  cuts = 0;

  constructor(options: LearnedRateOptions) {
    this.#clock = options.clock;
    this.#options = options;
    this.known = options.known !== undefined;
    this.#estimate = options.known ?? options.initial;
    this.#base = this.#estimate;
    this.#slowStart = (options.slowStart ?? true) && !this.known;
    this.#startedAt = options.clock.now();
    this.bucket = new TokenBucket({
      capacity: Number.isFinite(this.#estimate) ? this.#estimate : 1,
      ...(options.initialLevel === undefined ? {} : { initialLevel: options.initialLevel }),
      clock: options.clock,
    });
  }

  /** The limit in force, per minute (known, or the current estimate; Infinity if none yet). */
  get estimate(): number {
    return this.#estimate;
  }

  /** The limit measured at the last measurable throttle, per minute (Infinity before any). */
  get measuredLimit(): number {
    return this.#measured;
  }

  get inSlowStart(): boolean {
    return this.#slowStart;
  }

  /** Makes room for a cost larger than the estimate (an unknown limit is at least one call). */
  ensureFits(amount: number): void {
    if (amount > this.#largestCost) this.#largestCost = amount;
    if (this.known || amount <= this.#estimate) return;
    this.#base = Math.max(this.#base, amount);
    this.#setEstimate(amount);
  }

  /** Milliseconds until `amount` fits the shadow (0 while the dimension limits nothing). */
  delayFor(amount: number): number {
    if (!Number.isFinite(this.#estimate)) return 0;
    return this.bucket.delayFor(amount);
  }

  /** The head of the queue waits on this dimension: it grows (when learned) for as long. */
  blocked(now: number): void {
    this.limitedAt = now;
    if (this.#blockedSince === undefined) this.#blockedSince = now;
    this.#grow(now);
  }

  /** The head of the queue passed this dimension: the time it waited counts as growth. */
  passed(now: number): void {
    if (this.#blockedSince === undefined) return;
    this.#grow(now);
    this.#growthMs += now - this.#blockedSince;
    this.#blockedSince = undefined;
  }

  /** Charges a call's reservation when it starts. */
  reserve(amount: number): void {
    if (Number.isFinite(this.#estimate)) this.bucket.take(amount);
    this.#given += amount;
  }

  /** Gives back part of a reservation (negative takes more: the call used more than reserved). */
  settle(amount: number): void {
    if (amount === 0) return;
    this.#given -= amount;
    if (!Number.isFinite(this.#estimate)) return;
    if (amount > 0) this.bucket.refund(amount);
    else this.bucket.take(-amount);
  }

  /**
   * The service throttled a call granted as `sequence` that reserved `refused` here;
   * `nextSequence` is the next grant's number. The caller has already settled the refused
   * reservation (the service never took it).
   */
  throttled(sequence: number, nextSequence: number, refused: number): ThrottleVerdict {
    this.throttles++;
    if (Number.isFinite(this.#estimate)) this.bucket.lowerTo(0);
    if (this.known) return "known";
    const now = this.#clock.now();
    const measured = this.#measure(now, refused);
    this.#remember(now);
    const estimate = this.#estimate;
    if (this.#slowStart && this.#given - this.#lastPointGiven < refused) {
      // Nothing got through since the bucket was last seen empty (a start on a drained bucket):
      // no news about the limit. Keep ramping.
      this.#lastPointGiven = this.#given;
      return "ignored";
    }
    this.#lastPointGiven = this.#given;
    if (this.#slowStart && measured === undefined) {
      // Too little got through since the bucket was last empty to say where the limit is (a
      // start on a drained bucket): halve, once per episode, and keep ramping, more slowly.
      this.#refusedInSlowStart = true;
      if (sequence < this.#cutSequence || !Number.isFinite(estimate)) return "ignored";
      this.#base = Math.max(estimate * HALVE, this.#largestCost);
      this.#growthMs = 0;
      if (this.#blockedSince !== undefined) this.#blockedSince = now;
      this.cuts++;
      this.#episodeEstimate = estimate;
      this.#cutSequence = nextSequence;
      this.#setEstimate(this.#base);
      return "cut";
    }
    if (this.#blockedSince !== undefined) this.#blockedSince = now;
    let next = estimate;
    if (measured !== undefined) {
      if (measured.precise) this.#measured = measured.rate;
      // What the service demonstrably admitted is the floor of any cut; a throttle never raises
      // the estimate, and one noisy window never cuts by more than half.
      const target = this.#options.headroom * measured.rate;
      const floor = (sequence < this.#cutSequence ? this.#episodeEstimate : estimate) / 2;
      next = Number.isFinite(estimate) ? Math.min(estimate, Math.max(floor, target)) : target;
    } else if (sequence >= this.#cutSequence && Number.isFinite(estimate)) {
      // Nothing to measure: an ordinary multiplicative decrease, once per episode.
      next = estimate * (this.#slowStart ? 0.5 : this.#options.decrease);
    }
    this.#slowStart = false;
    // A throttle says the limit is here: probing starts over, flat at first.
    this.#base = Math.max(next, this.#largestCost);
    this.#growthMs = 0;
    if (next >= estimate) {
      this.#base = Math.min(this.#base, estimate);
      return "ignored";
    }
    this.cuts++;
    if (sequence >= this.#cutSequence) this.#episodeEstimate = estimate;
    this.#cutSequence = nextSequence;
    this.#setEstimate(this.#base);
    // A dimension that limited nothing until now starts at the service's level: empty.
    this.bucket.lowerTo(0);
    return "cut";
  }

  /**
   * The rate the service admitted since an earlier sync point, per minute: precise from the most
   * recent point with `measureCalls` refused costs admitted since (and `minimumWindowMs`), else
   * rough from the oldest point with at least two; the start counts as a point (exact on a
   * drained bucket; on a full one the halving floor of a cut absorbs it).
   */
  #measure(now: number, refused: number): { rate: number; precise: boolean } | undefined {
    const options = this.#options;
    const needed = options.measureCalls * refused;
    const count = Math.min(this.#points, POINTS);
    let rough: { rate: number; precise: boolean } | undefined;
    // The start counts as a point only until there is a real one (exact on a drained bucket;
    // on a full one the halving floor of a cut absorbs it).
    const last = count === 0 ? 1 : count;
    for (let back = 1; back <= last; back++) {
      const start = count === 0;
      const index = (this.#points - back) % POINTS;
      const at = start ? this.#startedAt : this.#pointAt[index]!;
      const elapsed = now - at;
      if (elapsed > options.maximumWindowMs) break;
      const admitted = this.#given - (start ? 0 : this.#pointGiven[index]!);
      if (elapsed >= options.minimumWindowMs && admitted >= needed)
        return { rate: (admitted * MINUTE) / elapsed, precise: true };
      // Calls refused a moment ago may still count as given: a rough window must be long enough
      // for their refusals to have come back.
      if (
        rough === undefined &&
        elapsed >= options.doublingMs &&
        admitted >= Math.max(2, options.measureCalls / 4) * refused
      )
        rough = { rate: (admitted * MINUTE) / elapsed, precise: false };
    }
    return rough;
  }

  #remember(now: number): void {
    const index = this.#points % POINTS;
    this.#pointAt[index] = now;
    this.#pointGiven[index] = this.#given;
    this.#points++;
  }

  #grow(now: number): void {
    if (this.known || !Number.isFinite(this.#base)) return;
    const growthMs = this.#growthMs + (now - (this.#blockedSince ?? now));
    const options = this.#options;
    let factor: number;
    if (this.#slowStart)
      factor = 2 ** (growthMs / options.doublingMs);
    else {
      const x = growthMs / options.probeMs;
      factor = 1 + x * x * x;
    }
    const target = this.#base * factor;
    if (target > this.#estimate) this.#setEstimate(target);
  }

  #setEstimate(estimate: number): void {
    this.#estimate = estimate;
    if (Number.isFinite(estimate)) this.bucket.retune(estimate);
  }
}
