import { describe, expect, it } from "vitest";
import { hashString, SeededRandom } from "./seeded-random.js";

describe("SeededRandom", () => {
  it("replays from its seed and differs between seeds", () => {
    const sequence = (seed: number) => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 50 }, () => random.next());
    };
    expect(sequence(1)).toEqual(sequence(1));
    expect(sequence(1)).not.toEqual(sequence(2));
  });

  it("stays in [0, 1) and is roughly uniform", () => {
    const random = new SeededRandom(123);
    const buckets = new Array(10).fill(0);
    let outside = 0;
    for (let i = 0; i < 100_000; i++) {
      const value = random.next();
      if (!(value >= 0 && value < 1)) outside++;
      else buckets[Math.floor(value * 10)]++;
    }
    expect(outside).toBe(0);
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500);
  });

  it("draws integers in [min, max] inclusive", () => {
    const random = new SeededRandom(9);
    const seen = new Set<number>();
    for (let i = 0; i < 1_000; i++) seen.add(random.int(3, 6));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });

  it("never fires chance(0)", () => {
    const random = new SeededRandom(1);
    for (let i = 0; i < 1_000; i++) expect(random.chance(0)).toBe(false);
  });
});

describe("hashString", () => {
  it("is stable, seed-dependent and text-dependent", () => {
    expect(hashString("abc")).toBe(hashString("abc"));
    expect(hashString("abc", 1)).not.toBe(hashString("abc", 2));
    expect(hashString("abc")).not.toBe(hashString("abd"));
    expect(hashString("")).toBe(0x811c9dc5);
  });
});
