import { describe, expect, it } from "vitest";
import type { LatencyConfig } from "../config/emulator-config.js";
import { LatencyModel } from "./latency-model.js";
import { SeededRandom } from "./seeded-random.js";

const latency = (firstTokenMs: number, perOutputTokenMs: number, jitter = 0): LatencyConfig => ({
  firstTokenMs,
  perOutputTokenMs,
  jitter,
});

describe("LatencyModel", () => {
  it("is exact without jitter", () => {
    const model = new LatencyModel(latency(250, 12), {}, new SeededRandom(1));
    expect(model.firstTokenMs(["m"])).toBe(250);
    expect(model.outputMs(["m"], 40)).toBe(480);
    expect(model.outputMs(["m"], 0)).toBe(0);
  });

  it("keeps every jittered delay within [1 - jitter, 1 + jitter] of the base and spreads them", () => {
    const model = new LatencyModel(latency(1_000, 10, 0.2), {}, new SeededRandom(42));
    const firsts: number[] = [];
    const outputs: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      firsts.push(model.firstTokenMs(["m"]));
      outputs.push(model.outputMs(["m"], 100));
    }
    for (const value of [...firsts, ...outputs]) {
      expect(value).toBeGreaterThanOrEqual(800);
      expect(value).toBeLessThanOrEqual(1_200);
    }
    // Uniform over the whole band, not stuck at one end.
    expect(Math.min(...firsts)).toBeLessThan(820);
    expect(Math.max(...firsts)).toBeGreaterThan(1_180);
    const mean = firsts.reduce((a, b) => a + b, 0) / firsts.length;
    expect(Math.abs(mean - 1_000)).toBeLessThan(10);
  });

  it("replays the same jitter from the same seed", () => {
    const run = () => {
      const model = new LatencyModel(latency(100, 5, 0.5), {}, new SeededRandom(7));
      return Array.from({ length: 20 }, (_, i) => model.outputMs(["m"], i + 1));
    };
    expect(run()).toEqual(run());
  });

  it("draws no jitter for chunks without tokens, so they do not shift later delays", () => {
    const a = new LatencyModel(latency(0, 10, 0.5), {}, new SeededRandom(3));
    const b = new LatencyModel(latency(0, 10, 0.5), {}, new SeededRandom(3));
    a.outputMs(["m"], 0);
    a.outputMs(["m"], 0);
    expect(a.outputMs(["m"], 8)).toBe(b.outputMs(["m"], 8));
  });

  it("uses a per-model override found under any of the call's keys, in order", () => {
    const model = new LatencyModel(
      latency(100, 1),
      {
        "us.anthropic.claude": latency(900, 9),
        "anthropic.claude": latency(500, 5),
      },
      new SeededRandom(1),
    );
    // The requested id first, then the quota key, then the base model id.
    expect(
      model.firstTokenMs(["us.anthropic.claude", "us.anthropic.claude", "anthropic.claude"]),
    ).toBe(900);
    expect(
      model.firstTokenMs(["arn:...:application-inference-profile/x", "anthropic.claude"]),
    ).toBe(500);
    expect(model.outputMs(["anthropic.claude"], 10)).toBe(50);
    expect(model.firstTokenMs(["other"])).toBe(100);
  });

  it("takes new settings from configure", () => {
    const model = new LatencyModel(latency(100, 1), {}, new SeededRandom(1));
    model.configure(latency(0, 0), { m: latency(30, 3) });
    expect(model.firstTokenMs(["x"])).toBe(0);
    expect(model.outputMs(["m"], 10)).toBe(30);
  });
});
