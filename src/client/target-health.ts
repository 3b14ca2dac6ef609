import type { Clock } from "../clock/clock.js";
import type { ErrorKind } from "../errors/classify-error.js";

/** How long a failing target is left out. */
export interface TargetHealthOptions {
  /** Failures in a row that take a target out. @default 3 */
  readonly threshold?: number;
  /** The first time out, in ms; it doubles each time the target fails again on its return. @default 5000 */
  readonly cooldownMs?: number;
  /** The longest time out, in ms. @default 60000 */
  readonly maxCooldownMs?: number;
}

interface Health {
  failures: number;
  downUntil: number;
  cooldownMs: number;
  /** Back from a time out, one call was given to it: until when others wait for its answer. */
  probeUntil: number;
}

// Failures that say the target is unwell rather than busy (throttles) or the request wrong.
const UNWELL: ReadonlySet<ErrorKind> = new Set(["transient", "timeout", "model-not-ready"]);

/**
 * Keeps a failing target out of the rotation for a while. The limiters already steer calls
 * away from a throttled target (its learned rate is cut, so it looks slower) and pause one whose
 * quota is exhausted; but a Region that answers with server faults or timeouts refuses fast and
 * so looks idle to its limiter: it would keep drawing first attempts and retries, each failure
 * spending the shared retry budget. After `threshold` such failures in a row a target is left
 * out for `cooldownMs`, doubled each time it fails straight after its return; one success
 * brings it back for good. On its return it gets one call (a probe) and no other until that
 * call answers, so a dead target costs one failure per time out, not one per waiting call.
 * When every target of a call is out, all are used.
 */
export class TargetHealth {
  readonly #clock: Clock;
  readonly #threshold: number;
  readonly #cooldownMs: number;
  readonly #maxCooldownMs: number;
  readonly #health = new Map<string, Health>();
  /** Lanes out right now, so that the healthy path allocates nothing. */
  #down = 0;

  constructor(clock: Clock, options: TargetHealthOptions = {}) {
    this.#clock = clock;
    this.#threshold = options.threshold ?? 3;
    this.#cooldownMs = options.cooldownMs ?? 5_000;
    this.#maxCooldownMs = options.maxCooldownMs ?? 60_000;
  }

  /** The lanes to offer the scheduler: those not out, or all of them if every one is. */
  available(lanes: readonly string[]): readonly string[] {
    if (this.#down === 0) return lanes;
    const now = this.#clock.now();
    const up = lanes.filter((lane) => this.#isUp(lane, now));
    return up.length > 0 ? up : lanes;
  }

  /**
   * The router gave a call to a lane: if the lane is back from a time out, that call is its
   * probe, and the lane is offered to no other call until the probe answers (or for at most
   * one time out, in case the call never reaches it).
   */
  picked(lane: string): void {
    if (this.#down === 0) return;
    const health = this.#health.get(lane);
    if (!health || health.downUntil === 0) return;
    const now = this.#clock.now();
    if (health.downUntil <= now && health.probeUntil <= now)
      health.probeUntil = now + health.cooldownMs;
  }

  /** Whether a lane is out of the rotation now. */
  isDown(lane: string): boolean {
    return !this.#isUp(lane, this.#clock.now());
  }

  succeeded(lane: string): void {
    const health = this.#health.get(lane);
    if (!health || health.failures === 0) return;
    if (health.downUntil > 0) this.#down--;
    health.failures = 0;
    health.downUntil = 0;
    health.probeUntil = 0;
    health.cooldownMs = this.#cooldownMs;
  }

  /**
   * Counts a failed attempt on a lane, by the kind `classifyError` gave its error (only faults
   * of the target itself count); true when it took the lane out.
   */
  failed(lane: string, kind: ErrorKind): boolean {
    if (!UNWELL.has(kind)) return false;
    let health = this.#health.get(lane);
    if (!health) {
      health = { failures: 0, downUntil: 0, cooldownMs: this.#cooldownMs, probeUntil: 0 };
      this.#health.set(lane, health);
    }
    const now = this.#clock.now();
    if (health.downUntil > now) return false;
    health.failures++;
    // Back from a time out: one more failure takes it out again, for twice as long.
    const returning = health.downUntil > 0;
    if (!returning && health.failures < this.#threshold) return false;
    if (returning) health.cooldownMs = Math.min(this.#maxCooldownMs, health.cooldownMs * 2);
    else this.#down++;
    health.probeUntil = 0;
    health.downUntil = now + health.cooldownMs;
    return true;
  }

  #isUp(lane: string, now: number): boolean {
    const health = this.#health.get(lane);
    return !health || (health.downUntil <= now && health.probeUntil <= now);
  }
}
