// Stability AI Stable Diffusion 3 / 3.5 Large and Stable Image Core / Ultra on InvokeModel.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-diffusion-3-text-image.html
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-diffusion-3-5-large.html

import { awsErrors } from "../emulator-error.js";
import { cachedBodyCheck } from "./cached-body-check.js";
import type { ImageCall, ImageDialect } from "./invocation-types.js";
import { seedFromPrompt } from "./seed-from-prompt.js";

/** Output size per `aspect_ratio`: Stability's one-megapixel sizes. */
export const SD3_SIZES: Readonly<Record<string, readonly [number, number]>> = {
  "1:1": [1024, 1024],
  "16:9": [1344, 768],
  "21:9": [1536, 640],
  "2:3": [832, 1216],
  "3:2": [1216, 832],
  "4:5": [896, 1088],
  "5:4": [1088, 896],
  "9:16": [768, 1344],
  "9:21": [640, 1536],
};

const MAX_SEED = 4_294_967_294;

const SCHEMA = {
  type: "object",
  required: ["prompt"],
  additionalProperties: false,
  properties: {
    prompt: { type: "string", maxLength: 10_000 },
    mode: { enum: ["text-to-image", "image-to-image"] },
    aspect_ratio: { enum: Object.keys(SD3_SIZES) },
    output_format: { enum: ["jpeg", "png", "webp"] },
    seed: { type: "integer", minimum: 0, maximum: MAX_SEED },
    negative_prompt: { type: "string", maxLength: 10_000 },
    image: { type: "string" },
    strength: { type: "number", minimum: 0, maximum: 1 },
  },
};

interface Sd3Request {
  prompt: string;
  mode?: "text-to-image" | "image-to-image";
  aspect_ratio?: string;
  output_format?: "jpeg" | "png" | "webp";
  seed?: number;
  negative_prompt?: string;
  image?: string;
}

/** The Stable Diffusion 3-generation InvokeModel body: a `prompt` and an `aspect_ratio`. */
export const stabilitySd3: ImageDialect = {
  output: "image",

  parseRequest(body): ImageCall {
    cachedBodyCheck("stability-sd3", () => SCHEMA)(body);
    const request = body as Sd3Request;
    if (request.mode === "image-to-image" || request.image !== undefined) {
      throw awsErrors.validation(
        "The emulator renders text-to-image only; remove mode image-to-image, image and strength.",
      );
    }
    if ((request.output_format ?? "png") !== "png") {
      throw awsErrors.validation(
        `The emulator renders PNG images only; output_format ${request.output_format} is not available, use png.`,
      );
    }
    const [width, height] = SD3_SIZES[request.aspect_ratio ?? "1:1"]!;
    return {
      kind: "image",
      prompt: request.prompt,
      width,
      height,
      count: 1,
      // Seed 0 (the default) asks for a random seed.
      seed: request.seed ? request.seed : seedFromPrompt(request.prompt, MAX_SEED),
      promptText: [request.prompt, request.negative_prompt ?? ""].filter(Boolean).join("\n"),
    };
  },

  renderResponse(call, pngs) {
    return {
      seeds: pngs.map((_, index) => call.seed + index),
      finish_reasons: pngs.map(() => null),
      images: pngs.map((png) => png.toString("base64")),
    };
  },
};
