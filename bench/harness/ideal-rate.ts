// The yardstick every contestant is measured against: how many records the binding quota lets
// through when each request is charged its actual tokens (input + output × burndown), as
// Bedrock charges once the unused part of the max_tokens reservation is refunded
// (bedrock-facts §1.2). The formula is written out in bench/README.md.

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
 * Seconds the quota needs to let `records` through at the ideal rate (the inverse of
 * `idealRecords`); Infinity if it never does.
 */
export function idealSeconds(quota: QuotaShape, charge: number, records: number): number {
  const steps = [...(quota.schedule ?? [])]
    .map((step) => step.atSeconds)
    .filter((at) => at > 0)
    .sort((a, b) => a - b);
  let at = 0;
  let left = records;
  for (const edge of [...steps, Number.POSITIVE_INFINITY]) {
    const rate = idealRatePerMinute(limitsAt(quota, at), charge) / 60;
    if (rate === Number.POSITIVE_INFINITY) return at;
    const span = edge - at;
    if (rate > 0) {
      if (left <= rate * span) return at + left / rate;
      left -= rate * span;
    }
    at = edge;
  }
  return Number.POSITIVE_INFINITY;
}
