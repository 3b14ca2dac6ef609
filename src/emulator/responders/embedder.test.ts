import { describe, expect, it } from "vitest";
import { binaryComponents, embedText, packBits, quantizeInt8, quantizeUint8 } from "./embedder.js";

function norm(vector: Float32Array): number {
  return Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0));
}

describe("embedText", () => {
  it("gives the requested dimension, unit length when normalized", () => {
    for (const dimensions of [1, 256, 1024, 1536]) {
      const vector = embedText("granite", { dimensions, normalize: true });
      expect(vector).toHaveLength(dimensions);
      expect(norm(vector)).toBeCloseTo(1, 5);
    }
  });

  it("keeps raw components in [-1, 1) when not normalized", () => {
    const vector = embedText("granite", { dimensions: 1024, normalize: false });
    expect(Math.min(...vector)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...vector)).toBeLessThan(1);
    expect(Math.abs(norm(vector) - 1)).toBeGreaterThan(0.5);
  });

  it("is a function of the text and the seed", () => {
    const options = { dimensions: 64, normalize: true };
    expect(embedText("basalt", options)).toEqual(embedText("basalt", options));
    expect(embedText("basalt", options)).not.toEqual(embedText("basalts", options));
    expect(embedText("basalt", { ...options, seed: 2 })).not.toEqual(embedText("basalt", options));
  });

  it("refuses a dimension that is not a positive integer, naming it", () => {
    expect(() => embedText("x", { dimensions: 0, normalize: true })).toThrow(
      "embedText: dimensions must be a positive integer, got 0",
    );
  });
});

describe("quantizations", () => {
  const vector = new Float32Array([1, -1, 0.5, -0.5, 0, 0.9, -0.2, 0.1, 0.3]);

  it("maps [-1, 1] onto int8 and uint8", () => {
    expect(quantizeInt8(vector)).toEqual([127, -127, 64, -63, 0, 114, -25, 13, 38]);
    expect(quantizeUint8(vector)).toEqual([255, 0, 191, 64, 128, 242, 102, 140, 166]);
  });

  it("packs one bit a component, most significant first, signed or not", () => {
    // 1 0 1 0 0 1 0 1 | 1 (then zero padding) → 0b10100101, 0b10000000
    expect(packBits(vector, false)).toEqual([0b10100101, 0b10000000]);
    expect(packBits(vector, true)).toEqual([0b10100101 - 256, 0b10000000 - 256]);
    expect(binaryComponents(vector)).toEqual([1, 0, 1, 0, 0, 1, 0, 1, 1]);
  });
});
