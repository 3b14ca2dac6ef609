import { describe, expect, it } from "vitest";
import {
  fractionOfIdeal,
  idealDuration,
  idealRatePerMinute,
  idealRecords,
  idealRecordsFinished,
  idealSeconds,
  initialBurstRecords,
  lastReplySeconds,
  limitsAt,
  meanCharge,
  meanReplySeconds,
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
    // From 5 s in: 150 by the drop, 100 during it, the last 250 in 25 s after it.
    expect(idealSeconds(quota, 200, 500, 5)).toBeCloseTo(60, 9);
    expect(idealSeconds(quota, 200, 250, 5)).toBeCloseTo(35, 9);
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

describe("the latency allowance", () => {
  // 300k TPM at 1,500 tokens a record: 200 records a minute, 200 in a full bucket.
  const quota = { tpm: 300_000 };
  const charge = 1_500;
  // The long-generation latency: 400 ms + 900 tokens × 20 ms.
  const reply = meanReplySeconds({ firstTokenMs: 400, perOutputTokenMs: 20 }, 900);

  it("is one mean reply: the first token, then each output token", () => {
    expect(reply).toBeCloseTo(18.4, 9);
    expect(meanReplySeconds({ firstTokenMs: 400, perOutputTokenMs: 15 }, 120)).toBeCloseTo(2.2, 9);
    expect(() => meanReplySeconds({ firstTokenMs: 0, perOutputTokenMs: 0 }, -1)).toThrow(
      /meanOutputTokens/,
    );
  });

  it("adds one reply to the quota's time for the records, and nothing for no records", () => {
    expect(idealDuration(quota, charge, 200, reply)).toBeCloseTo(60 + 18.4, 9);
    expect(idealDuration(quota, charge, 100, reply)).toBeCloseTo(30 + 18.4, 9);
    expect(idealDuration(quota, charge, 0, reply)).toBe(0);
    // A full bucket admits 200 at once: only the rest wait for the rate.
    expect(idealDuration(quota, charge, 300, reply, 0, 200)).toBeCloseTo(30 + 18.4, 9);
    expect(idealDuration(quota, charge, 150, reply, 0, 200)).toBeCloseTo(18.4, 9);
  });

  it("counts as finished only what the quota admitted one reply before the end", () => {
    expect(idealRecordsFinished(quota, charge, 48.4, reply)).toBeCloseTo(100, 9);
    expect(idealRecordsFinished(quota, charge, 18.4, reply)).toBe(0);
    expect(idealRecordsFinished(quota, charge, 10, reply)).toBe(0);
    expect(idealRecordsFinished(quota, charge, 48.4, reply, 0, 200)).toBeCloseTo(300, 9);
    expect(idealRecordsFinished(quota, charge, 10, reply, 0, 200)).toBe(0);
  });

  it("rates a finished run by the ideal's duration over its wall time", () => {
    const run = { quota, charge, ok: 200, finished: true, replySeconds: reply };
    // Finishing 200 records one reply after the quota admits the last is the ideal itself;
    // without the allowance it would read 60 / 78.4 = 76.5%.
    expect(fractionOfIdeal({ ...run, wallSeconds: 78.4 })).toBeCloseTo(1, 9);
    expect(fractionOfIdeal({ ...run, wallSeconds: 98 })).toBeCloseTo(78.4 / 98, 9);
    // Records that failed are not the ideal's to finish: 100 ok need 30 s + a reply.
    expect(fractionOfIdeal({ ...run, ok: 100, wallSeconds: 96.8 })).toBeCloseTo(0.5, 9);
    expect(fractionOfIdeal({ ...run, ok: 0, wallSeconds: 78.4 })).toBe(0);
  });

  it("rates a run cut at its deadline by the records the ideal finished in that time", () => {
    const run = { quota, charge, finished: false, replySeconds: reply };
    // The ideal finished 100 by 48.4 s (admitted by 30 s); without the allowance, 161.
    expect(fractionOfIdeal({ ...run, ok: 100, wallSeconds: 48.4 })).toBeCloseTo(1, 9);
    expect(fractionOfIdeal({ ...run, ok: 50, wallSeconds: 48.4 })).toBeCloseTo(0.5, 9);
    expect(fractionOfIdeal({ ...run, ok: 0, wallSeconds: 48.4 })).toBe(0);
  });

  it("agrees at the ideal point whether the run finished or was cut", () => {
    const finished = { quota, charge, ok: 150, wallSeconds: 63.4, replySeconds: reply };
    expect(fractionOfIdeal({ ...finished, finished: true })).toBeCloseTo(1, 9);
    expect(fractionOfIdeal({ ...finished, finished: false })).toBeCloseTo(1, 9);
  });

  it("allows the same reply against the burst-inclusive yardstick", () => {
    const run = { quota, charge, ok: 300, replySeconds: reply, burstRecords: 200 };
    expect(fractionOfIdeal({ ...run, finished: true, wallSeconds: 48.4 })).toBeCloseTo(1, 9);
    expect(fractionOfIdeal({ ...run, finished: false, wallSeconds: 48.4 })).toBeCloseTo(1, 9);
    expect(fractionOfIdeal({ ...run, finished: true, wallSeconds: 96.8 })).toBeCloseTo(0.5, 9);
  });

  it("starts the schedule where the run started", () => {
    // Halved for the middle third; the run starts 5 s in: 500 records are admitted in 60 s.
    const dropping = {
      tpm: 120_000,
      schedule: [
        { atSeconds: 20, tpm: 60_000 },
        { atSeconds: 40, tpm: 120_000 },
      ],
    };
    const run = { quota: dropping, charge: 200, ok: 500, replySeconds: 2.2, fromSeconds: 5 };
    expect(fractionOfIdeal({ ...run, finished: true, wallSeconds: 62.2 })).toBeCloseTo(1, 9);
    expect(fractionOfIdeal({ ...run, finished: false, wallSeconds: 62.2 })).toBeCloseTo(1, 9);
  });
});

describe("lastReplySeconds", () => {
  const latency = { firstTokenMs: 400, perOutputTokenMs: 20, jitter: 0.25 };

  it("is one reply when replies take exactly their mean", () => {
    const exact = { ...latency, jitter: 0 };
    expect(lastReplySeconds(exact, Array(200).fill(900), 3.65)).toBeCloseTo(18.4, 9);
  });

  it("is the slowest of the last replies with jitter: above the mean, below the slowest", () => {
    const tail = lastReplySeconds(latency, Array(200).fill(900), 3.65);
    expect(tail).toBeGreaterThan(18.4 * 1.1);
    expect(tail).toBeLessThan(18.4 * 1.25);
    // Seeded: the same draws every time.
    expect(lastReplySeconds(latency, Array(200).fill(900), 3.65)).toBe(tail);
  });

  it("grows with the spread of lengths and with the rate (more replies end near the last)", () => {
    const spread = Array.from({ length: 200 }, (_, index) => 800 + index);
    const even = Array(200).fill(900);
    expect(lastReplySeconds(latency, spread, 3.65)).toBeGreaterThan(
      lastReplySeconds(latency, even, 3.65),
    );
    expect(lastReplySeconds(latency, even, 10)).toBeGreaterThan(lastReplySeconds(latency, even, 1));
    expect(lastReplySeconds(latency, [], 3.65)).toBe(0);
  });
});
