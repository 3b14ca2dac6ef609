import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { renderPngImage } from "./png-image.js";

describe("renderPngImage", () => {
  it("writes a PNG that pngjs reads back at exactly the requested size", () => {
    for (const [width, height] of [
      [1, 1],
      [7, 300],
      [1173, 640],
      [640, 1536],
    ] as const) {
      const bytes = renderPngImage({ prompt: "a quarry", seed: 1, width, height });
      expect(bytes.subarray(0, 8)).toEqual(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
      const png = PNG.sync.read(bytes);
      expect([png.width, png.height]).toEqual([width, height]);
    }
  });

  it("is deterministic per (prompt, seed) and differs when either changes", () => {
    const base = { prompt: "a quarry", seed: 7, width: 64, height: 64 };
    expect(renderPngImage(base)).toEqual(renderPngImage(base));
    expect(renderPngImage({ ...base, seed: 8 })).not.toEqual(renderPngImage(base));
    expect(renderPngImage({ ...base, prompt: "a river" })).not.toEqual(renderPngImage(base));
  });

  it("draws a picture, not a flat colour, and stays small", () => {
    const bytes = renderPngImage({ prompt: "a quarry", seed: 3, width: 1024, height: 1024 });
    const png = PNG.sync.read(bytes);
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4 * 97) colours.add(png.data.readUInt32BE(i));
    expect(colours.size).toBeGreaterThan(50);
    expect(bytes.length).toBeLessThan(200_000);
  });

  it("refuses a size it cannot draw, naming the option and the value", () => {
    expect(() => renderPngImage({ prompt: "x", seed: 1, width: 0, height: 10 })).toThrow(
      "renderPngImage: width must be an integer from 1 to 8192, got 0",
    );
    expect(() => renderPngImage({ prompt: "x", seed: 1, width: 10, height: 1.5 })).toThrow(
      "renderPngImage: height must be an integer from 1 to 8192, got 1.5",
    );
  });
});
