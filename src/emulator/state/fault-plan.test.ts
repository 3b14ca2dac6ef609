import { describe, expect, it } from "vitest";
import { QuarryError } from "../../errors/quarry-error.js";
import type { FaultsConfig } from "../config/emulator-config.js";
import { checkFaultRates, type FaultKind, FaultPlan } from "./fault-plan.js";
import { SeededRandom } from "./seeded-random.js";

const NONE: FaultsConfig = {
  internalServerError: 0,
  serviceUnavailable: 0,
  modelNotReady: 0,
  modelTimeout: 0,
  connectionReset: 0,
  streamTruncated: 0,
  midStreamThrottling: 0,
  modelStreamError: 0,
  malformedProse: 0,
  malformedTruncated: 0,
};
const faults = (rates: Partial<FaultsConfig>): FaultsConfig => ({ ...NONE, ...rates });
const STREAM_TEXT = { streaming: true, text: true };
const PLAIN_TEXT = { streaming: false, text: true };

function tally(plan: FaultPlan, n: number, context = STREAM_TEXT, operation = "InvokeModel") {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const kind = plan.draw(operation, context) ?? "none";
    counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

describe("FaultPlan", () => {
  it("draws nothing, and consumes no randomness, when every rate is 0", () => {
    const random = new SeededRandom(5);
    const plan = new FaultPlan(NONE, random);
    for (let i = 0; i < 100; i++) expect(plan.draw("InvokeModel", STREAM_TEXT)).toBeUndefined();
    expect(random.next()).toBe(new SeededRandom(5).next());
  });

  it("gives each kind its own rate, and their sum as the chance of any fault", () => {
    const plan = new FaultPlan(
      faults({ internalServerError: 0.1, modelTimeout: 0.2, streamTruncated: 0.15 }),
      new SeededRandom(11),
    );
    const n = 40_000;
    const counts = tally(plan, n);
    expect(counts.internalServerError! / n).toBeCloseTo(0.1, 1);
    expect(counts.modelTimeout! / n).toBeCloseTo(0.2, 1);
    expect(counts.streamTruncated! / n).toBeCloseTo(0.15, 1);
    expect(counts.none! / n).toBeCloseTo(0.55, 1);
    expect(Object.keys(counts).sort()).toEqual([
      "internalServerError",
      "modelTimeout",
      "none",
      "streamTruncated",
    ]);
  });

  it("gives every request a fault when the rates add up to 1", () => {
    const plan = new FaultPlan(
      faults({ serviceUnavailable: 0.5, modelNotReady: 0.3, connectionReset: 0.2 }),
      new SeededRandom(2),
    );
    const counts = tally(plan, 5_000);
    expect(counts.none).toBeUndefined();
  });

  it("replays the same sequence from the same seed", () => {
    const config = faults({ internalServerError: 0.2, modelStreamError: 0.2, malformedProse: 0.1 });
    const run = (seed: number) => {
      const plan = new FaultPlan(config, new SeededRandom(seed));
      return Array.from({ length: 200 }, () => plan.draw("InvokeModel", STREAM_TEXT));
    };
    expect(run(9)).toEqual(run(9));
    expect(run(9)).not.toEqual(run(10));
  });

  it("applies only to the listed operations, and those not listed draw nothing", () => {
    const random = new SeededRandom(1);
    const plan = new FaultPlan(
      faults({ internalServerError: 1, operations: ["InvokeModelWithResponseStream"] }),
      random,
    );
    expect(plan.draw("InvokeModel", STREAM_TEXT)).toBeUndefined();
    expect(plan.draw("Converse", STREAM_TEXT)).toBeUndefined();
    expect(plan.draw("InvokeModelWithResponseStream", STREAM_TEXT)).toBe("internalServerError");
  });

  it("gives stream-only faults to streams alone", () => {
    for (const kind of ["streamTruncated", "midStreamThrottling", "modelStreamError"] as const) {
      const plan = new FaultPlan(faults({ [kind]: 1 }), new SeededRandom(1));
      expect(plan.draw("InvokeModel", PLAIN_TEXT)).toBeUndefined();
      expect(plan.draw("InvokeModel", { streaming: false, text: false })).toBeUndefined();
      expect(plan.draw("InvokeModelWithResponseStream", STREAM_TEXT)).toBe(kind);
    }
  });

  it("gives text-only faults to text replies alone", () => {
    for (const kind of ["malformedProse", "malformedTruncated"] as const) {
      const plan = new FaultPlan(faults({ [kind]: 1 }), new SeededRandom(1));
      expect(plan.draw("InvokeModel", { streaming: false, text: false })).toBeUndefined();
      expect(plan.draw("InvokeModel", PLAIN_TEXT)).toBe(kind);
      expect(plan.draw("InvokeModelWithResponseStream", STREAM_TEXT)).toBe(kind);
    }
  });

  it("lets a non-stream request see only the rates that apply to it", () => {
    const plan = new FaultPlan(
      faults({ internalServerError: 0.25, streamTruncated: 0.75 }),
      new SeededRandom(4),
    );
    const n = 20_000;
    const counts = tally(plan, n, PLAIN_TEXT);
    expect(counts.internalServerError! / n).toBeCloseTo(0.25, 1);
    expect(counts.streamTruncated).toBeUndefined();
  });

  it("refuses rates that add up to more than 1, naming them", () => {
    const config = faults({ internalServerError: 0.7, malformedProse: 0.4 });
    expect(() => new FaultPlan(config, new SeededRandom(1))).toThrow(QuarryError);
    expect(() => checkFaultRates(config)).toThrow(
      "Emulator config faults: the rates add up to 1.1 (internalServerError 0.7, malformedProse 0.4); a request gets at most one fault, so they must add up to at most 1",
    );
    const plan = new FaultPlan(NONE, new SeededRandom(1));
    expect(() => plan.configure(config)).toThrow("add up to 1.1");
    // A refused change leaves the plan as it was.
    expect(plan.draw("InvokeModel", STREAM_TEXT)).toBeUndefined();
    // Decimal rounding is not an excess.
    expect(() =>
      checkFaultRates(faults({ modelTimeout: 0.7, modelNotReady: 0.2, connectionReset: 0.1 })),
    ).not.toThrow();
  });

  it("carries its random sequence on across configure", () => {
    const kinds: (FaultKind | undefined)[] = [];
    const plan = new FaultPlan(faults({ internalServerError: 0.5 }), new SeededRandom(8));
    kinds.push(plan.draw("InvokeModel", PLAIN_TEXT));
    plan.configure(faults({ modelTimeout: 0.5 }));
    kinds.push(plan.draw("InvokeModel", PLAIN_TEXT));
    const random = new SeededRandom(8);
    const expected = [
      random.next() < 0.5 ? "internalServerError" : undefined,
      random.next() < 0.5 ? "modelTimeout" : undefined,
    ];
    expect(kinds).toEqual(expected);
  });
});
