// The yardstick every contestant is measured against: how many records the binding quota lets
// through when each request is charged its actual tokens (input + output × burndown), as
// Bedrock charges once the unused part of the max_tokens reservation is refunded
// (bedrock-facts §1.2), plus one reply's latency at the end: the last record admitted still
// has to be generated. The formula is written out in bench/README.md.
import { SeededRandom } from "../../src/emulator/state/seeded-random.js";

/** One step of a quota schedule, as the emulator takes it: applies from `atSeconds` on. */
export interface QuotaStep {
  readonly atSeconds: number;
  readonly tpm?: number;
  readonly rpm?: number;
}

/** The quota of one key, in the emulator's shape (only what bounds throughput). */
export interface QuotaShape {
  readonly tpm?: number;
  readonly rpm?: number;
  readonly schedule?: readonly QuotaStep[];
}

/** The limits in force at one moment. */
export interface Limits {
  readonly tpm: number | undefined;
  readonly rpm: number | undefined;
}

/** What one record was charged, from the usage the service reported. */
export interface RecordUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** The limits in force `seconds` after the start: every step at or before it, in time order. */
export function limitsAt(quota: QuotaShape, seconds: number): Limits {
  let tpm = quota.tpm;
  let rpm = quota.rpm;
  const steps = [...(quota.schedule ?? [])].sort((a, b) => a.atSeconds - b.atSeconds);
  for (const step of steps) {
    if (step.atSeconds > seconds) break;
    if (step.tpm !== undefined) tpm = step.tpm;
    if (step.rpm !== undefined) rpm = step.rpm;
  }
  return { tpm, rpm };
}

/**
 * Requests per minute the limits allow: `TPM / meanCharge` for tokens, the RPM for requests,
 * the smaller when both apply, Infinity when neither does.
 */
export function idealRatePerMinute(limits: Limits, meanCharge: number): number {
  if (!(meanCharge > 0)) throw new RangeError(`meanCharge must be > 0; got ${meanCharge}`);
  const byTokens = limits.tpm === undefined ? Number.POSITIVE_INFINITY : limits.tpm / meanCharge;
  const byRequests = limits.rpm ?? Number.POSITIVE_INFINITY;
  return Math.min(byTokens, byRequests);
}

/** The mean quota charge of a record: `mean(input + output × burndown)`. */
export function meanCharge(records: readonly RecordUsage[], outputBurndown: number): number {
  if (records.length === 0) return Number.NaN;
  let sum = 0;
  for (const record of records) sum += record.inputTokens + record.outputTokens * outputBurndown;
  return sum / records.length;
}

/**
 * Records the quota allows in `durationSeconds` from `fromSeconds` after the schedule's start:
 * the ideal rate integrated over the schedule, exactly (the rate is constant between steps).
 */
export function idealRecords(
  quota: QuotaShape,
  charge: number,
  durationSeconds: number,
  fromSeconds = 0,
): number {
  if (!(durationSeconds >= 0))
    throw new RangeError(`durationSeconds must be ≥ 0; got ${durationSeconds}`);
  if (!(fromSeconds >= 0)) throw new RangeError(`fromSeconds must be ≥ 0; got ${fromSeconds}`);
  const end = fromSeconds + durationSeconds;
  const edges = [fromSeconds, end];
  for (const step of quota.schedule ?? [])
    if (step.atSeconds > fromSeconds && step.atSeconds < end) edges.push(step.atSeconds);
  edges.sort((a, b) => a - b);
  let total = 0;
  for (let index = 0; index + 1 < edges.length; index++) {
    const from = edges[index]!;
    const width = edges[index + 1]! - from;
    if (width <= 0) continue;
    total += (idealRatePerMinute(limitsAt(quota, from), charge) * width) / 60;
  }
  return total;
}

/**
 * The records a full bucket lets through at once at the start: the emulator's TPM and RPM
 * buckets start full (a minute's worth), so a short run can beat the rate for a while. Added to
 * `idealRecords` it gives the stricter, burst-inclusive yardstick.
 */
export function initialBurstRecords(quota: QuotaShape, charge: number): number {
  return idealRatePerMinute(limitsAt(quota, 0), charge);
}

/**
 * Seconds the quota needs to let `records` through at the ideal rate, from `fromSeconds` after
 * the schedule's start (the inverse of `idealRecords`); Infinity if it never does.
 */
export function idealSeconds(
  quota: QuotaShape,
  charge: number,
  records: number,
  fromSeconds = 0,
): number {
  if (!(fromSeconds >= 0)) throw new RangeError(`fromSeconds must be ≥ 0; got ${fromSeconds}`);
  const steps = [...(quota.schedule ?? [])]
    .map((step) => step.atSeconds)
    .filter((at) => at > fromSeconds)
    .sort((a, b) => a - b);
  let at = fromSeconds;
  let left = records;
  for (const edge of [...steps, Number.POSITIVE_INFINITY]) {
    const rate = idealRatePerMinute(limitsAt(quota, at), charge) / 60;
    if (rate === Number.POSITIVE_INFINITY) return at - fromSeconds;
    const span = edge - at;
    if (rate > 0) {
      if (left <= rate * span) return at + left / rate - fromSeconds;
      left -= rate * span;
    }
    at = edge;
  }
  return Number.POSITIVE_INFINITY;
}

/** The emulator's latency settings that set how long a reply takes (jitter averages out). */
export interface ReplyLatency {
  readonly firstTokenMs: number;
  readonly perOutputTokenMs: number;
}

