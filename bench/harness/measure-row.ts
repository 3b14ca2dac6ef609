import type { Scenario } from "../scenarios/scenarios.js";
import type { ChildReport } from "./contestant-child.js";
import type { EmulatorStats } from "./emulator-cli-process.js";
import {
  fractionOfIdeal,
  idealDuration,
  idealRatePerMinute,
  idealRecordsFinished,
  idealSeconds,
  initialBurstRecords,
  lastReplySeconds,
  limitsAt,
  meanCharge,
  meanReplySeconds,
} from "./ideal-rate.js";
import { accountRecords, type RecordAccount } from "./record-accounting.js";

/** Every figure of one scenario × contestant. */
export interface Row {
  readonly scenario: string;
  readonly contestant: string;
  readonly records: number;
  readonly wallSeconds: number;
  readonly cutAtDeadline: boolean;
  readonly ok: number;
  readonly failed: number;
  readonly lost: number;
  readonly unfinished: number;
  readonly duplicated: number;
  readonly unknown: number;
  /** Ok replies cut off at max_tokens (a result that differs from the full reply). */
  readonly truncated: number;
  readonly recordsPerMinute: number;
  readonly outputTokensPerMinute: number;
  /** Mean charge of the ok records: input + output × burndown. */
  readonly meanCharge: number;
  /**
   * The latency allowance: seconds one reply of the mean output length takes at the
   * scenario's latency (the mean measured over the ok records, else the scenario's).
   */
  readonly meanReplySeconds: number;
  /**
   * The latency allowance: seconds from the ideal client's last admission to its last reply
   * (`lastReplySeconds`: the slowest of its last replies, at the scenario's latency and jitter,
   * over the ok records' measured lengths).
   */
  readonly lastReplySeconds: number;
  /** Seconds the ideal needs for the ok records: the quota's time for them plus the allowance. */
  readonly idealSeconds: number;
  /** Records the ideal finishes within the wall time: those the quota admits by wall − reply. */
  readonly idealRecords: number;
  /**
   * Goodput as a fraction of the ideal: `idealSeconds / wallSeconds` when the run finished,
   * `ok / idealRecords` when it was cut at its deadline.
   */
  readonly ofIdeal: number;
  /**
   * The same against the ideal plus the initial full bucket (a stricter yardstick for short
   * runs that start on a full bucket); undefined when the harness drained the buckets first.
   */
  readonly ofIdealWithBurst: number | undefined;
  /** Seconds between the emulator's reset (the schedule's start) and the contestant's start. */
  readonly startOffsetSeconds: number;
  readonly emulatorRequests: number;
  readonly emulatorOk: number;
  readonly throttled: number;
  readonly throttledShare: number;
  readonly faults: number;
  readonly clientAborted: number;
  readonly byOutcome: Readonly<Record<string, number>>;
  readonly cpuMs: number;
  readonly cpuMsPerRecord: number;
  readonly peakRssMiB: number;
  readonly failureReasons: RecordAccount["failureReasons"];
  readonly error?: string;
}

function sumWhere(counts: Readonly<Record<string, number>>, test: (key: string) => boolean) {
  let sum = 0;
  for (const [key, count] of Object.entries(counts)) if (test(key)) sum += count;
  return sum;
}

