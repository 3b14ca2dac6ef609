import { describe, expect, it } from "vitest";
import { amazonNovaCanvasCodec, amazonTitanImageCodec } from "./amazon-titan-image-codec.js";
import { readFixture } from "./read-fixture.js";
import { stabilitySd3Codec } from "./stability-sd3-codec.js";
import { stabilitySdxlCodec } from "./stability-sdxl-codec.js";

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

describe("SDXL", () => {
  it("sends weighted text_prompts at a documented size", () => {
    expect(
      stabilitySdxlCodec.buildRequest({
        prompt: "a lighthouse",
        negativePrompt: "fog",
        width: 1344,
        height: 768,
        cfgScale: 7,
        steps: 30,
        seed: 42,
        stylePreset: "photographic",
      }),
    ).toEqual({
      text_prompts: [
        { text: "a lighthouse", weight: 1 },
        { text: "fog", weight: -1 },
      ],
      height: 768,
      width: 1344,
      cfg_scale: 7,
      seed: 42,
      steps: 30,
      samples: 1,
      style_preset: "photographic",
    });
  });

  it("refuses sizes SDXL does not make and out-of-range settings", () => {
    expect(() =>
      stabilitySdxlCodec.buildRequest({ prompt: "x", width: 1000, height: 1000 }),
    ).toThrow(/got "1000x1000"/);
    expect(() => stabilitySdxlCodec.buildRequest({ prompt: "x", cfgScale: 40 })).toThrow(
      expect.objectContaining({ code: "input.cfgScale" }),
    );
    expect(() => stabilitySdxlCodec.buildRequest({ prompt: "x", steps: 5 })).toThrow(
      expect.objectContaining({ code: "input.steps" }),
    );
    expect(() => stabilitySdxlCodec.buildRequest({ prompt: "" })).toThrow(
      expect.objectContaining({ code: "input.prompt" }),
    );
  });

  it("decodes artifacts", () => {
    const result = stabilitySdxlCodec.parseResponse(readFixture("stability-sdxl-response.json"));
    expect([...result.images[0]!]).toEqual(PNG_SIGNATURE);
    expect(result.finishReasons).toEqual(["SUCCESS"]);
    expect(result.seeds).toEqual([452345]);
  });
});

describe("SD3-style", () => {
  it("sends prompt, aspect_ratio, output_format and seed", () => {
    expect(
      stabilitySd3Codec.buildRequest({
        prompt: "Create an image of a panda",
        aspectRatio: "16:9",
        outputFormat: "jpeg",
        seed: 7,
      }),
    ).toEqual({
      prompt: "Create an image of a panda",
      mode: "text-to-image",
      aspect_ratio: "16:9",
      output_format: "jpeg",
      seed: 7,
    });
    expect(() => stabilitySd3Codec.buildRequest({ prompt: "x", aspectRatio: "4:3" })).toThrow(
      expect.objectContaining({ code: "input.aspectRatio" }),
    );
    expect(() => stabilitySd3Codec.buildRequest({ prompt: "x", width: 1024 })).toThrow(
      /sized by aspectRatio/,
    );
  });

  it("parses the documented responses, a filtered one included", () => {
    const ok = stabilitySd3Codec.parseResponse(readFixture("stability-sd3-response.json"));
    expect(ok.images).toHaveLength(1);
    expect(ok.finishReasons).toEqual([undefined]);
    expect(ok.seeds).toEqual([2130420379]);
    const filtered = stabilitySd3Codec.parseResponse(
      readFixture("stability-sd3-filtered-response.json"),
    );
    expect(filtered.images).toEqual([]);
    expect(filtered.finishReasons).toEqual(["Filter reason: prompt"]);
  });
});

describe("Titan Image / Nova Canvas", () => {
  it("sends a TEXT_IMAGE task", () => {
    expect(
      amazonTitanImageCodec.buildRequest({
        prompt: "a red bike",
        negativePrompt: "people",
        count: 2,
        width: 1024,
        height: 1024,
        cfgScale: 8,
        seed: 1,
        quality: "premium",
      }),
    ).toEqual({
      taskType: "TEXT_IMAGE",
      textToImageParams: { text: "a red bike", negativeText: "people" },
      imageGenerationConfig: {
        numberOfImages: 2,
        height: 1024,
        width: 1024,
        cfgScale: 8,
        seed: 1,
        quality: "premium",
      },
    });
  });

  it("validates count, prompt length per model, and sizes together", () => {
    expect(() => amazonTitanImageCodec.buildRequest({ prompt: "x", count: 6 })).toThrow(
      expect.objectContaining({ code: "input.count" }),
    );
    expect(() => amazonTitanImageCodec.buildRequest({ prompt: "x".repeat(600) })).toThrow(
      /1 to 512 characters/,
    );
    expect(() => amazonNovaCanvasCodec.buildRequest({ prompt: "x".repeat(600) })).not.toThrow();
    expect(() => amazonTitanImageCodec.buildRequest({ prompt: "x", width: 512 })).toThrow(
      expect.objectContaining({ code: "input.width and height" }),
    );
  });

  it("decodes images", () => {
    const result = amazonTitanImageCodec.parseResponse(
      readFixture("amazon-titan-image-response.json"),
    );
    expect(result.images.map((image) => [...image])).toEqual([PNG_SIGNATURE, PNG_SIGNATURE]);
    expect(result.finishReasons).toEqual([undefined, undefined]);
    expect(() => amazonTitanImageCodec.parseResponse({ error: "blocked" })).toThrow(
      /has no images/,
    );
  });
});
