import { describe, expect, it } from "vitest";
import {
  idealRatePerMinute,
  idealRecords,
  idealSeconds,
  initialBurstRecords,
  limitsAt,
  meanCharge,
} from "./ideal-rate.js";

describe("ideal rate", () => {
  it("is TPM / mean charge for tokens, the RPM for requests, the smaller of the two", () => {
    expect(idealRatePerMinute({ tpm: 100_000, rpm: undefined }, 200)).toBe(500);
    expect(idealRatePerMinute({ tpm: undefined, rpm: 600 }, 200)).toBe(600);
    expect(idealRatePerMinute({ tpm: 100_000, rpm: 600 }, 200)).toBe(500);
    expect(idealRatePerMinute({ tpm: 1_000_000, rpm: 600 }, 200)).toBe(600);
    expect(idealRatePerMinute({ tpm: undefined, rpm: undefined }, 200)).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it("charges each record its actual tokens, output at the burndown rate", () => {
    const records = [
      { inputTokens: 100, outputTokens: 200 },
      { inputTokens: 60, outputTokens: 400 },
    ];
    expect(meanCharge(records, 1)).toBe((300 + 460) / 2);
    expect(meanCharge(records, 5)).toBe((1100 + 2060) / 2);
    expect(meanCharge([], 1)).toBeNaN();
  });

  it("applies schedule steps in time order, each on top of the ones before", () => {
    const quota = {
      tpm: 120_000,
      rpm: 600,
      schedule: [
        { atSeconds: 40, tpm: 120_000 },
        { atSeconds: 20, tpm: 60_000 },
      ],
    };
    expect(limitsAt(quota, 0)).toEqual({ tpm: 120_000, rpm: 600 });
    expect(limitsAt(quota, 19.9)).toEqual({ tpm: 120_000, rpm: 600 });
    expect(limitsAt(quota, 20)).toEqual({ tpm: 60_000, rpm: 600 });
    expect(limitsAt(quota, 45)).toEqual({ tpm: 120_000, rpm: 600 });
  });

  it("integrates the rate over a schedule that halves the TPM for the middle third", () => {
    const quota = {
      tpm: 120_000,
      schedule: [
        { atSeconds: 20, tpm: 60_000 },
        { atSeconds: 40, tpm: 120_000 },
      ],
    };
    // 600/min for 20 s, 300/min for 20 s, 600/min for 20 s.
    expect(idealRecords(quota, 200, 60)).toBeCloseTo(200 + 100 + 200, 9);
    expect(idealRecords(quota, 200, 30)).toBeCloseTo(200 + 50, 9);
    expect(idealRecords(quota, 200, 0)).toBe(0);
    // A run that starts 5 s into the schedule sees the drop 5 s earlier.
    expect(idealRecords(quota, 200, 60, 5)).toBeCloseTo(150 + 100 + 250, 9);
    expect(idealSeconds(quota, 200, 500)).toBeCloseTo(60, 9);
    expect(idealSeconds(quota, 200, 250)).toBeCloseTo(30, 9);
    expect(idealSeconds(quota, 200, 600)).toBeCloseTo(70, 9);
  });

  it("counts the initial full bucket separately, as a minute's worth at the start", () => {
    expect(initialBurstRecords({ tpm: 300_000 }, 1_500)).toBe(200);
    expect(initialBurstRecords({ rpm: 600, tpm: 10_000_000 }, 200)).toBe(600);
  });

  it("is never reached without a limit", () => {
    expect(idealSeconds({}, 200, 1_000)).toBe(0);
    expect(() => idealRecords({ tpm: 1 }, 1, -1)).toThrow(/durationSeconds/);
    expect(() => idealRatePerMinute({ tpm: 1, rpm: undefined }, 0)).toThrow(/meanCharge/);
  });
});
