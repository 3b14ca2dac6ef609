/**
 * Stability AI SDXL 1.0 on InvokeModel: weighted `text_prompts`, fixed sizes.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-diffusion-1-0-text-image.html
 */
import type { ImageCodec, ImageRequest, ImageResult } from "../model-codec.js";
import {
  checkRange,
  compact,
  fromBase64,
  inputError,
  readJson,
  responseError,
} from "./codec-support.js";

const FAMILY = "stability-sdxl";

/** The width x height pairs SDXL accepts. */
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

function buildRequest(request: ImageRequest): Record<string, unknown> {
  if (typeof request.prompt !== "string" || request.prompt.trim() === "")
    throw inputError("prompt", "a non-empty string", request.prompt);
  const width = request.width ?? 1024;
  const height = request.height ?? 1024;
  if (!SDXL_SIZES.some(([w, h]) => w === width && h === height))
    throw inputError(
      "width x height",
      `one of ${SDXL_SIZES.map(([w, h]) => `${w}x${h}`).join(", ")}`,
      `${width}x${height}`,
    );
  if (request.aspectRatio !== undefined)
    throw inputError(
      "aspectRatio",
      "absent: SDXL is sized by width and height",
      request.aspectRatio,
    );
  if (request.count !== undefined && request.count !== 1)
    throw inputError("count", "1 (SDXL on Bedrock returns one image per call)", request.count);
  checkRange("cfgScale", request.cfgScale, 0, 35);
  if (
    request.steps !== undefined &&
    (!Number.isInteger(request.steps) || request.steps < 10 || request.steps > 50)
  )
    throw inputError("steps", "an integer from 10 to 50", request.steps);
  if (
    request.seed !== undefined &&
    (!Number.isInteger(request.seed) || request.seed < 0 || request.seed > 4294967295)
  )
    throw inputError("seed", "an integer from 0 to 4294967295", request.seed);
  const prompts: { text: string; weight: number }[] = [{ text: request.prompt, weight: 1 }];
  // A negative weight is how SDXL says "not this".
  if (request.negativePrompt) prompts.push({ text: request.negativePrompt, weight: -1 });
  return compact({
    text_prompts: prompts,
    height,
    width,
    cfg_scale: request.cfgScale,
    seed: request.seed,
    steps: request.steps,
    samples: 1,
    style_preset: request.stylePreset,
    ...request.additionalFields,
  });
}

function parseResponse(raw: unknown): ImageResult {
  const body = readJson(raw, FAMILY);
  const artifacts = body.artifacts as
    | { base64?: string; seed?: number; finishReason?: string }[]
    | undefined;
  if (!Array.isArray(artifacts)) throw responseError(FAMILY, "has no artifacts");
  return {
    images: artifacts.map((artifact) => fromBase64(artifact.base64 ?? "")),
    finishReasons: artifacts.map((artifact) => artifact.finishReason),
    seeds: artifacts.map((artifact) => artifact.seed ?? 0),
  };
}

/** The SDXL codec. */
export const stabilitySdxlCodec: ImageCodec = { family: FAMILY, buildRequest, parseResponse };
