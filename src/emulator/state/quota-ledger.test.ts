import { describe, expect, it } from "vitest";
import { ManualClock } from "../../clock/manual-clock.js";
import type { QuotaConfig } from "../config/emulator-config.js";
import { EmulatorError } from "../emulator-error.js";
import { type QuotaDemand, QuotaLedger } from "./quota-ledger.js";

const demand = (inputTokens: number, maxTokens: number, outputBurndown = 1): QuotaDemand => ({
  inputTokens,
  maxTokens,
  outputBurndown,
});

function refusal(run: () => unknown): EmulatorError {
  try {
    run();
  } catch (error) {
    if (error instanceof EmulatorError) return error;
    throw error;
  }
  throw new Error("expected the ledger to refuse the request");
}

function ledger(quotas: Record<string, QuotaConfig>, clock = new ManualClock()) {
  return { clock, ledger: new QuotaLedger(clock, quotas) };
}

describe("QuotaLedger: TPM reservation and refund", () => {
  it("reserves input + max_tokens × burndown at the start", () => {
    const { ledger: quotas } = ledger({ m: { tpm: 10_000 } });
    const lease = quotas.admit("m", demand(100, 200, 5));
    expect(lease.reservation).toBe(1_100);
    expect(quotas.usage("m").tpmAvailable).toBe(8_900);
    expect(quotas.usage("m").inFlight).toBe(1);
  });

  it("refunds the unused part of max_tokens × burndown at the end", () => {
    const { ledger: quotas } = ledger({ m: { tpm: 10_000 } });
    const lease = quotas.admit("m", demand(100, 200, 5));
    lease.release(30);
    // Charged in the end: 100 input + 30 output × 5.
    expect(quotas.usage("m").tpmAvailable).toBe(10_000 - 250);
    expect(quotas.usage("m").inFlight).toBe(0);
  });

  it("releases a lease once only, however often release is called", () => {
    const { ledger: quotas } = ledger({ m: { tpm: 1_000 } });
    const lease = quotas.admit("m", demand(100, 400));
    lease.release(0);
    lease.release(0);
    expect(quotas.usage("m").tpmAvailable).toBe(900);
    expect(quotas.usage("m").inFlight).toBe(0);
  });

  it("never refunds beyond the bucket's capacity", () => {
    const { clock, ledger: quotas } = ledger({ m: { tpm: 1_000 } });
    const lease = quotas.admit("m", demand(0, 800));
    // A whole minute later the bucket has refilled to capacity on its own...
    return clock.advance(60_000).then(() => {
      expect(quotas.usage("m").tpmAvailable).toBe(1_000);
      // ...so the refund of the unused 800 has nowhere to go.
      lease.release(0);
      expect(quotas.usage("m").tpmAvailable).toBe(1_000);
    });
  });

  it("never counts more output than max_tokens, nor negative output", () => {
    const { ledger: quotas } = ledger({ m: { tpm: 1_000 } });
    quotas.admit("m", demand(0, 100)).release(500);
    expect(quotas.usage("m").tpmAvailable).toBe(900);
    quotas.admit("m", demand(0, 100)).release(-5);
    expect(quotas.usage("m").tpmAvailable).toBe(900);
  });

  it("throttles with Too many tokens when the reservation does not fit, charging nothing", () => {
    const { ledger: quotas } = ledger({ m: { tpm: 1_000, rpm: 100 } });
    quotas.admit("m", demand(200, 600));
    const error = refusal(() => quotas.admit("m", demand(100, 200)));
    expect(error.exceptionName).toBe("ThrottlingException");
    expect(error.status).toBe(429);
    expect(error.message).toBe("Too many tokens, please wait before trying again.");
    expect(error.outcome).toBe("throttled:tpm");
    // The refused request took neither tokens nor a request slot.
    expect(quotas.usage("m").tpmAvailable).toBe(200);
    expect(quotas.usage("m").rpmAvailable).toBe(99);
    expect(quotas.usage("m").inFlight).toBe(1);
  });

  it("refills continuously at TPM per minute", async () => {
    const { clock, ledger: quotas } = ledger({ m: { tpm: 6_000 } });
    quotas.admit("m", demand(0, 6_000)).release(6_000);
    expect(quotas.usage("m").tpmAvailable).toBe(0);
    await clock.advance(10_000);
    expect(quotas.usage("m").tpmAvailable).toBe(1_000);
    expect(() => quotas.admit("m", demand(0, 1_001))).toThrow(EmulatorError);
    quotas.admit("m", demand(0, 1_000));
    await clock.advance(120_000);
    expect(quotas.usage("m").tpmAvailable).toBe(6_000);
  });

  it("throttles a reservation larger than the whole TPM every time, as Bedrock does", async () => {
    const { clock, ledger: quotas } = ledger({ m: { tpm: 20_000 } });
    for (let minute = 0; minute < 3; minute++) {
      const error = refusal(() => quotas.admit("m", demand(1_000, 8_192, 5)));
      expect(error.exceptionName).toBe("ThrottlingException");
      expect(error.outcome).toBe("throttled:tpm");
      await clock.advance(60_000);
    }
    expect(quotas.usage("m").tpmAvailable).toBe(20_000);
  });
});

