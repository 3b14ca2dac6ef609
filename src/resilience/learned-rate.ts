import type { Clock } from "../clock/clock.js";
import { TokenBucket } from "./token-bucket.js";

const MINUTE = 60_000;
const SECOND = 1_000;
/** Throttle moments remembered as window starts. */
const ANCHORS = 256;

/** The search's phases: before any throttle, after the first one, once the limit is measured. */
export type LearnedPhase = "ramp" | "search" | "paced";

export interface LearnedRateOptions {
  readonly clock: Clock;
  /** A limit the user knows (per minute): used as is, never learned. */
  readonly known?: number | undefined;
  /** The cautious first estimate, per minute, when the limit is not known. */
  readonly initial: number;
  /**
   * Start at a sync point (the moment of a throttle), searching, with an empty shadow: for a
   * dimension learned from its first refusal on (a request limit). `initial` is then what the
   * calls so far prove, the search's lower bound.
   */
  readonly fromSyncPoint?: boolean;
  /**
   * What the shadow holds at the start, when the limit is unknown (a known limit starts full, as
   * the service's bucket does). One call's reservation: the first call finds out whether the
   * service's bucket is empty (another job ran before) at the cost of one refusal rather than a
   * burst of them; the ramp's growth, not the first burst, is what makes the start quick. At a
   * sync point it is 0. @default the estimate (full)
   */
  readonly initialLevel?: number;
  /** Growth per second before the first throttle (the burst a full bucket allows). @default 4 */
  readonly rampPerSecond?: number;
  /**
   * Growth per second after the first throttle, until a window measures the limit; never above
   * the upper bound that the last narrow window proved. @default 2
   */
  readonly searchPerSecond?: number;
  /** Pace this fraction below the limit measured. @default 0.02 */
  readonly margin?: number;
  /**
   * A window between two throttles measures the limit once it was charged at least this many
   * reservations of the throttled call (the service's bucket is "nearly empty" at both ends to
   * within about one reservation). @default 8
   */
  readonly minimumWindow?: number;
  /** A refusal before any window can measure: the estimate drops to this fraction. @default 0.85 */
  readonly decrease?: number;
  /** Quiet time (limited by this dimension, no throttle) before probing above the measure. @default 2000 */
  readonly probeAfterMs?: number;
  /**
   * ...and at least the time this many typical reservations take at the pace, so that a lane
   * with few, large calls probes (and is throttled by a probe) no more often per call. @default 30
   */
  readonly probeAfterReservations?: number;
  /** Probing growth: `× (1 + probeCurve × s²)` after `s` seconds of probing. @default 0.01 */
  readonly probeCurve?: number;
}

interface Anchor {
  readonly at: number;
  readonly charged: number;
  /** The refused call's reservation: the service's bucket held less than this then. */
  readonly reservation: number;
}

/**
 * One quota dimension (tokens per minute, or requests per minute) of one lane, with a shadow of
 * the service's bucket. The shadow is charged and refunded exactly as the service charges and
 * refunds (a reservation when a call starts, the unused part when it ends) and refills at the
 * pace, so sends are gated the way the service admits them: in-flight reservations count, and a
 * burst the service would refuse waits here instead.
 *
 * When the limit is unknown it is measured, not guessed. A throttle is a sync point: the
 * service's bucket is nearly empty at that moment (less than the refused call's reservation).
 * Between two sync points it went from nearly empty to nearly empty, so it refilled exactly what
 * it was charged in between (reservations less refunds, which the shadow tracks): `charged /
 * elapsed` is the limit, whatever the bucket held at the start and however the calls were paced.
 * So:
 * - **ramp**: from a cautious estimate, grow exponentially in time while this dimension holds
 *   sends back, until the first throttle (a full bucket's burst goes through on the way);
 * - **search**: the first throttle is the first sync point; the estimate drops to what the
 *   calls so far prove (`charged / (elapsed + 1 min)`: the bucket held at most a minute's worth)
 *   and grows again until a second throttle closes a window wide enough to measure. A throttle
 *   whose window is still too narrow bounds the limit from both sides (the bucket held less
 *   than one refused reservation at either end): the pace drops to the lower bound and grows no
 *   higher than the upper one. Nothing is lost meanwhile: every token the bucket refilled was
 *   spent;
 * - **paced**: the pace is the measure less a margin, the shadow is re-synchronised (to empty)
 *   at each throttle, and after a quiet spell the pace probes upward along a convex curve, so a
 *   raised limit is found; the throttle that ends a probe measures the limit again. A refusal
 *   that comes too soon to measure (the limit dropped) cuts multiplicatively at once; the next
 *   wide window measures the new limit.
 * Growth only happens while this dimension holds sends back, so an idle lane does not inflate
 * an estimate it has no evidence for.
 */
