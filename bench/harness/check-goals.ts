import type { Row } from "./measure-row.js";

/** One goal's verdict. */
export interface GoalVerdict {
  readonly goal: string;
  readonly pass: boolean;
  readonly detail: string;
}

/** The contestant whose figures are checked. */
export const QUARRY = "quarry";
/** The scenario where `maxTokens: "auto"` must beat the best peer threefold. */
export const AUTO_SCENARIO = "tpm-max-tokens";

/** The best peer of a scenario by records per minute, or undefined if none ran. */
export function bestPeer(rows: readonly Row[], scenario: string): Row | undefined {
  let best: Row | undefined;
  for (const row of rows)
    if (row.scenario === scenario && row.contestant !== QUARRY)
      if (!best || row.recordsPerMinute > best.recordsPerMinute) best = row;
  return best;
}

/**
 * The goals: in every scenario Quarry reaches ≥ 0.95 of the ideal with no record failed, lost
 * or duplicated and throttled responses under 3% of requests; in the TPM/max_tokens scenario it
 * does ≥ 3× the records per minute of the best peer.
 */
export function checkGoals(rows: readonly Row[]): GoalVerdict[] {
  const verdicts: GoalVerdict[] = [];
  for (const row of rows) {
    if (row.contestant !== QUARRY) continue;
    const problems: string[] = [];
    if (!(row.ofIdeal >= 0.95)) problems.push(`${(row.ofIdeal * 100).toFixed(1)}% of ideal`);
    if (row.failed > 0) problems.push(`${row.failed} failed`);
    if (row.lost > 0) problems.push(`${row.lost} lost`);
    if (row.unfinished > 0) problems.push(`${row.unfinished} unfinished at the deadline`);
    if (row.duplicated > 0) problems.push(`${row.duplicated} duplicated`);
    if (!(row.throttledShare < 0.03))
      problems.push(`${(row.throttledShare * 100).toFixed(1)}% throttled`);
    verdicts.push({
      goal: `${row.scenario}: ≥ 95% of ideal, none failed, throttled < 3%`,
      pass: problems.length === 0,
      detail:
        problems.length === 0
          ? `${(row.ofIdeal * 100).toFixed(1)}% of ideal, ${(row.throttledShare * 100).toFixed(1)}% throttled`
          : problems.join(", "),
    });
  }
  const quarry = rows.find((row) => row.scenario === AUTO_SCENARIO && row.contestant === QUARRY);
  const peer = bestPeer(rows, AUTO_SCENARIO);
  if (quarry && peer) {
    const ratio = quarry.recordsPerMinute / peer.recordsPerMinute;
    verdicts.push({
      goal: `${AUTO_SCENARIO}: maxTokens auto ≥ 3× the best peer`,
      pass: ratio >= 3,
      detail: `${ratio.toFixed(2)}× ${peer.contestant} (${quarry.recordsPerMinute.toFixed(0)} vs ${peer.recordsPerMinute.toFixed(0)} records/min)`,
    });
  }
  return verdicts;
}