describe("QuotaLedger: RPM, concurrency and TPD", () => {
  it("keeps an RPM bucket refilled at RPM per minute", async () => {
    const { clock, ledger: quotas } = ledger({ m: { rpm: 2 } });
    quotas.admit("m", demand(1, 1)).release(1);
    quotas.admit("m", demand(1, 1)).release(1);
    const error = refusal(() => quotas.admit("m", demand(1, 1)));
    expect(error.exceptionName).toBe("ThrottlingException");
    expect(error.status).toBe(429);
    expect(error.message).toBe("Too many requests, please wait before trying again.");
    expect(error.outcome).toBe("throttled:rpm");
    await clock.advance(29_999);
    expect(() => quotas.admit("m", demand(1, 1))).toThrow("Too many requests");
    await clock.advance(1);
    quotas.admit("m", demand(1, 1));
  });

  it("refuses beyond the concurrency limit with 503 Too many connections", () => {
    const { ledger: quotas } = ledger({ m: { concurrency: 2 } });
    const first = quotas.admit("m", demand(1, 1));
    quotas.admit("m", demand(1, 1));
    const error = refusal(() => quotas.admit("m", demand(1, 1)));
    expect(error.exceptionName).toBe("ServiceUnavailableException");
    expect(error.status).toBe(503);
    expect(error.message).toBe("Too many connections, please wait before trying again.");
    expect(error.outcome).toBe("throttled:concurrency");
    first.release(1);
    quotas.admit("m", demand(1, 1));
  });

  it("throttles the day's tokens with a message that names the day, and resets daily", async () => {
    const { clock, ledger: quotas } = ledger({ m: { tpd: 1_000 } });
    // Charged to the day: the reservation, less the refund of unused max_tokens.
    quotas.admit("m", demand(100, 500)).release(200);
    expect(quotas.usage("m").dayTokens).toBe(300);
    quotas.admit("m", demand(100, 500)).release(500);
    expect(quotas.usage("m").dayTokens).toBe(900);
    const error = refusal(() => quotas.admit("m", demand(50, 51)));
    expect(error.exceptionName).toBe("ThrottlingException");
    expect(error.status).toBe(429);
    expect(error.message).toBe("Too many tokens per day, please wait before trying again.");
    expect(error.outcome).toBe("throttled:tpd");
    quotas.admit("m", demand(50, 50)).release(50);

    await clock.advance(86_400_000);
    expect(quotas.usage("m").dayTokens).toBe(0);
    quotas.admit("m", demand(100, 500));
  });

  it("does not refund a reservation into a day other than the one it was charged to", async () => {
    const { clock, ledger: quotas } = ledger({ m: { tpd: 10_000 } });
    await clock.advance(86_000_000);
    const lease = quotas.admit("m", demand(0, 5_000));
    await clock.advance(1_000_000);
    quotas.admit("m", demand(0, 100)).release(100);
    lease.release(0);
    expect(quotas.usage("m").dayTokens).toBe(100);
  });

  it("checks concurrency, then RPM, then TPM", () => {
    const { ledger: quotas } = ledger({ m: { concurrency: 1, rpm: 1, tpm: 10 } });
    quotas.admit("m", demand(5, 5));
    expect(refusal(() => quotas.admit("m", demand(50, 50))).outcome).toBe("throttled:concurrency");
    const { ledger: other } = ledger({ m: { rpm: 1, tpm: 10 } });
    other.admit("m", demand(5, 5)).release(5);
    expect(refusal(() => other.admit("m", demand(5, 5))).outcome).toBe("throttled:rpm");
  });
});

