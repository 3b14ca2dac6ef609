import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PNG } from "pngjs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/start-emulator.js";
import type { Quarry } from "./create-quarry.js";
import { outcomesOf, testQuarry } from "./test-quarry.js";

describe("embeddings and images against the emulator", () => {
  let emulator: Emulator;
  let quarry: Quarry;
  let folder: string;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    quarry = testQuarry(emulator);
    folder = await mkdtemp(join(tmpdir(), "quarry-images-"));
  });
  afterAll(async () => {
    quarry.destroy();
    await emulator.close();
    await rm(folder, { recursive: true, force: true });
  });
  beforeEach(() => emulator.reset());

  it("embeds 250 texts with Cohere in 3 calls of at most 96, results in input order", async () => {
    const texts = Array.from(
      { length: 250 },
      (_, i) => `document number ${i} about ${i % 7} rivers`,
    );
    const result = await quarry.embed({
      model: "cohere.embed-english-v3",
      texts,
      inputType: "search_document",
    });
    expect(result.calls).toBe(3);
    expect(result.vectors).toHaveLength(250);
    expect(outcomesOf(emulator, "InvokeModel")).toEqual({ ok: 3 });
    // The emulator's embedder is deterministic per text: a text embedded alone gives the vector
    // found at its own index, which proves the order was kept across batches.
    const alone = await quarry.embed({ model: "cohere.embed-english-v3", texts: texts[200]! });
    expect(alone.vectors[0]).toEqual(result.vectors[200]);
    expect(result.vectors[200]).not.toEqual(result.vectors[199]);
  });

  it("embeds with Titan Embed Text v2 one text per call, with dimensions and token counts", async () => {
    const result = await quarry.embed({
      model: "amazon.titan-embed-text-v2:0",
      texts: ["alpha", "beta", "gamma"],
      dimensions: 256,
    });
    expect(result.calls).toBe(3);
    expect(result.vectors.map((vector) => vector.length)).toEqual([256, 256, 256]);
    expect(result.inputTokens).toBeGreaterThan(0);
    const norm = Math.hypot(...result.vectors[0]!);
    expect(norm).toBeCloseTo(1, 3);
  });

  it.each([
    ["stability.stable-diffusion-xl-v1", { width: 1024, height: 1024 }],
    ["amazon.titan-image-generator-v2:0", { width: 512, height: 512 }],
    ["amazon.nova-canvas-v1:0", { width: 512, height: 512 }],
    ["stability.sd3-5-large-v1:0", { aspectRatio: "1:1" }],
  ] as const)("generates %s images and saves them as valid PNG files", async (model, size) => {
    const saveTo = join(folder, model.replace(/[^a-z0-9]+/g, "-"));
    const result = await quarry.generateImage({
      model,
      prompt: "a lighthouse at dusk",
      seed: 7,
      ...size,
      saveTo,
    });
    expect(result.images.length).toBeGreaterThan(0);
    expect(result.files).toHaveLength(result.images.length);
    const png = PNG.sync.read(await readFile(result.files[0]!));
    expect(png.width).toBeGreaterThan(0);
    expect(png.height).toBeGreaterThan(0);
    if ("width" in size) expect([png.width, png.height]).toEqual([size.width, size.height]);
  });

  it("refuses an embedding call on a text model before sending anything", async () => {
    await expect(
      quarry.embed({ model: "anthropic.claude-3-haiku-20240307-v1:0", texts: ["x"] }),
    ).rejects.toThrow(/not an embedding model/);
    expect(emulator.stats().requests).toBe(0);
  });
});