export class LearnedRate {
  /** The shadow bucket: capacity and refill per minute are the pace. */
  readonly bucket: TokenBucket;
  readonly known: boolean;
  readonly #clock: Clock;
  readonly #initial: number;
  readonly #rampPerSecond: number;
  readonly #searchPerSecond: number;
  readonly #margin: number;
  readonly #minimumWindow: number;
  readonly #decrease: number;
  readonly #probeAfterMs: number;
  readonly #probeAfterReservations: number;
  readonly #probeCurve: number;
  readonly #startedAt: number;
  #phase: LearnedPhase;
  #estimate: number;
  /** The limit last measured (Infinity before any). */
  #measured = Number.POSITIVE_INFINITY;
  /** The pace the probe curve starts from, and the limited time since it started. */
  #probeBase = 0;
  #probeMs = 0;
  /** Grants numbered below this were made before the last adjustment. */
  #cutSequence = -1;
  /** Reservations less refunds, in all: what the service's bucket has given out. */
  #charged = 0;
  readonly #anchors: Anchor[] = [];
  /** The sync point the search started from: its windows only widen. */
  #searchAnchor: Anchor | undefined;
  /** What the search has proven the limit is at least, and at most (per minute). */
  #lowerBound = 0;
  #upperBound = Number.POSITIVE_INFINITY;
  #largestCost = 0;
  /** A running mean of reservations (for the probe's quiet time). */
  #typicalCost = 0;
  #limited = false;
  #grownAt: number;
  /** Throttles seen by this dimension. */
  throttles = 0;