describe("QuotaLedger: keys, defaults and schedules", () => {
  it("keeps on-demand and cross-region quotas apart", () => {
    const { ledger: quotas } = ledger({
      "anthropic.claude": { tpm: 1_000 },
      "us.anthropic.claude": { tpm: 5_000 },
    });
    quotas.admit("anthropic.claude", demand(0, 1_000));
    expect(() => quotas.admit("anthropic.claude", demand(0, 1))).toThrow("Too many tokens");
    quotas.admit("us.anthropic.claude", demand(0, 5_000));
    expect(() => quotas.admit("us.anthropic.claude", demand(0, 1))).toThrow("Too many tokens");
  });

  it("applies `*` to every other key, each with a bucket of its own", () => {
    const { ledger: quotas } = ledger({ "*": { tpm: 100 }, special: { tpm: 1_000 } });
    quotas.admit("a", demand(0, 100));
    quotas.admit("b", demand(0, 100));
    expect(() => quotas.admit("a", demand(0, 1))).toThrow("Too many tokens");
    quotas.admit("special", demand(0, 1_000));
    expect(quotas.limitsFor("b").tpm).toBe(100);
    expect(quotas.limitsFor("special").tpm).toBe(1_000);
  });

  it("leaves keys without a quota (and without `*`) unlimited", () => {
    const { ledger: quotas } = ledger({ other: { tpm: 1 } });
    for (let i = 0; i < 100; i++) quotas.admit("free", demand(1_000_000, 1_000_000, 5));
    expect(quotas.usage("free").inFlight).toBe(100);
  });

  it("reports the burndown override of a key or of `*`", () => {
    const { ledger: quotas } = ledger({ "*": { outputBurndown: 3 }, m: { outputBurndown: 5 } });
    expect(quotas.burndownFor("m")).toBe(5);
    expect(quotas.burndownFor("x")).toBe(3);
    expect(new QuotaLedger(new ManualClock(), {}).burndownFor("m")).toBeUndefined();
  });

  it("drops the TPM at second 10 and raises it again at second 20", async () => {
    const { clock, ledger: quotas } = ledger({
      m: {
        tpm: 60_000,
        // Out of order on purpose: steps apply by time, not by position.
        schedule: [
          { atSeconds: 20, tpm: 120_000 },
          { atSeconds: 10, tpm: 600 },
        ],
      },
    });
    quotas.admit("m", demand(100, 900)).release(900);
    await clock.advance(9_999);
    expect(quotas.limitsFor("m").tpm).toBe(60_000);
    quotas.admit("m", demand(100, 900)).release(900);
    await clock.advance(1);
    expect(quotas.limitsFor("m").tpm).toBe(600);
    expect(refusal(() => quotas.admit("m", demand(100, 900))).outcome).toBe("throttled:tpm");
    // The 999 tokens in use exceed the lowered capacity of 600 and are capped at it, so the
    // bucket starts empty and refills at 10 a second: 1,000 does not fit before the rise.
    await clock.advance(9_999);
    expect(() => quotas.admit("m", demand(100, 900))).toThrow("Too many tokens");
    await clock.advance(1);
    expect(quotas.limitsFor("m").tpm).toBe(120_000);
    // The rise gives nothing at once: the 100 the bucket refilled, then 2,000 a second.
    expect(quotas.usage("m").tpmAvailable).toBeCloseTo(100, 6);
    expect(() => quotas.admit("m", demand(100, 900))).toThrow("Too many tokens");
    await clock.advance(450);
    quotas.admit("m", demand(100, 900));
  });

  it("refills at the old rate before a step and at the new rate after it", async () => {
    const { clock, ledger: quotas } = ledger({
      m: { tpm: 60_000, schedule: [{ atSeconds: 10, tpm: 120_000 }] },
    });
    quotas.admit("m", demand(0, 60_000)).release(60_000);
    // 10 s at 1,000/s, then a rise that gives nothing at once, then 5 s at 2,000/s.
    await clock.advance(15_000);
    expect(quotas.usage("m").tpmAvailable).toBe(10_000 + 10_000);
  });

  it("caps the used part at a lowered capacity, so the bucket recovers within a minute", async () => {
    const { clock, ledger: quotas } = ledger({
      m: { tpm: 10_000, schedule: [{ atSeconds: 1, tpm: 100 }] },
    });
    quotas.admit("m", demand(0, 9_000)).release(9_000);
    await clock.advance(1_000);
    expect(quotas.usage("m").tpmAvailable).toBe(0);
    await clock.advance(60_000);
    expect(quotas.usage("m").tpmAvailable).toBe(100);
  });

  it("schedules other limits too, cumulatively", async () => {
    const { clock, ledger: quotas } = ledger({
      m: {
        tpm: 1_000,
        schedule: [
          { atSeconds: 5, rpm: 10 },
          { atSeconds: 8, concurrency: 3 },
        ],
      },
    });
    await clock.advance(8_000);
    expect(quotas.limitsFor("m")).toEqual({
      tpm: 1_000,
      rpm: 10,
      concurrency: 3,
      tpd: undefined,
    });
  });

  it("restarts the schedule and forgets usage on reset", async () => {
    const { clock, ledger: quotas } = ledger({
      m: { tpm: 1_000, schedule: [{ atSeconds: 10, tpm: 10 }] },
    });
    await clock.advance(10_000);
    expect(quotas.limitsFor("m").tpm).toBe(10);
    quotas.reset();
    expect(quotas.limitsFor("m").tpm).toBe(1_000);
    quotas.admit("m", demand(0, 1_000));
  });

  it("applies a reconfigured table from now on, keeping usage", async () => {
    const { clock, ledger: quotas } = ledger({ m: { tpm: 6_000 } });
    quotas.admit("m", demand(0, 6_000)).release(6_000);
    await clock.advance(30_000);
    // 30 s at 100/s, then the new rate of 1,000/s for 1 s (a raise gives nothing at once).
    quotas.configure({ m: { tpm: 60_000 } });
    await clock.advance(1_000);
    expect(quotas.usage("m").tpmAvailable).toBe(3_000 + 1_000);
  });

  it("sees requests admitted before a concurrency limit was configured", () => {
    const { ledger: quotas } = ledger({});
    quotas.admit("m", demand(1, 1));
    quotas.configure({ m: { concurrency: 1 } });
    expect(refusal(() => quotas.admit("m", demand(1, 1))).outcome).toBe("throttled:concurrency");
  });
});
