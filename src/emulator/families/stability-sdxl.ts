// Stability AI SDXL 1.0 text-to-image on InvokeModel.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-diffusion-1-0-text-image.html

import { awsErrors } from "../emulator-error.js";
import { cachedBodyCheck } from "./cached-body-check.js";
import type { ImageCall, ImageDialect } from "./invocation-types.js";
import { seedFromPrompt } from "./seed-from-prompt.js";

/** The width × height pairs SDXL 1.0 renders (the parameter page). */
export const SDXL_SIZES: readonly (readonly [number, number])[] = [
  [1024, 1024],
  [1152, 896],
  [1216, 832],
  [1344, 768],
  [1536, 640],
  [640, 1536],
  [768, 1344],
  [832, 1216],
  [896, 1152],
];

const MAX_SEED = 4_294_967_295;

const SCHEMA = {
  type: "object",
  required: ["text_prompts"],
  additionalProperties: false,
  properties: {
    text_prompts: {
      type: "array",
      minItems: 1,
      items: {
        type: "object",
        required: ["text"],
        additionalProperties: false,
        properties: {
          text: { type: "string", minLength: 1, maxLength: 2000 },
          weight: { type: "number" },
        },
      },
    },
    height: { type: "integer", minimum: 128 },
    width: { type: "integer", minimum: 128 },
    cfg_scale: { type: "number", minimum: 0, maximum: 35 },
    clip_guidance_preset: {
      enum: ["FAST_BLUE", "FAST_GREEN", "NONE", "SIMPLE", "SLOW", "SLOWER", "SLOWEST"],
    },
    sampler: {
      enum: [
        "DDIM",
        "DDPM",
        "K_DPMPP_2M",
        "K_DPMPP_2S_ANCESTRAL",
        "K_DPM_2",
        "K_DPM_2_ANCESTRAL",
        "K_EULER",
        "K_EULER_ANCESTRAL",
        "K_HEUN",
        "K_LMS",
      ],
    },
    samples: { type: "integer", minimum: 1, maximum: 1 },
    seed: { type: "integer", minimum: 0, maximum: MAX_SEED },
    steps: { type: "integer", minimum: 10, maximum: 50 },
    style_preset: {
      enum: [
        "3d-model",
        "analog-film",
        "anime",
        "cinematic",
        "comic-book",
        "digital-art",
        "enhance",
        "fantasy-art",
        "isometric",
        "line-art",
        "low-poly",
        "modeling-compound",
        "neon-punk",
        "origami",
        "photographic",
        "pixel-art",
        "tile-texture",
      ],
    },
    extras: { type: "object" },
    // Image-to-image fields: accepted by the schema, refused below with a clear message.
    init_image: { type: "string" },
    init_image_mode: { enum: ["IMAGE_STRENGTH", "STEP_SCHEDULE"] },
    image_strength: { type: "number", minimum: 0, maximum: 1 },
    step_schedule_start: { type: "number", minimum: 0, maximum: 1 },
    step_schedule_end: { type: "number", minimum: 0, maximum: 1 },
  },
};

interface SdxlRequest {
  text_prompts: { text: string; weight?: number }[];
  height?: number;
  width?: number;
  samples?: number;
  seed?: number;
  init_image?: string;
}

/** Stability SDXL 1.0's InvokeModel body: weighted `text_prompts` and sampling settings. */
export const stabilitySdxl: ImageDialect = {
  output: "image",

  parseRequest(body): ImageCall {
    cachedBodyCheck("stability-sdxl", () => SCHEMA)(body);
    const request = body as SdxlRequest;
    if (request.init_image !== undefined) {
      throw awsErrors.validation(
        "The emulator renders SDXL text-to-image only; remove init_image and the image-to-image fields.",
      );
    }
    const width = request.width ?? 1024;
    const height = request.height ?? 1024;
    if (!SDXL_SIZES.some(([w, h]) => w === width && h === height)) {
      throw awsErrors.validation(
        `Invalid dimensions ${width}x${height}: SDXL v1.0 renders ${SDXL_SIZES.map(([w, h]) => `${w}x${h}`).join(", ")}.`,
      );
    }
    // Negative weights steer away from a text; the picture follows the positive ones.
    const positive = request.text_prompts.filter((prompt) => (prompt.weight ?? 1) >= 0);
    const prompt = (positive.length ? positive : request.text_prompts)
      .map((entry) => entry.text)
      .join(" ");
    return {
      kind: "image",
      prompt,
      width,
      height,
      count: request.samples ?? 1,
      // Seed 0 asks for a random seed.
      seed: request.seed ? request.seed : seedFromPrompt(prompt, MAX_SEED),
      promptText: request.text_prompts.map((entry) => entry.text).join("\n"),
    };
  },

  renderResponse(call, pngs) {
    return {
      result: "success",
      artifacts: pngs.map((png, index) => ({
        seed: call.seed + index,
        base64: png.toString("base64"),
        finishReason: "SUCCESS",
      })),
    };
  },
};
