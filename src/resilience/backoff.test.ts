import { describe, expect, it } from "vitest";
import { SeededRandom } from "../emulator/state/seeded-random.js";
import { backoff, validateBackoff } from "./backoff.js";

describe("backoff (capped exponential, full jitter)", () => {
  it("stays below min(cap, base × 2^attempt)", () => {
    const almostOne = () => 0.999999;
    expect(backoff(0, { base: 100, cap: 20_000, random: almostOne })).toBeLessThan(100);
    expect(backoff(0, { base: 100, cap: 20_000, random: almostOne })).toBeGreaterThan(99.9);
    expect(backoff(3, { base: 100, cap: 20_000, random: almostOne })).toBeCloseTo(800, 0);
    expect(backoff(0, { base: 100, cap: 20_000, random: () => 0 })).toBe(0);
  });

  it("never exceeds the cap, even when 2^attempt overflows", () => {
    const almostOne = () => 0.999999;
    expect(backoff(8, { base: 100, cap: 20_000, random: almostOne })).toBeLessThan(20_000);
    expect(backoff(8, { base: 100, cap: 20_000, random: almostOne })).toBeGreaterThan(19_999);
    const huge = backoff(5_000, { base: 100, cap: 20_000, random: almostOne });
    expect(Number.isFinite(huge)).toBe(true);
    expect(huge).toBeLessThan(20_000);
  });

  it("spreads waits uniformly over [0, ceiling)", () => {
    const random = new SeededRandom(42);
    const options = { base: 100, cap: 20_000, random: () => random.next() };
    const quarters = [0, 0, 0, 0];
    let sum = 0;
    const samples = 20_000;
    for (let i = 0; i < samples; i++) {
      const wait = backoff(2, options);
      expect(wait).toBeGreaterThanOrEqual(0);
      expect(wait).toBeLessThan(400);
      quarters[Math.floor(wait / 100)]!++;
      sum += wait;
    }
    expect(sum / samples).toBeGreaterThan(190);
    expect(sum / samples).toBeLessThan(210);
    for (const count of quarters) expect(count / samples).toBeCloseTo(0.25, 1);
  });

  it("rejects options that make no sense, naming them", () => {
    expect(() => validateBackoff({ base: -1, cap: 10 }, "retry.transientBackoff")).toThrow(
      /retry\.transientBackoff\.base/,
    );
    expect(() => validateBackoff({ base: 100, cap: 10 }, "retry.transientBackoff")).toThrow(
      /retry\.transientBackoff\.cap must be ≥/,
    );
  });
});
