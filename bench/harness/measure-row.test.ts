import { describe, expect, it } from "vitest";
import { makeScenarios, type Scenario } from "../scenarios/scenarios.js";
import type { ChildReport } from "./contestant-child.js";
import type { EmulatorStats } from "./emulator-cli-process.js";
import { idealSeconds, lastReplySeconds } from "./ideal-rate.js";
import { measureRow } from "./measure-row.js";

const STATS: EmulatorStats = {
  requests: 10,
  byOutcome: { ok: 10 },
  inputTokens: 0,
  outputTokens: 0,
  inFlight: 0,
};

function scenario(name: string): Scenario {
  const found = makeScenarios(1).find((each) => each.name === name);
  if (!found) throw new Error(`no scenario ${name}`);
  return found;
}

function report(
  ok: number,
  outputTokens: number,
  wallSeconds: number,
  cutAtDeadline: boolean,
): ChildReport {
  return {
    type: "done",
    results: Array.from({ length: ok }, (_, index) => ({
      id: `r${index}`,
      ok: true,
      inputTokens: 40,
      outputTokens,
      stopReason: "end_turn",
    })),
    wallMs: wallSeconds * 1000,
    cutAtDeadline,
    cpuMs: 1,
    peakRssMiB: 1,
  };
}

const ids = (count: number) => Array.from({ length: count }, (_, index) => `r${index}`);

describe("measureRow's yardstick", () => {
  const long = scenario("tpm-max-tokens");
  // 40 + 900 × 5 = 4,540 tokens a record against 1M TPM.
  const charge = 4_540;

  it("allows the ideal's last replies at the scenario's own latency, from the measured lengths", () => {
    const quotaSeconds = idealSeconds(long.quota, charge, 220);
    // The slowest of the ideal's last replies: 400 ms + 900 tokens × 20 ms on average (this
    // scenario's latency, not the default 15 ms), ±25% jitter on each part, admitted at
    // 1M / 4,540 records a minute.
    const tail = lastReplySeconds(long.latency, Array(220).fill(900), 1_000_000 / charge / 60);
    expect(tail).toBeGreaterThan(18.4);
    const wall = quotaSeconds + tail;
    const row = measureRow(
      long,
      "x",
      ids(220),
      report(220, 900, wall, false),
      { stats: STATS, baseline: undefined },
      0,
      true,
    );
    expect(row.meanCharge).toBeCloseTo(charge, 9);
    expect(row.meanReplySeconds).toBeCloseTo(18.4, 9);
    expect(row.lastReplySeconds).toBeCloseTo(tail, 9);
    expect(row.idealSeconds).toBeCloseTo(wall, 9);
    expect(row.ofIdeal).toBeCloseTo(1, 9);
    expect(row.idealRecords).toBeCloseTo(220, 6);
    expect(row.ofIdealWithBurst).toBeUndefined();
  });

  it("takes the ok records' lengths: shorter replies, a shorter allowance", () => {
    // 800 tokens: 16.4 s a reply on average, 4,040 tokens a record.
    const tail = lastReplySeconds(long.latency, Array(100).fill(800), 1_000_000 / 4_040 / 60);
    const wall = idealSeconds(long.quota, 4_040, 100) + tail;
    const row = measureRow(
      long,
      "x",
      ids(220),
      report(100, 800, wall, false),
      { stats: STATS, baseline: undefined },
      0,
      true,
    );
    expect(row.meanReplySeconds).toBeCloseTo(16.4, 9);
    expect(row.lastReplySeconds).toBeLessThan(
      lastReplySeconds(long.latency, Array(100).fill(900), 1_000_000 / 4_540 / 60),
    );
    expect(row.ofIdeal).toBeCloseTo(1, 9);
  });

  it("judges a run cut at its deadline by the records admitted one allowance before it", () => {
    const row = measureRow(
      long,
      "x",
      ids(220),
      report(110, 900, 78.4, true),
      { stats: STATS, baseline: undefined },
      0,
      true,
    );
    // The ideal admitted records for 78.4 s less the allowance, at 1M / 4,540 a minute.
    const admitted = ((78.4 - row.lastReplySeconds) / 60) * (1_000_000 / charge);
    expect(row.idealRecords).toBeCloseTo(admitted, 6);
    expect(row.ofIdeal).toBeCloseTo(110 / admitted, 9);
    expect(row.unfinished).toBe(110);
  });

  it("falls back on the scenario's mean reply when nothing finished", () => {
    const row = measureRow(
      long,
      "x",
      ids(220),
      report(0, 0, 78.4, true),
      { stats: STATS, baseline: undefined },
      0,
      true,
    );
    // (800 + 1,000) / 2 = 900 tokens at 20 ms, after 400 ms.
    expect(row.meanReplySeconds).toBeCloseTo(18.4, 9);
    expect(row.ofIdeal).toBe(0);
  });

  it("allows the same reply in the burst-inclusive column", () => {
    const rpm = scenario("rpm");
    // 600 rpm binds (charge 40 + 120 = 160 against 5M TPM): 600 in a full bucket, then 10 a
    // second; 120 tokens at the default 15 ms is 2.2 s a reply on average.
    const wall = 30 + 2.2;
    const row = measureRow(
      rpm,
      "x",
      ids(900),
      report(900, 120, wall, false),
      { stats: STATS, baseline: undefined },
      0,
      false,
    );
    expect(row.meanReplySeconds).toBeCloseTo(2.2, 9);
    const tail = row.lastReplySeconds;
    expect(tail).toBeGreaterThan(2.2);
    expect(row.ofIdealWithBurst).toBeCloseTo((30 + tail) / wall, 9);
    expect(row.ofIdeal).toBeCloseTo((90 + tail) / wall, 9);
  });
});
