/**
 * Amazon Titan Image Generator G1 / v2 and Amazon Nova Canvas on InvokeModel: `TEXT_IMAGE`.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-image.html
 * https://docs.aws.amazon.com/nova/latest/userguide/image-gen-req-resp-structure.html
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

const FAMILY = "amazon-titan-image";

export interface TitanImageCodecOptions {
  /** The longest prompt accepted (Titan 512, Nova Canvas 1024 characters). */
  readonly maxPromptCharacters: number;
}

export function createTitanImageCodec(settings: TitanImageCodecOptions): ImageCodec {
  return {
    family: FAMILY,
    buildRequest(request: ImageRequest) {
      const max = settings.maxPromptCharacters;
      if (
        typeof request.prompt !== "string" ||
        request.prompt.trim() === "" ||
        request.prompt.length > max
      )
        throw inputError("prompt", `a string of 1 to ${max} characters`, request.prompt);
      if (
        request.negativePrompt !== undefined &&
        (request.negativePrompt.length < 3 || request.negativePrompt.length > max)
      )
        throw inputError(
          "negativePrompt",
          `a string of 3 to ${max} characters`,
          request.negativePrompt,
        );
      if ((request.width === undefined) !== (request.height === undefined))
        throw inputError(
          "width and height",
          "both given or both absent",
          request.width ?? request.height,
        );
      for (const [field, value] of [
        ["width", request.width],
        ["height", request.height],
      ] as const)
        if (value !== undefined && (!Number.isInteger(value) || value < 256 || value > 4096))
          throw inputError(field, "an integer from 256 to 4096", value);
      const count = request.count ?? 1;
      if (!Number.isInteger(count) || count < 1 || count > 5)
        throw inputError("count", "an integer from 1 to 5", count);
      checkRange("cfgScale", request.cfgScale, 1.1, 10);
      if (
        request.seed !== undefined &&
        (!Number.isInteger(request.seed) || request.seed < 0 || request.seed > 2147483646)
      )
        throw inputError("seed", "an integer from 0 to 2147483646", request.seed);
      if (request.aspectRatio !== undefined)
        throw inputError(
          "aspectRatio",
          "absent: this model is sized by width and height",
          request.aspectRatio,
        );
      return {
        taskType: "TEXT_IMAGE",
        textToImageParams: compact({ text: request.prompt, negativeText: request.negativePrompt }),
        imageGenerationConfig: compact({
          numberOfImages: count,
          height: request.height,
          width: request.width,
          cfgScale: request.cfgScale,
          seed: request.seed,
          quality: request.quality,
        }),
        ...request.additionalFields,
      };
    },
    parseResponse(raw: unknown): ImageResult {
      const body = readJson(raw, FAMILY);
      const images = body.images as string[] | undefined;
      if (!Array.isArray(images)) throw responseError(FAMILY, "has no images");
      const error = typeof body.error === "string" ? body.error : undefined;
      return { images: images.map(fromBase64), finishReasons: images.map(() => error) };
    },
  };
}

/** Titan Image Generator G1 and v2. */
export const amazonTitanImageCodec = createTitanImageCodec({ maxPromptCharacters: 512 });
/** Amazon Nova Canvas (the same body, longer prompts). */
export const amazonNovaCanvasCodec = createTitanImageCodec({ maxPromptCharacters: 1024 });