/**
 * Seconds a reply of `meanOutputTokens` tokens takes on average: the first token, then each
 * output token (the emulator's jitter is symmetric, so it does not move the mean).
 */
export function meanReplySeconds(latency: ReplyLatency, meanOutputTokens: number): number {
  if (!(meanOutputTokens >= 0))
    throw new RangeError(`meanOutputTokens must be ≥ 0; got ${meanOutputTokens}`);
  return (latency.firstTokenMs + meanOutputTokens * latency.perOutputTokenMs) / 1000;
}

/** The emulator's latency model: each delay × a seeded factor uniform in [1 − jitter, 1 + jitter]. */
export interface JitteredLatency extends ReplyLatency {
  readonly jitter: number;
}

/**
 * Seconds from the ideal client's last admission to its last reply: it admits records at
 * `ratePerSecond` and each reply takes the emulator's latency for its length (first token and
 * output time, each with its own jitter draw), so the run ends with the slowest of its last few
 * replies, not with a mean one. The expectation over `trials` seeded draws, the lengths
 * (`outputs`, one per record) in a random order each time (an ideal client does not know which
 * reply is long). At least `meanReplySeconds`; equal to it without jitter or spread.
 */
export function lastReplySeconds(
  latency: JitteredLatency,
  outputs: readonly number[],
  ratePerSecond: number,
  trials = 256,
  seed = 1,
): number {
  if (outputs.length === 0) return 0;
  if (!(ratePerSecond > 0)) throw new RangeError(`ratePerSecond must be > 0; got ${ratePerSecond}`);
  const random = new SeededRandom(seed);
  const jitter = () => 1 - latency.jitter + 2 * latency.jitter * random.next();
  const longest = Math.max(...outputs);
  const slowest =
    ((latency.firstTokenMs + longest * latency.perOutputTokenMs) * (1 + latency.jitter)) / 1000;
  // Replies admitted more than the slowest reply's time before the last can never end last.
  const considered = Math.min(outputs.length, Math.ceil(slowest * ratePerSecond) + 1);
  let total = 0;
  for (let trial = 0; trial < trials; trial++) {
    let latest = Number.NEGATIVE_INFINITY;
    for (let back = 0; back < considered; back++) {
      const output = outputs[Math.floor(random.next() * outputs.length)]!;
      const seconds =
        (latency.firstTokenMs * jitter() + output * latency.perOutputTokenMs * jitter()) / 1000;
      latest = Math.max(latest, seconds - back / ratePerSecond);
    }
    total += latest;
  }
  return total / trials;
}

/** What the yardstick needs to judge one run. */
export interface RunToJudge {
  readonly quota: QuotaShape;
  /** Mean charge of a record (input + output × burndown). */
  readonly charge: number;
  /** Records ok. */
  readonly ok: number;
  readonly wallSeconds: number;
  /** False when the run was cut at its deadline. */
  readonly finished: boolean;
  /** The latency allowance, in seconds: from the ideal's last admission to its last reply. */
  readonly replySeconds: number;
  /** Seconds from the schedule's start to the run's start. */
  readonly fromSeconds?: number;
  /**
   * Records admitted at once at the start (a full bucket: `initialBurstRecords`) on top of
   * the rate; 0 (the default) for the drained yardstick.
   */
  readonly burstRecords?: number;
}

/**
 * Seconds the ideal needs to finish `records`: the quota admits them (the first
 * `burstRecords` at once, the rest at the ideal rate), then the latency allowance
 * (`replySeconds`: from the last admission to the last reply, see `lastReplySeconds`). 0 for no
 * records.
 */
export function idealDuration(
  quota: QuotaShape,
  charge: number,
  records: number,
  replySeconds: number,
  fromSeconds = 0,
  burstRecords = 0,
): number {
  if (!(records > 0)) return 0;
  return (
    idealSeconds(quota, charge, Math.max(0, records - burstRecords), fromSeconds) + replySeconds
  );
}

/**
 * Records the ideal has finished `wallSeconds` into a run: those the quota admitted by the
 * latency allowance before then (`burstRecords` at the start, then the rate); none before the
 * allowance has passed.
 */
export function idealRecordsFinished(
  quota: QuotaShape,
  charge: number,
  wallSeconds: number,
  replySeconds: number,
  fromSeconds = 0,
  burstRecords = 0,
): number {
  const admitting = wallSeconds - replySeconds;
  if (!(admitting >= 0)) return 0;
  return burstRecords + idealRecords(quota, charge, admitting, fromSeconds);
}

/**
 * A run's goodput as a fraction of the ideal, allowing one reply's latency at the end (no
 * client can finish the last record sooner than one reply after the quota admits it):
 * - a run that finished: `idealDuration(ok) / wallSeconds`, the time the ideal needs for the
 *   records it got ok over the time it took;
 * - a run cut at its deadline: `ok / idealRecordsFinished(wallSeconds)`, the records it got ok
 *   over those the ideal finishes in that time.
 * 0 with no record ok.
 */
export function fractionOfIdeal(run: RunToJudge): number {
  if (!(run.ok > 0)) return 0;
  const from = run.fromSeconds ?? 0;
  const burst = run.burstRecords ?? 0;
  if (run.finished)
    return (
      idealDuration(run.quota, run.charge, run.ok, run.replySeconds, from, burst) / run.wallSeconds
    );
  return (
    run.ok /
    idealRecordsFinished(run.quota, run.charge, run.wallSeconds, run.replySeconds, from, burst)
  );
}
