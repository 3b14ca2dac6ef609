import type { Clock } from "../../clock/clock.js";
import type { QuotaConfig } from "../config/emulator-config.js";
import { awsErrors, type EmulatorError } from "../emulator-error.js";

/** Why a request was refused admission; the statistics count each cause apart. */
export type ThrottleCause = "tpm" | "rpm" | "concurrency" | "tpd";

/** What a request asks of the quota when it starts. */
export interface QuotaDemand {
  readonly inputTokens: number;
  /** The request's max_tokens: reserved at start, the unused part refunded at the end. */
  readonly maxTokens: number;
  /** Output burndown multiplier (5 for Claude 4-family models). */
  readonly outputBurndown: number;
}

/** A request admitted against a quota; `release` must be called exactly once when it ends. */
export interface QuotaLease {
  /** Returns the unused reservation, given what the request really produced. */
  release(outputTokens: number): void;
}

interface Limits {
  tpm?: number | undefined;
  rpm?: number | undefined;
  concurrency?: number | undefined;
  tpd?: number | undefined;
}

/** A token bucket: `capacity` tokens, refilled at capacity per minute; may go negative. */
class Bucket {
  tokens: number;
  capacity: number;
  updatedAt: number;

  constructor(capacity: number, now: number) {
    this.capacity = capacity;
    this.tokens = capacity;
    this.updatedAt = now;
  }

  refill(now: number): void {
    const elapsed = now - this.updatedAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.capacity) / 60_000);
      this.updatedAt = now;
    }
  }

  resize(capacity: number): void {
    if (capacity === this.capacity) return;
    // Keep the used part: a lowered quota applies at once, a raised one fills over time.
    const used = this.capacity - this.tokens;
    this.capacity = capacity;
    this.tokens = Math.min(capacity, capacity - used);
  }
}

class KeyState {
  tpm?: Bucket;
  rpm?: Bucket;
  inFlight = 0;
  dayStart = 0;
  dayTokens = 0;
}

/**
 * Bedrock's quota semantics, per quota key (model × on-demand/cross-region): a request reserves
 * `input + max_tokens × burndown` tokens when it starts and the unused part is given back when
 * it ends; requests per minute and concurrency are counted alongside. Admission never queues:
 * a request that does not fit is refused at once, as Bedrock does (it sends no Retry-After).
 * https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-token-burndown.html
 */
export class QuotaLedger {
  readonly #clock: Clock;
  #quotas: Readonly<Record<string, QuotaConfig>>;
  #origin: number;
  readonly #keys = new Map<string, KeyState>();

  constructor(clock: Clock, quotas: Readonly<Record<string, QuotaConfig>>) {
    this.#clock = clock;
    this.#quotas = quotas;
    this.#origin = clock.now();
  }

  /** Replaces the quota table (a runtime reconfiguration); usage so far is kept. */
  configure(quotas: Readonly<Record<string, QuotaConfig>>): void {
    this.#quotas = quotas;
  }

  /** Forgets all usage and restarts the schedule clock. */
  reset(): void {
    this.#keys.clear();
    this.#origin = this.#clock.now();
  }

  /** The limits in force for a key now, after applying its schedule. */
  limitsFor(key: string): Limits {
    const quota = this.#quotas[key] ?? this.#quotas["*"];
    if (!quota) return {};
    const limits: Limits = {
      tpm: quota.tpm,
      rpm: quota.rpm,
      concurrency: quota.concurrency,
      tpd: quota.tpd,
    };
    const elapsedSeconds = (this.#clock.now() - this.#origin) / 1000;
    for (const step of [...(quota.schedule ?? [])].sort((a, b) => a.atSeconds - b.atSeconds)) {
      if (step.atSeconds > elapsedSeconds) break;
      if (step.tpm !== undefined) limits.tpm = step.tpm;
      if (step.rpm !== undefined) limits.rpm = step.rpm;
      if (step.concurrency !== undefined) limits.concurrency = step.concurrency;
      if (step.tpd !== undefined) limits.tpd = step.tpd;
    }
    return limits;
  }

  /** The configured output burndown for a key, if the quota table overrides the catalog's. */
  burndownFor(key: string): number | undefined {
    return (this.#quotas[key] ?? this.#quotas["*"])?.outputBurndown;
  }

  /**
   * Admits a request or throws the error Bedrock would send, tagged with its cause in
   * `outcome` for the statistics.
   */
  admit(key: string, demand: QuotaDemand): QuotaLease {
    const limits = this.limitsFor(key);
    const now = this.#clock.now();
    const state = this.#state(key);

    if (limits.concurrency !== undefined && state.inFlight >= limits.concurrency) {
      throw tag(awsErrors.tooManyConnections(), "concurrency");
    }
    const rpm = this.#bucket(state, "rpm", limits.rpm, now);
    if (rpm && rpm.tokens < 1) throw tag(awsErrors.throttling(), "rpm");

    const reservation = demand.inputTokens + demand.maxTokens * demand.outputBurndown;
    const tpm = this.#bucket(state, "tpm", limits.tpm, now);
    if (tpm && tpm.tokens < reservation) throw tag(awsErrors.tooManyTokens(), "tpm");

    if (limits.tpd !== undefined) {
      if (now - state.dayStart >= 86_400_000) {
        state.dayStart = now;
        state.dayTokens = 0;
      }
      if (state.dayTokens + reservation > limits.tpd) {
        throw tag(
          awsErrors.throttling("Too many tokens per day, please wait before trying again."),
          "tpd",
        );
      }
      state.dayTokens += reservation;
    }

    if (rpm) rpm.tokens -= 1;
    if (tpm) tpm.tokens -= reservation;
    state.inFlight++;

    let released = false;
    return {
      release: (outputTokens: number) => {
        if (released) return;
        released = true;
        state.inFlight--;
        const used = Math.min(demand.maxTokens, Math.max(0, outputTokens));
        const refund = (demand.maxTokens - used) * demand.outputBurndown;
        if (state.tpm) {
          state.tpm.refill(this.#clock.now());
          state.tpm.tokens = Math.min(state.tpm.capacity, state.tpm.tokens + refund);
        }
        if (limits.tpd !== undefined) state.dayTokens -= refund;
      },
    };
  }

  #state(key: string): KeyState {
    let state = this.#keys.get(key);
    if (!state) {
      state = new KeyState();
      state.dayStart = this.#clock.now();
      this.#keys.set(key, state);
    }
    return state;
  }

  #bucket(state: KeyState, kind: "tpm" | "rpm", capacity: number | undefined, now: number) {
    if (capacity === undefined) return undefined;
    let bucket = state[kind];
    if (!bucket) {
      bucket = new Bucket(capacity, now);
      state[kind] = bucket;
    }
    bucket.refill(now);
    bucket.resize(capacity);
    return bucket;
  }
}

function tag(error: EmulatorError, cause: ThrottleCause): EmulatorError {
  error.outcome = `throttled:${cause}`;
  return error;
}
