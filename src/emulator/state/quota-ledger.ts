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
  /** The quota tokens charged at admission: `input + max_tokens × burndown`. */
  readonly reservation: number;
  /**
   * Returns the unused reservation, given what the request really produced, and the input
   * tokens that turned out not to count (those read from the prompt cache).
   */
  release(outputTokens: number, uncountedInputTokens?: number): void;
}

/** The limits in force for one quota key at one moment; a missing limit is unlimited. */
export interface QuotaLimits {
  readonly tpm?: number | undefined;
  readonly rpm?: number | undefined;
  readonly concurrency?: number | undefined;
  readonly tpd?: number | undefined;
}

/** What one quota key has used, for tests and diagnostics. */
export interface QuotaUsage {
  /** Tokens the TPM bucket holds now (undefined when no TPM limit has applied yet). */
  readonly tpmAvailable: number | undefined;
  /** Requests the RPM bucket holds now (undefined when no RPM limit has applied yet). */
  readonly rpmAvailable: number | undefined;
  readonly inFlight: number;
  /** Quota tokens charged in the current day window (reservations minus refunds). */
  readonly dayTokens: number;
}

const MINUTE_MS = 60_000;
const NO_LIMITS: QuotaLimits = Object.freeze({});
const DAY_MS = 86_400_000;

/**
 * A token bucket of `capacity` tokens that refills continuously at `capacity` tokens per minute.
 *
 * Why a continuously refilling bucket rather than a fixed minute window: AWS documents TPM and
 * RPM as rates ("tokens per minute", bedrock-facts.md §1.1) and no window boundary; a fixed
 * window would let a client send twice its quota across a window edge, and AWS's documented API
 * throttles (EC2, API Gateway) are token buckets. A full bucket lets one minute's worth of quota
 * go at once, then admits at the refill rate — the behaviour a client sees from Bedrock when it
 * bursts and then settles. The bucket never holds more than `capacity` nor less than zero.
 */
class Bucket {
  tokens: number;
  capacity: number;
  updatedAt: number;

  constructor(capacity: number, now: number) {
    this.capacity = capacity;
    this.tokens = capacity;
    this.updatedAt = now;
  }

  /** Adds what has dripped in since the last update, at the current capacity's rate. */
  refill(now: number): void {
    const elapsed = now - this.updatedAt;
    if (elapsed > 0) {
      this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.capacity) / MINUTE_MS);
      this.updatedAt = now;
    }
  }

  /**
   * Applies a changed limit. A raised quota refills faster from now on and may hold more, but
   * gives nothing at once: what the bucket holds stays (a windfall of the whole difference would
   * let a client that happened to be idle at that second through with a burst nothing documents,
   * and would decide any run around the change by that burst alone). A lowered one applies at
   * once, with the used part capped at the new capacity, so the bucket recovers within a minute
   * of the new rate — as usage ages out of a one-minute window — instead of staying in debt for
   * many minutes at the lower rate.
   */
  resize(capacity: number): void {
    if (capacity === this.capacity) return;
    if (capacity > this.capacity) {
      this.capacity = capacity;
      return;
    }
    const used = Math.min(capacity, this.capacity - this.tokens);
    this.capacity = capacity;
    this.tokens = capacity - used;
  }

  /** Gives tokens back, never beyond the capacity. */
  refund(tokens: number, now: number): void {
    this.refill(now);
    this.tokens = Math.min(this.capacity, this.tokens + tokens);
  }
}

class KeyState {
  tpm?: Bucket;
  rpm?: Bucket;
  inFlight = 0;
  /** Start of the current day window (a multiple of a day after the ledger's origin). */
  dayStart = 0;
  dayTokens = 0;
}

/** A quota with its schedule sorted once, when the table is configured, not per request. */
interface CompiledQuota {
  readonly base: QuotaLimits;
  readonly outputBurndown: number | undefined;
  /** Schedule steps in time order, each with the limits in force from its moment on. */
  readonly steps: readonly { readonly atMs: number; readonly limits: QuotaLimits }[];
}

/**
 * Bedrock's quota semantics, per quota key (model × on-demand/cross-region): a request reserves
 * `input + max_tokens × burndown` tokens when it starts and the unused part is given back when
 * it ends; requests per minute, concurrency and tokens per day are counted alongside. Admission
 * never queues: a request that does not fit is refused at once, as Bedrock does (it sends no
 * Retry-After).
 * https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-token-burndown.html
 *
 * Each key has its own buckets: `anthropic.x` (on-demand) and `us.anthropic.x` (cross-region)
 * never share, and the `*` entry is a default applied to every other key separately, not a
 * pool they share.
 */
