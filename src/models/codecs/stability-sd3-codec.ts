/**
 * Stability AI SD3 Large, SD3.5 Large, Stable Image Core and Ultra on InvokeModel: `prompt`,
 * `aspect_ratio`, `output_format`.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-diffusion-3-text-image.html
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-diffusion-3-5-large.html
 */
import type { ImageCodec, ImageRequest, ImageResult } from "../model-codec.js";
import { compact, fromBase64, inputError, readJson, responseError } from "./codec-support.js";

const FAMILY = "stability-sd3";
export const SD3_ASPECT_RATIOS = [
  "16:9",
  "1:1",
  "21:9",
  "2:3",
  "3:2",
  "4:5",
  "5:4",
  "9:16",
  "9:21",
];
const MAX_PROMPT = 10_000;

function buildRequest(request: ImageRequest): Record<string, unknown> {
  if (
    typeof request.prompt !== "string" ||
    request.prompt.trim() === "" ||
    request.prompt.length > MAX_PROMPT
  )
    throw inputError("prompt", `a string of 1 to ${MAX_PROMPT} characters`, request.prompt);
  if (request.width !== undefined || request.height !== undefined)
    throw inputError(
      request.width !== undefined ? "width" : "height",
      `absent: this model is sized by aspectRatio (${SD3_ASPECT_RATIOS.join(", ")})`,
      request.width ?? request.height,
    );
  if (request.aspectRatio !== undefined && !SD3_ASPECT_RATIOS.includes(request.aspectRatio))
    throw inputError("aspectRatio", SD3_ASPECT_RATIOS.join(", "), request.aspectRatio);
  if (request.count !== undefined && request.count !== 1)
    throw inputError("count", "1 (one image per call)", request.count);
  if (
    request.seed !== undefined &&
    (!Number.isInteger(request.seed) || request.seed < 0 || request.seed > 4294967294)
  )
    throw inputError("seed", "an integer from 0 to 4294967294", request.seed);
  return compact({
    prompt: request.prompt,
    negative_prompt: request.negativePrompt,
    mode: "text-to-image",
    aspect_ratio: request.aspectRatio,
    output_format: request.outputFormat,
    seed: request.seed,
    ...request.additionalFields,
  });
}

function parseResponse(raw: unknown): ImageResult {
  const body = readJson(raw, FAMILY);
  const finishReasons = body.finish_reasons as (string | null)[] | undefined;
  if (!Array.isArray(finishReasons)) throw responseError(FAMILY, "has no finish_reasons");
  const images = (body.images as string[] | undefined) ?? [];
  return {
    images: images.map(fromBase64),
    // null means the image was generated; a string says why it was not.
    finishReasons: finishReasons.map((reason) => reason ?? undefined),
    ...(Array.isArray(body.seeds) ? { seeds: body.seeds as number[] } : {}),
  };
}

/** The SD3-style codec. */
export const stabilitySd3Codec: ImageCodec = { family: FAMILY, buildRequest, parseResponse };