/** The figures of one run, from the contestant's report and the emulator's statistics. */
export function measureRow(
  scenario: Scenario,
  contestant: string,
  ids: readonly string[],
  report: ChildReport,
  measured: { readonly stats: EmulatorStats; readonly baseline: EmulatorStats | undefined },
  startOffsetSeconds: number,
  drained: boolean,
): Row {
  const stats = subtractStats(measured.stats, measured.baseline);
  const account = accountRecords(ids, report.results, report.cutAtDeadline);
  const wallSeconds = report.wallMs / 1000;
  const minutes = wallSeconds / 60;
  let outputTokens = 0;
  let truncated = 0;
  for (const result of account.okResults) {
    outputTokens += result.outputTokens ?? 0;
    if (result.stopReason === "max_tokens" || result.stopReason === "length") truncated++;
  }
  const actual = meanCharge(
    account.okResults.map((result) => ({
      inputTokens: result.inputTokens ?? 0,
      outputTokens: result.outputTokens ?? 0,
    })),
    scenario.outputBurndown,
  );
  const charge = actual > 0 ? actual : scenario.estimatedCharge;
  const meanOutput =
    account.ok > 0 && outputTokens > 0
      ? outputTokens / account.ok
      : (scenario.outputTokens.min + scenario.outputTokens.max) / 2;
  const meanReply = meanReplySeconds(scenario.latency, meanOutput);
  const outputs = account.okResults
    .map((result) => result.outputTokens ?? 0)
    .filter((tokens) => tokens > 0);
  const admitted = idealSeconds(scenario.quota, charge, account.ok, startOffsetSeconds);
  const endRate =
    idealRatePerMinute(limitsAt(scenario.quota, startOffsetSeconds + admitted), charge) / 60;
  const reply =
    outputs.length > 0 && Number.isFinite(endRate)
      ? lastReplySeconds(scenario.latency, outputs, endRate)
      : meanReply;
  const judged = {
    quota: scenario.quota,
    charge,
    ok: account.ok,
    wallSeconds,
    finished: !report.cutAtDeadline,
    replySeconds: reply,
    fromSeconds: startOffsetSeconds,
  };
  const burst = initialBurstRecords(scenario.quota, charge);
  const throttled = sumWhere(stats.byOutcome, (key) => key.startsWith("throttled:"));
  return {
    scenario: scenario.name,
    contestant,
    records: ids.length,
    wallSeconds,
    cutAtDeadline: report.cutAtDeadline,
    ok: account.ok,
    failed: account.failed,
    lost: account.lost,
    unfinished: account.unfinished,
    duplicated: account.duplicated,
    unknown: account.unknown,
    truncated,
    recordsPerMinute: account.ok / minutes,
    outputTokensPerMinute: outputTokens / minutes,
    meanCharge: charge,
    meanReplySeconds: meanReply,
    lastReplySeconds: reply,
    idealSeconds: idealDuration(scenario.quota, charge, account.ok, reply, startOffsetSeconds),
    idealRecords: idealRecordsFinished(
      scenario.quota,
      charge,
      wallSeconds,
      reply,
      startOffsetSeconds,
    ),
    ofIdeal: fractionOfIdeal(judged),
    ofIdealWithBurst: drained ? undefined : fractionOfIdeal({ ...judged, burstRecords: burst }),
    startOffsetSeconds,
    emulatorRequests: stats.requests,
    emulatorOk: stats.byOutcome.ok ?? 0,
    throttled,
    throttledShare: stats.requests > 0 ? throttled / stats.requests : 0,
    faults: sumWhere(stats.byOutcome, (key) => key.startsWith("fault:")),
    clientAborted: stats.byOutcome["client-aborted"] ?? 0,
    byOutcome: stats.byOutcome,
    cpuMs: report.cpuMs,
    cpuMsPerRecord: report.cpuMs / Math.max(1, account.ok + account.failed),
    peakRssMiB: report.peakRssMiB,
    failureReasons: account.failureReasons,
    ...(report.error === undefined ? {} : { error: report.error }),
  };
}

/** The statistics of the contestant's run alone: `after` less what the drain left in `before`. */
export function subtractStats(
  after: EmulatorStats,
  before: EmulatorStats | undefined,
): EmulatorStats {
  if (!before) return after;
  const byOutcome: Record<string, number> = {};
  for (const [key, count] of Object.entries(after.byOutcome)) {
    const left = count - (before.byOutcome[key] ?? 0);
    if (left !== 0) byOutcome[key] = left;
  }
  return {
    requests: after.requests - before.requests,
    byOutcome,
    inputTokens: after.inputTokens - before.inputTokens,
    outputTokens: after.outputTokens - before.outputTokens,
    inFlight: after.inFlight,
  };
}