export class QuotaLedger {
  readonly #clock: Clock;
  #quotas = new Map<string, CompiledQuota>();
  #origin: number;
  readonly #keys = new Map<string, KeyState>();

  constructor(clock: Clock, quotas: Readonly<Record<string, QuotaConfig>>) {
    this.#clock = clock;
    this.#origin = clock.now();
    this.#quotas = compile(quotas);
  }

  /** Replaces the quota table (a runtime reconfiguration); usage so far is kept. */
  configure(quotas: Readonly<Record<string, QuotaConfig>>): void {
    // Bring every bucket up to now at the old rates, so the new rates apply from this moment.
    const now = this.#clock.now();
    for (const [key, state] of this.#keys) this.#advance(key, state, now);
    this.#quotas = compile(quotas);
    for (const [key, state] of this.#keys) this.#advance(key, state, now);
  }

  /** Forgets all usage and restarts the schedule clock. */
  reset(): void {
    this.#keys.clear();
    this.#origin = this.#clock.now();
  }

  /** The limits in force for a key now, after applying its schedule. */
  limitsFor(key: string): QuotaLimits {
    return this.#limitsAt(key, this.#clock.now());
  }

  /** The configured output burndown for a key, if the quota table overrides the catalog's. */
  burndownFor(key: string): number | undefined {
    return this.#quotaFor(key)?.outputBurndown;
  }

  /** What a key has used so far. */
  usage(key: string): QuotaUsage {
    const state = this.#keys.get(key);
    if (!state) {
      return { tpmAvailable: undefined, rpmAvailable: undefined, inFlight: 0, dayTokens: 0 };
    }
    this.#advance(key, state, this.#clock.now());
    return {
      tpmAvailable: state.tpm?.tokens,
      rpmAvailable: state.rpm?.tokens,
      inFlight: state.inFlight,
      dayTokens: state.dayTokens,
    };
  }

  /**
   * Admits a request or throws the error Bedrock would send, tagged with its cause in
   * `outcome` for the statistics: concurrency → ServiceUnavailableException "Too many
   * connections", RPM → ThrottlingException "Too many requests", TPM → ThrottlingException
   * "Too many tokens", TPD → ThrottlingException "Too many tokens per day".
   */
  admit(key: string, demand: QuotaDemand): QuotaLease {
    const now = this.#clock.now();
    const quota = this.#quotaFor(key);
    const reservation = demand.inputTokens + demand.maxTokens * demand.outputBurndown;
    const state = this.#state(key);
    // No quota for this key and no `*` default: unlimited; only the requests in flight are
    // counted, so that a concurrency limit configured later sees them. This is also the
    // emulator's hot path when it serves a benchmark, so it does no more than that.
    const limits = quota ? this.#advance(key, state, now) : NO_LIMITS;

    if (limits.concurrency !== undefined && state.inFlight >= limits.concurrency) {
      throw tag(awsErrors.tooManyConnections(), "concurrency");
    }
    const rpm = limits.rpm !== undefined ? state.rpm : undefined;
    if (rpm && rpm.tokens < 1) throw tag(awsErrors.throttling(), "rpm");

    // The whole reservation must fit in the bucket. A reservation larger than the TPM itself
    // (say max_tokens 8192 at burndown 5 against a 20k TPM) can therefore never be admitted
    // and is throttled every time, with the same "Too many tokens" ThrottlingException:
    // Bedrock checks the reservation against the quota before admitting, and a request that
    // does not fit gets a 429, not a ValidationException (bedrock-facts.md §1.2).
    const tpm = limits.tpm !== undefined ? state.tpm : undefined;
    if (tpm && tpm.tokens < reservation) throw tag(awsErrors.tooManyTokens(), "tpm");

    const dayStart = state.dayStart;
    if (limits.tpd !== undefined && state.dayTokens + reservation > limits.tpd) {
      throw tag(
        awsErrors.throttling("Too many tokens per day, please wait before trying again."),
        "tpd",
      );
    }

    // Admitted: charge every limit at once, so a refusal above leaves no partial charge.
    if (rpm) rpm.tokens -= 1;
    if (tpm) tpm.tokens -= reservation;
    state.dayTokens += reservation;
    state.inFlight++;

    let released = false;
    return {
      reservation,
      release: (outputTokens: number, uncountedInputTokens = 0) => {
        if (released) return;
        released = true;
        state.inFlight--;
        const used = Math.min(demand.maxTokens, Math.max(0, outputTokens));
        // Cache reads are reserved with the input and released at settlement (prompt-cache.ts).
        const uncounted = Math.min(demand.inputTokens, Math.max(0, uncountedInputTokens));
        const refund = (demand.maxTokens - used) * demand.outputBurndown + uncounted;
        if (refund <= 0) return;
        // Back to the bucket that was charged (even if the table changed meanwhile), capped
        // at its capacity; and to the day only if the day it was charged to is still current.
        tpm?.refund(refund, this.#clock.now());
        if (state.dayStart === dayStart) state.dayTokens = Math.max(0, state.dayTokens - refund);
      },
    };
  }

  #quotaFor(key: string): CompiledQuota | undefined {
    return this.#quotas.get(key) ?? this.#quotas.get("*");
  }

  #limitsAt(key: string, now: number): QuotaLimits {
    const quota = this.#quotaFor(key);
    if (!quota) return {};
    return limitsAt(quota, now - this.#origin);
  }

  #state(key: string): KeyState {
    let state = this.#keys.get(key);
    if (!state) {
      state = new KeyState();
      state.dayStart = this.#origin;
      this.#keys.set(key, state);
    }
    return state;
  }

  /**
   * Brings a key's buckets and day window up to `now` and returns the limits in force. Refill
   * runs piecewise across schedule steps, so tokens that dripped in before a step came at the
   * old rate and those after it at the new one.
   */
  #advance(key: string, state: KeyState, now: number): QuotaLimits {
    const quota = this.#quotaFor(key);
    if (!quota) return {};
    const elapsed = now - this.#origin;
    for (const kind of ["tpm", "rpm"] as const) {
      const bucket = state[kind];
      if (!bucket) continue;
      for (const step of quota.steps) {
        const at = this.#origin + step.atMs;
        if (at <= bucket.updatedAt) continue;
        if (at > now) break;
        bucket.refill(at);
        const capacity = limitsAt(quota, step.atMs)[kind];
        if (capacity !== undefined) bucket.resize(capacity);
      }
    }
    const limits = limitsAt(quota, elapsed);
    state.tpm = touch(state.tpm, limits.tpm, now);
    state.rpm = touch(state.rpm, limits.rpm, now);
    if (now - state.dayStart >= DAY_MS) {
      // Day windows are aligned to the ledger's origin, so they do not drift with traffic.
      state.dayStart += Math.floor((now - state.dayStart) / DAY_MS) * DAY_MS;
      state.dayTokens = 0;
    }
    return limits;
  }
}

