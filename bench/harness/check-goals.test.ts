import { describe, expect, it } from "vitest";
import { bestPeer, checkGoals } from "./check-goals.js";
import type { Row } from "./measure-row.js";

function row(scenario: string, contestant: string, figures: Partial<Row>): Row {
  return {
    scenario,
    contestant,
    records: 100,
    wallSeconds: 60,
    cutAtDeadline: false,
    ok: 100,
    failed: 0,
    lost: 0,
    unfinished: 0,
    duplicated: 0,
    unknown: 0,
    truncated: 0,
    recordsPerMinute: 100,
    outputTokensPerMinute: 10_000,
    meanCharge: 200,
    meanReplySeconds: 2,
    lastReplySeconds: 2.4,
    idealSeconds: 60,
    idealRecords: 100,
    ofIdeal: 1,
    ofIdealWithBurst: undefined,
    startOffsetSeconds: 1,
    emulatorRequests: 100,
    emulatorOk: 100,
    throttled: 0,
    throttledShare: 0,
    faults: 0,
    clientAborted: 0,
    byOutcome: {},
    cpuMs: 100,
    cpuMsPerRecord: 1,
    peakRssMiB: 100,
    failureReasons: [],
    ...figures,
  };
}

describe("goals", () => {
  it("passes Quarry at ≥ 95% of ideal with nothing failed and under 3% throttled", () => {
    const [verdict] = checkGoals([row("rpm", "quarry", { ofIdeal: 0.96, throttledShare: 0.02 })]);
    expect(verdict).toMatchObject({ pass: true });
  });

  it("fails Quarry and says why: below the ideal, failed, lost, unfinished, throttled", () => {
    const verdicts = checkGoals([
      row("rpm", "quarry", { ofIdeal: 0.94 }),
      row("faulty", "quarry", { failed: 1 }),
      row("quota-drop", "quarry", { lost: 2, duplicated: 1 }),
      row("rpm-cut", "quarry", { unfinished: 5 }),
      row("other", "quarry", { throttledShare: 0.03 }),
    ]);
    expect(verdicts.map((verdict) => verdict.pass)).toEqual([false, false, false, false, false]);
    expect(verdicts[0]!.detail).toContain("94.0% of ideal");
    expect(verdicts[1]!.detail).toContain("1 failed");
    expect(verdicts[2]!.detail).toContain("2 lost, 1 duplicated");
    expect(verdicts[3]!.detail).toContain("5 unfinished");
    expect(verdicts[4]!.detail).toContain("3.0% throttled");
  });

  it("compares the auto scenario with the best peer by records per minute", () => {
    const rows = [
      row("tpm-max-tokens", "quarry", { recordsPerMinute: 90 }),
      row("tpm-max-tokens", "aws-sdk-adaptive", { recordsPerMinute: 30 }),
      row("tpm-max-tokens", "vercel-ai-sdk", { recordsPerMinute: 31 }),
      row("rpm", "seed-loop", { recordsPerMinute: 500 }),
    ];
    expect(bestPeer(rows, "tpm-max-tokens")?.contestant).toBe("vercel-ai-sdk");
    const auto = checkGoals(rows).find((verdict) => verdict.goal.includes("3×"));
    expect(auto).toMatchObject({ pass: false });
    expect(auto!.detail).toMatch(/^2\.90× vercel-ai-sdk/);
    rows[0] = row("tpm-max-tokens", "quarry", { recordsPerMinute: 93 });
    expect(checkGoals(rows).find((verdict) => verdict.goal.includes("3×"))?.pass).toBe(true);
  });
});
