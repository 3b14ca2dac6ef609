import type { Clock } from "../clock/clock.js";
import { TokenBucket } from "./token-bucket.js";

const MINUTE = 60_000;

/**
 * What a throttle did to a learned rate: nothing (the call was granted before the last cut, which
 * already answered it), a cut, or only a re-synchronised shadow because too few calls finished
 * since the last cut to measure anything — a refusal the estimate cannot explain.
 */
export type ThrottleVerdict = "ignored" | "cut" | "unexplained";

export interface LearnedRateOptions {
  readonly clock: Clock;
  /** A limit the user knows (per minute): used as is, never learned. */
  readonly known?: number | undefined;
  /** The cautious first estimate, per minute, when the limit is not known. */
  readonly initial: number;
  /** Whether to start by doubling per round trip until the first throttle. @default true */
  readonly slowStart?: boolean;
  /** Multiplicative decrease on a throttle: the estimate drops to `decrease × limit`. */
  readonly decrease: number;
  /** Time for the cubic regrowth to climb back to the limit last seen, in ms. */
  readonly recoveryMs: number;
  /**
   * A throttle-to-throttle window's measured rate is trusted once this many calls finished in
   * it: the service's bucket is "nearly empty" at both ends to within about one call, so the
   * measure is good to about one part in this many.
   */
  readonly minimumWindowCalls: number;
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
  #cycleMs: number;
  readonly #minimumWindowCalls: number;
  #estimate: number;
  #slowStart: boolean;
  #limit = Number.POSITIVE_INFINITY;
  #cutDepth = 0;
  #cutAt = Number.NEGATIVE_INFINITY;
  #cutSequence = -1;
  /** Reservations less refunds, in all: what the service's bucket has given out. */
  #charged = 0;
  /** What finished calls were really charged, in all, and how many they were. */
  #completed = 0;
  #completions = 0;
  #edgeAt: number;
  #edgeCompleted = 0;
  #edgeCompletions = 0;
  /** Throttles since the last cut that too few finished calls could explain. */
  #unexplained = 0;
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
    this.#slowStart = options.slowStart ?? true;
    if (!this.#slowStart && !this.known) {
      // Starting below a measured rate: regrow to it as after a cut.
      this.#limit = this.#estimate / options.decrease;
      this.#cutDepth = 1 - options.decrease;
      this.#cutAt = options.clock.now();
    }
    this.#decrease = options.decrease;
    this.#recoveryMs = options.recoveryMs;
    this.#cycleMs = options.recoveryMs;
    this.#minimumWindowCalls = options.minimumWindowCalls;
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
   * A call the service admitted has finished; `charge` is what it was really charged, `sequence`
   * its grant number.
   */
  finished(charge: number, sequence: number): void {
    this.#completed += charge;
    // Only calls sent since the last cut show the new pace (at least one round trip of it).
    if (sequence >= this.#cutSequence) this.#completions++;
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
    const since = (this.#clock.now() - this.#cutAt - this.#cycleMs) / this.#cycleMs;
    // Never flatter than a regular cut's curve, so probing beyond the limit always resumes.
    const depth = Math.max(this.#cutDepth, 1 - this.#decrease);
    const target = this.#limit * (1 + depth * since * since * since);
    if (target > this.#estimate) this.#setEstimate(Math.min(target, this.#estimate + step));
  }

  /**
   * The service throttled a call granted as `sequence`; `nextSequence` is the next grant's number,
   * `roundTripMs` how long calls take. The caller has already settled the throttled call's
   * reservation (the service never took it).
   */
  throttled(sequence: number, nextSequence: number, roundTripMs = 0): ThrottleVerdict {
    this.throttles++;
    this.bucket.lowerTo(0);
    if (this.known) return "unexplained";
    if (sequence < this.#cutSequence) return "ignored";
    const now = this.#clock.now();
    const completions = this.#completions - this.#edgeCompletions;
    let limit = this.#estimate;
    if (this.#slowStart) {
      // The first throttle: the service's bucket started full and is now nearly empty, so it
      // gave out its capacity plus a minute's refill per minute elapsed.
      const measured = this.#charged / ((now - this.#edgeAt) / MINUTE + 1);
      if (measured > 0 && measured < limit) limit = measured;
    } else if (completions >= this.#minimumWindowCalls && now > this.#edgeAt) {
      // From nearly empty to nearly empty, the service's bucket refilled about as much as the
      // calls finishing in between were charged.
      const measured = (this.#completed - this.#edgeCompleted) / ((now - this.#edgeAt) / MINUTE);
      // Right after the limit drops, the service's bucket is below empty (it keeps what is in
      // use) and admits little for a while, so a short window can measure far too low: one
      // episode never cuts by more than one extra step.
      limit = Math.min(limit, Math.max(measured, limit * this.#decrease));
    } else if (
      ++this.#unexplained < this.#minimumWindowCalls / 2 ||
      now - this.#cutAt < roundTripMs
    ) {
      // Too few calls since the last cut to say anything: the cut stands, the shadow is
      // re-synchronised, and the next measurable window decides — unless refusals keep coming
      // for a whole round trip while nothing gets through (the limit fell below empty), then
      // one more step down.
      return "unexplained";
    }
    this.#unexplained = 0;
    this.#edgeAt = now;
    this.#edgeCompleted = this.#completed;
    this.#edgeCompletions = this.#completions;
    // Feedback arrives a round trip late: a slow model needs a slower climb.
    this.#cycleMs = Math.max(this.#recoveryMs, 3 * roundTripMs);
    this.#cut(limit, this.#decrease, now, nextSequence);
    this.#slowStart = false;
    return "cut";
  }

  /**
   * A gentler decrease that is not a throttle (the model warming up): no re-synchronising, and
   * never below `factor` × the limit last measured, however many such signals come.
   */
  soften(factor: number, sequence: number, nextSequence: number): void {
    if (this.known || sequence < this.#cutSequence || factor >= 1) return;
    const base = Number.isFinite(this.#limit)
      ? Math.max(this.#limit, this.#estimate)
      : this.#estimate;
    if (base * factor >= this.#estimate) return;
    this.#cut(base, factor, this.#clock.now(), nextSequence);
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