/** Creates a bucket the first time a limit applies, else refills and resizes it. */
function touch(bucket: Bucket | undefined, capacity: number | undefined, now: number) {
  if (capacity === undefined) return bucket;
  if (!bucket) return new Bucket(capacity, now);
  bucket.refill(now);
  bucket.resize(capacity);
  return bucket;
}

function compile(quotas: Readonly<Record<string, QuotaConfig>>): Map<string, CompiledQuota> {
  const compiled = new Map<string, CompiledQuota>();
  for (const [key, quota] of Object.entries(quotas)) {
    const base: QuotaLimits = {
      tpm: quota.tpm,
      rpm: quota.rpm,
      concurrency: quota.concurrency,
      tpd: quota.tpd,
    };
    // Steps are cumulative: each changes only the limits it names, on top of those before it.
    let current = base;
    const steps = [...(quota.schedule ?? [])]
      .sort((a, b) => a.atSeconds - b.atSeconds)
      .map((step) => {
        current = {
          tpm: step.tpm ?? current.tpm,
          rpm: step.rpm ?? current.rpm,
          concurrency: step.concurrency ?? current.concurrency,
          tpd: step.tpd ?? current.tpd,
        };
        return { atMs: step.atSeconds * 1000, limits: current };
      });
    compiled.set(key, { base, outputBurndown: quota.outputBurndown, steps });
  }
  return compiled;
}

/** The limits in force `elapsedMs` after the origin. */
function limitsAt(quota: CompiledQuota, elapsedMs: number): QuotaLimits {
  let limits = quota.base;
  for (const step of quota.steps) {
    if (step.atMs > elapsedMs) break;
    limits = step.limits;
  }
  return limits;
}

function tag(error: EmulatorError, cause: ThrottleCause): EmulatorError {
  error.outcome = `throttled:${cause}`;
  return error;
}
