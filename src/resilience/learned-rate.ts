import type { Clock } from "../clock/clock.js";
import { TokenBucket } from "./token-bucket.js";

const MINUTE = 60_000;

export interface LearnedRateOptions {
  readonly clock: Clock;
  /** A limit the user knows (per minute): used as is, never learned. */
  readonly known?: number | undefined;
  /** The cautious first estimate, per minute, when the limit is not known. */
  readonly initial: number;
  /** Multiplicative decrease on a throttle: the estimate drops to `decrease × limit`. */
  readonly decrease: number;
  /** Time for the cubic regrowth to climb back to the limit last seen, in ms. */
  readonly recoveryMs: number;
  /** The shortest throttle-to-throttle window whose measured rate is trusted, in ms. */
  readonly minimumWindowMs: number;
}

/**
 * One quota dimension (tokens per minute, or requests per minute) of one lane, with a shadow of
 * the service's bucket. The shadow is charged and refunded exactly as the service charges and
 * refunds (a reservation when a call starts, the unused part when it ends), and refills at the
 * estimated limit, so sends are gated the way the service admits them: in-flight reservations
 * count, and a burst the service would refuse waits here instead.
 *
 * When the limit is unknown it is learned:
 * - **slow start**: from a cautious estimate, every success that had to wait for this
 *   dimension adds what it was worth (doubling per round trip) until the first throttle;
 * - **at a throttle** the service's bucket is known to be nearly empty, so the shadow's level is
 *   dropped to zero (re-synchronised), and the limit is measured: between two throttles the
 *   service's bucket went from nearly empty to nearly empty, so it refilled about as much as
 *   was charged — `charged / elapsed` is the limit, with no guess about the burst size. The
 *   estimate drops multiplicatively below that (once per episode: permits granted before a cut
 *   do not cut again);
 * - **cubic regrowth** (as in CUBIC / Smithy's `DefaultRateLimiter`): concave back up to the
 *   measured limit over `recoveryMs`, flat near it, then convex probing beyond, so a limit that
 *   moved up is found again, and one that moved down is found by the next throttle.
 * Growth only happens while the dimension is what holds sends back, so an idle or
 * otherwise-limited lane does not inflate an estimate it has no evidence for.
 */
export class LearnedRate {
  /** The shadow bucket: capacity and refill per minute are the estimate. */
  readonly bucket: TokenBucket;
  readonly known: boolean;
  readonly #clock: Clock;
  readonly #decrease: number;
  readonly #recoveryMs: number;
  readonly #minimumWindowMs: number;
  #estimate: number;
  #slowStart = true;
  #limit = Number.POSITIVE_INFINITY;
  #cutDepth = 0;
  #cutAt = Number.NEGATIVE_INFINITY;
  #cutSequence = -1;
  #charged = 0;
  #edgeAt: number;
  #edgeCharged = 0;
  #firstEdge = true;
  #largestCost = 0;
  /** Last time this dimension held back the head of the queue. */
  limitedAt = Number.NEGATIVE_INFINITY;
  /** Throttles attributed to this dimension. */
  throttles = 0;
  /** Decreases made (throttle episodes plus soft cuts). */
  cuts = 0;

  constructor(options: LearnedRateOptions) {
    this.#clock = options.clock;
    this.known = options.known !== undefined;
    this.#estimate = options.known ?? options.initial;
    this.#decrease = options.decrease;
    this.#recoveryMs = options.recoveryMs;
    this.#minimumWindowMs = options.minimumWindowMs;
    this.#edgeAt = options.clock.now();
    this.bucket = new TokenBucket({ capacity: this.#estimate, clock: options.clock });
  }

  /** The limit in force, per minute (known, or the current estimate). */
  get estimate(): number {
    return this.#estimate;
  }

  /** The limit measured at the last throttle, per minute (Infinity before any). */
  get measuredLimit(): number {
    return this.#limit;
  }

  get inSlowStart(): boolean {
    return this.#slowStart && !this.known;
  }

  /** Makes room for a cost larger than the estimate (an unknown limit is at least one call). */
  ensureFits(amount: number): void {
    if (amount > this.#largestCost) this.#largestCost = amount;
    if (this.known || amount <= this.#estimate) return;
    this.#setEstimate(amount);
  }

  /** Charges a call's reservation when it starts. */
  reserve(amount: number): void {
    this.bucket.take(amount);
    this.#charged += amount;
  }

  /** Gives back part of a reservation (negative takes more: the call used more than reserved). */
  settle(amount: number): void {
    if (amount === 0) return;
    if (amount > 0) this.bucket.refund(amount);
    else this.bucket.take(-amount);
    this.#charged -= amount;
  }

  /**
   * A call that waited on this dimension succeeded. `worth` is what it charged, `cost` what it
   * reserved, `latencyMs` how long it ran.
   */
  grow(worth: number, cost: number, latencyMs: number): void {
    if (this.known) return;
    // One success's share of doubling per round trip: whichever of its reservation (burst-bound)
    // or its charge spread over its latency (refill-bound) is larger.
    const step = Math.max(cost, (worth * MINUTE) / Math.max(latencyMs, 50));
    if (this.#slowStart) {
      this.#setEstimate(this.#estimate + step);
      return;
    }
    const since = (this.#clock.now() - this.#cutAt - this.#recoveryMs) / this.#recoveryMs;
    const target = this.#limit * (1 + this.#cutDepth * since * since * since);
    if (target > this.#estimate) this.#setEstimate(Math.min(target, this.#estimate + step));
  }

  /**
   * The service throttled a call granted as `sequence`; `nextSequence` is the next grant's number.
   * The caller has already settled the throttled call's reservation (the service never took it).
   */
  throttled(sequence: number, nextSequence: number): void {
    this.throttles++;
    this.bucket.lowerTo(0);
    if (this.known || sequence < this.#cutSequence) return;
    const now = this.#clock.now();
    const elapsed = now - this.#edgeAt;
    let limit = this.#estimate;
    if (elapsed >= this.#minimumWindowMs) {
      // From nearly empty to nearly empty: refilled ≈ charged. Before the first throttle the
      // bucket may have started full (one minute's worth), hence the extra minute.
      const minutes = elapsed / MINUTE + (this.#firstEdge ? 1 : 0);
      const measured = (this.#charged - this.#edgeCharged) / minutes;
      if (measured > 0 && measured < limit) limit = measured;
    }
    this.#firstEdge = false;
    this.#edgeAt = now;
    this.#edgeCharged = this.#charged;
    this.#cut(limit, this.#decrease, now, nextSequence);
    this.#slowStart = false;
  }

  /** A gentler decrease that is not a throttle (the model warming up): no re-synchronising. */
  soften(factor: number, sequence: number, nextSequence: number): void {
    if (this.known || sequence < this.#cutSequence || factor >= 1) return;
    this.#cut(this.#estimate, factor, this.#clock.now(), nextSequence);
  }

  #cut(limit: number, factor: number, now: number, nextSequence: number): void {
    this.cuts++;
    this.#limit = limit;
    const next = Math.max(limit * factor, this.#largestCost);
    this.#cutDepth = Math.max(0, 1 - next / limit);
    this.#cutAt = now;
    this.#cutSequence = nextSequence;
    this.#setEstimate(next);
  }

  #setEstimate(estimate: number): void {
    this.#estimate = estimate;
    this.bucket.retune(estimate);
  }
}
