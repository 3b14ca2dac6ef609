import { describe, expect, it } from "vitest";
import { IdIndex } from "./id-index.js";

describe("IdIndex", () => {
  it("finds every id inserted and none other, through many growths", () => {
    const index = new IdIndex({ words: 2, expected: 4 });
    for (let row = 1; row <= 100_000; row++) {
      const { slot, inserted } = index.insert(`id-${row}`);
      if (!inserted) throw new Error(`id-${row} was taken for a repeat`);
      index.set(slot, 0, row);
      index.set(slot, 1, 0xffffffff - row);
    }
    expect(index.size).toBe(100_000);
    let wrong = 0;
    for (let row = 1; row <= 100_000; row++) {
      const slot = index.find(`id-${row}`);
      if (slot < 0 || index.get(slot, 0) !== row || index.get(slot, 1) !== 0xffffffff - row)
        wrong++;
    }
    for (let row = 100_001; row <= 200_000; row++) if (index.has(`id-${row}`)) wrong++;
    expect(wrong).toBe(0);
    // 17 bytes per slot with two words, the table 35-70% full.
    expect(index.byteLength / index.size).toBeLessThan(50);
  });

  it("reports an id seen before instead of adding it again", () => {
    const index = new IdIndex({ words: 1 });
    const first = index.insert("AL");
    index.set(first.slot, 0, 7);
    const second = index.insert("AL");
    expect(second).toEqual({ slot: first.slot, inserted: false });
    expect(index.get(second.slot, 0)).toBe(7);
    expect(index.size).toBe(1);
  });

  it("tells apart ids that differ in one character, in case, or only in length", () => {
    const index = new IdIndex();
    for (const id of ["a", "A", "aa", "ab", "ba", "", " ", "é", "e\u0301", "😀"])
      expect(index.insert(id).inserted).toBe(true);
    expect(index.size).toBe(10);
  });

  it("visits every taken slot", () => {
    const index = new IdIndex({ words: 1 });
    for (let row = 0; row < 50; row++) index.set(index.insert(String(row)).slot, 0, row);
    let sum = 0;
    index.forEachSlot((slot) => {
      sum += index.get(slot, 0);
    });
    expect(sum).toBe((49 * 50) / 2);
  });

  it("validates its options", () => {
    expect(() => new IdIndex({ words: 9 })).toThrow(/words must be an integer from 0 to 8, got 9/);
  });
});
