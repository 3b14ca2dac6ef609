import { describe, expect, it } from "vitest";
import { ManualClock } from "../../clock/manual-clock.js";
import { EmulatorStats } from "./emulator-stats.js";

describe("EmulatorStats", () => {
  it("counts requests by operation, outcome and model, and sums tokens", () => {
    const stats = new EmulatorStats(new ManualClock());
    stats.record({
      operation: "InvokeModel",
      modelId: "a",
      outcome: "ok",
      inputTokens: 10,
      outputTokens: 20,
    });
    stats.record({ operation: "InvokeModel", modelId: "a", outcome: "throttled:tpm" });
    stats.record({
      operation: "InvokeModel",
      modelId: "b",
      outcome: "ok",
      inputTokens: 1,
      outputTokens: 2,
    });
    stats.record({
      operation: "Converse",
      modelId: "b",
      outcome: "fault:modelTimeout",
      inputTokens: 5,
    });
    stats.record({ operation: "Unknown", outcome: "UnknownOperationException" });
    const snapshot = stats.snapshot();
    expect(snapshot.requests).toBe(5);
    expect(snapshot.byOperation).toEqual({
      InvokeModel: { ok: 2, "throttled:tpm": 1 },
      Converse: { "fault:modelTimeout": 1 },
      Unknown: { UnknownOperationException: 1 },
    });
    expect(snapshot.byOutcome).toEqual({
      ok: 2,
      "throttled:tpm": 1,
      "fault:modelTimeout": 1,
      UnknownOperationException: 1,
    });
    expect(snapshot.byModel).toEqual({
      a: { ok: 1, "throttled:tpm": 1 },
      b: { ok: 1, "fault:modelTimeout": 1 },
    });
    expect(snapshot.inputTokens).toBe(16);
    expect(snapshot.outputTokens).toBe(22);
  });

  it("keeps a per-second timeline of manual time, classifying each outcome", async () => {
    const clock = new ManualClock(5_000);
    const stats = new EmulatorStats(clock);
    stats.record({ operation: "InvokeModel", outcome: "ok", inputTokens: 3, outputTokens: 4 });
    stats.record({ operation: "InvokeModel", outcome: "throttled:rpm" });
    await clock.advance(999);
    stats.record({ operation: "InvokeModel", outcome: "fault:connectionReset" });
    await clock.advance(1);
    stats.record({ operation: "InvokeModel", outcome: "ValidationException" });
    await clock.advance(2_500);
    stats.record({ operation: "InvokeModel", outcome: "client-aborted", outputTokens: 7 });
    expect(stats.snapshot().timeline).toEqual([
      {
        second: 0,
        requests: 3,
        ok: 1,
        throttled: 1,
        faults: 1,
        errors: 0,
        inputTokens: 3,
        outputTokens: 4,
      },
      {
        second: 1,
        requests: 1,
        ok: 0,
        throttled: 0,
        faults: 0,
        errors: 1,
        inputTokens: 0,
        outputTokens: 0,
      },
      {
        second: 3,
        requests: 1,
        ok: 0,
        throttled: 0,
        faults: 0,
        errors: 1,
        inputTokens: 0,
        outputTokens: 7,
      },
    ]);
  });

  it("hands out snapshots that later counting does not change", () => {
    const stats = new EmulatorStats(new ManualClock());
    stats.record({ operation: "InvokeModel", modelId: "a", outcome: "ok" });
    const before = stats.snapshot();
    stats.record({ operation: "InvokeModel", modelId: "a", outcome: "ok" });
    expect(before.byOperation.InvokeModel!.ok).toBe(1);
    expect(before.timeline[0]!.requests).toBe(1);
    expect(stats.snapshot().timeline[0]!.requests).toBe(2);
  });

  it("starts from zero, with a new second 0, after reset; in-flight requests stay counted", async () => {
    const clock = new ManualClock();
    const stats = new EmulatorStats(clock);
    stats.inFlight = 2;
    stats.record({ operation: "InvokeModel", outcome: "ok", inputTokens: 1 });
    await clock.advance(7_300);
    stats.reset();
    stats.record({ operation: "InvokeModel", outcome: "ok", outputTokens: 1 });
    const snapshot = stats.snapshot();
    expect(snapshot.requests).toBe(1);
    expect(snapshot.inputTokens).toBe(0);
    expect(snapshot.inFlight).toBe(2);
    expect(snapshot.timeline.map((s) => s.second)).toEqual([0]);
  });
});