  constructor(options: LearnedRateOptions) {
    this.#clock = options.clock;
    this.known = options.known !== undefined;
    this.#initial = options.initial;
    this.#estimate = options.known ?? options.initial;
    this.#rampPerSecond = options.rampPerSecond ?? 4;
    this.#searchPerSecond = options.searchPerSecond ?? 2;
    this.#margin = options.margin ?? 0.02;
    this.#minimumWindow = options.minimumWindow ?? 3;
    this.#decrease = options.decrease ?? 0.85;
    this.#probeAfterMs = options.probeAfterMs ?? 2_000;
    this.#probeAfterReservations = options.probeAfterReservations ?? 30;
    this.#probeCurve = options.probeCurve ?? 0.01;
    this.#phase = this.known ? "paced" : options.fromSyncPoint ? "search" : "ramp";
    this.#startedAt = options.clock.now();
    if (options.fromSyncPoint) {
      this.#searchAnchor = { at: this.#startedAt, charged: 0, reservation: 1 };
      this.#anchors.push(this.#searchAnchor);
      this.#lowerBound = options.initial;
    }
    this.#grownAt = this.#startedAt;
    this.bucket = new TokenBucket({ capacity: this.#estimate, clock: options.clock });
    if (!this.known) {
      const level = options.fromSyncPoint ? 0 : options.initialLevel;
      if (level !== undefined) this.bucket.lowerTo(level);
    }
  }

  /** The pace in force, per minute (known, or the current estimate). */
  get estimate(): number {
    return this.#estimate;
  }

  /** The limit measured between the last two sync points, per minute (Infinity before any). */
  get measuredLimit(): number {
    return this.#measured;
  }

  get phase(): LearnedPhase {
    return this.#phase;
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
    this.#typicalCost =
      this.#typicalCost === 0 ? amount : this.#typicalCost + (amount - this.#typicalCost) / 32;
  }

  /** Gives back part of a reservation (negative takes more: the call used more than reserved). */
  settle(amount: number): void {
    if (amount === 0) return;
    if (amount > 0) this.bucket.refund(amount);
    else this.bucket.take(-amount);
    this.#charged -= amount;
  }

  /**
   * Brings growth up to now (it accrues only while this dimension held sends back), then notes
   * whether it does now.
   */
  advance(limited: boolean): void {
    const now = this.#clock.now();
    const elapsed = now - this.#grownAt;
    this.#grownAt = now;
    if (this.#limited && elapsed > 0 && !this.known) this.#grow(elapsed);
    this.#limited = limited;
  }

  /**
   * The service throttled a call granted as `sequence`, which reserved `reservation` here;
   * `nextSequence` is the next grant's number. The caller has already settled the throttled
   * call's reservation (the service never took it).
   */
  throttled(sequence: number, nextSequence: number, reservation: number): void {
    this.throttles++;
    this.bucket.lowerTo(0);
    if (this.known) return;
    const now = this.#clock.now();
    const window = this.#latestMeasurableWindow(reservation);
    const anchor: Anchor = { at: now, charged: this.#charged, reservation };
    this.#anchors.push(anchor);
    if (this.#anchors.length > ANCHORS) this.#anchors.splice(0, this.#anchors.length / 2);
    // A call granted before the last adjustment: that adjustment already answered its refusal.
    if (sequence < this.#cutSequence) return;
    this.#cutSequence = nextSequence;
    if (this.#phase === "ramp") {
      // The first sync point. What was given out so far came from at most a minute's burst plus
      // the refill since the start, so the limit is at least `charged / (elapsed + 1 min)`.
      const proven = this.#charged / ((now - this.#startedAt) / MINUTE + 1);
      this.#phase = "search";
      this.#searchAnchor = anchor;
      this.#lowerBound = Math.max(proven, this.#initial);
      this.#upperBound = Number.POSITIVE_INFINITY;
      this.#setEstimate(Math.min(this.#estimate, this.#lowerBound));
      return;
    }
    if (window) {
      const measured = (this.#charged - window.charged) / ((now - window.at) / MINUTE);
      this.#measured = measured;
      this.#phase = "paced";
      this.#probeBase = measured * (1 - this.#margin);
      this.#probeMs = 0;
      this.#setEstimate(this.#probeBase);
      return;
    }
    if (this.#phase === "search" && this.#searchAnchor && now > this.#searchAnchor.at) {
      // Too narrow to measure, but it bounds the limit: between the search's first sync point
      // and this one the bucket refilled what it was charged, give or take what it held at
      // either end (less than the refused call's reservation each time). Pace at the proven
      // lower bound and grow no further than the upper one; each throttle narrows both.
      const from = this.#searchAnchor;
      const minutes = (now - from.at) / MINUTE;
      const charged = this.#charged - from.charged;
      this.#lowerBound = Math.max(this.#lowerBound, (charged - from.reservation) / minutes);
      const upper = (charged + reservation) / minutes;
      // An upper bound below a proven lower one means the bucket was not as empty at a sync
      // point as assumed (a refusal can race refunds in flight): then it proves nothing.
      if (upper >= this.#lowerBound) this.#upperBound = Math.min(this.#upperBound, upper);
      this.#setEstimate(this.#lowerBound);
      return;
    }
    // Refused before the window since the last sync point could say anything: too fast now.
    this.#probeBase = this.#estimate * this.#decrease;
    this.#probeMs = 0;
    this.#setEstimate(this.#probeBase);
  }

  /** The most recent sync point that leaves a window wide enough to measure, if any. */
  #latestMeasurableWindow(reservation: number): Anchor | undefined {
    const enough = this.#minimumWindow * Math.max(reservation, 1);
    const now = this.#clock.now();
    for (let index = this.#anchors.length - 1; index >= 0; index--) {
      const anchor = this.#anchors[index]!;
      if (this.#charged - anchor.charged >= enough && now > anchor.at) return anchor;
    }
    return undefined;
  }

  #grow(elapsed: number): void {
    switch (this.#phase) {
      case "ramp":
        this.#setEstimate(this.#estimate * this.#rampPerSecond ** (elapsed / SECOND));
        return;
      case "search": {
        const grown = this.#estimate * this.#searchPerSecond ** (elapsed / SECOND);
        this.#setEstimate(Math.max(this.#estimate, Math.min(grown, this.#upperBound)));
        return;
      }
      case "paced": {
        const floor = this.#measured * (1 - this.#margin);
        if (this.#estimate < floor) {
          // Below the last measure after a cut: climb back to it briskly.
          this.#setEstimate(
            Math.min(floor, this.#estimate * this.#searchPerSecond ** (elapsed / SECOND)),
          );
          this.#probeBase = this.#estimate;
          this.#probeMs = 0;
          return;
        }
        this.#probeMs += elapsed;
        const quietMs = Math.max(
          this.#probeAfterMs,
          (this.#probeAfterReservations * this.#typicalCost * MINUTE) / this.#estimate,
        );
        const seconds = Math.max(0, this.#probeMs - quietMs) / SECOND;
        const target = this.#probeBase * (1 + this.#probeCurve * seconds * seconds);
        if (target > this.#estimate) this.#setEstimate(target);
        return;
      }
    }
  }

  #setEstimate(estimate: number): void {
    this.#estimate = Math.max(estimate, this.#largestCost, Number.MIN_VALUE);
    this.bucket.retune(this.#estimate);
  }
}
