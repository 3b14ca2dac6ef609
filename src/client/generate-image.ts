import { mkdir, writeFile } from "node:fs/promises";
import { dirname, extname, join } from "node:path";
import { InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { QuarryError } from "../errors/quarry-error.js";
import type { ImageRequest, ImageResult } from "../models/model-codec.js";
import { withSignal } from "./call-signals.js";
import { estimateTextTokens } from "./estimate-tokens.js";
import { type CallTarget, type QuarryContext, unsupported } from "./quarry-context.js";
import type { CallOptions } from "./text-call.js";

const utf8 = new TextDecoder();
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** An image-generation call. */
export interface GenerateImageRequest extends CallOptions, ImageRequest {
  /**
   * Also write the images: a directory (files `image-1.png`, ...) or a `.png`/`.jpg` file path
   * (numbered `-2`, `-3`, ... when there are several images).
   */
  readonly saveTo?: string;
}

/** The images as bytes, and the files written when `saveTo` was given. */
export interface GenerateImageResult extends ImageResult {
  /** The model id as called (the target's, when the client spreads calls over `targets`). */
  readonly modelId: string;
  /** The Region the images came from. */
  readonly region: string;
  readonly files: string[];
}

/** Generates images with Stability or Titan Image / Nova Canvas, through the family codec. */
export async function generateImage(
  context: QuarryContext,
  request: GenerateImageRequest,
): Promise<GenerateImageResult> {
  if (typeof request?.prompt !== "string" || request.prompt.trim() === "")
    throw new QuarryError("input.prompt", "generateImage needs a non-empty prompt.");
  const model = await context.model(request, "generateImage");
  const codec = model.imageCodec;
  if (!codec)
    throw unsupported(model, "generateImage", `it is a ${model.family} model, not an image model`);
  const { saveTo, model: _model, signal: _signal, recordId: _recordId, ...imageRequest } = request;
  const body = JSON.stringify(codec.buildRequest(imageRequest));

  const { result, target } = await context.schedule<{
    readonly result: ImageResult;
    readonly target: CallTarget;
  }>({
    model,
    operation: "InvokeModel",
    ...(request.recordId === undefined ? {} : { recordId: request.recordId }),
    signal: request.signal,
    inputTokens: estimateTextTokens(request.prompt + (request.negativePrompt ?? "")),
    maxTokens: 1,
    fullMaxTokens: 1,
    attempt: async ({ signal, target }) => {
      const output = await target.client.send(
        withSignal(
          new InvokeModelCommand({
            modelId: target.modelId,
            contentType: "application/json",
            accept: "application/json",
            body: new TextEncoder().encode(body),
          }),
          signal,
        ),
      );
      return { result: codec.parseResponse(JSON.parse(utf8.decode(output.body))), target };
    },
    usage: () => ({ inputTokens: 0, outputTokens: 0 }),
  });
  const files = saveTo === undefined ? [] : await saveImages(result.images, saveTo, request);
  return { ...result, modelId: target.modelId, region: target.region, files };
}

async function saveImages(
  images: readonly Uint8Array[],
  saveTo: string,
  request: GenerateImageRequest,
): Promise<string[]> {
  const extension = extname(saveTo).toLowerCase();
  const isFile = extension === ".png" || extension === ".jpg" || extension === ".jpeg";
  const wanted = request.outputFormat ?? "png";
  const files: string[] = [];
  for (const [index, image] of images.entries()) {
    const isPng = PNG_SIGNATURE.every((byte, at) => image[at] === byte);
    if (wanted === "png" && !isPng)
      throw new QuarryError(
        "output.image",
        `Image ${index + 1} is not a PNG file (its first bytes are not the PNG signature).`,
      );
    const suffix = isPng ? ".png" : ".jpg";
    const path = isFile
      ? index === 0
        ? saveTo
        : `${saveTo.slice(0, -extension.length)}-${index + 1}${extension}`
      : join(saveTo, `image-${index + 1}${suffix}`);
    await mkdir(isFile ? dirname(path) : saveTo, { recursive: true });
    await writeFile(path, image);
    files.push(path);
  }
  return files;
}
