// Amazon Titan Image Generator G1 / G1 v2 and Amazon Nova Canvas on InvokeModel.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-image.html
// https://docs.aws.amazon.com/nova/latest/userguide/image-gen-req-resp-structure.html

import type { CatalogModel } from "../catalog/catalog-model.js";
import { awsErrors } from "../emulator-error.js";
import { cachedBodyCheck } from "./cached-body-check.js";
import type { ImageCall, ImageDialect } from "./invocation-types.js";

/** The width × height pairs Titan Image Generator renders (the parameter page's table). */
export const TITAN_IMAGE_SIZES: readonly (readonly [number, number])[] = [
  [1024, 1024],
  [768, 768],
  [512, 512],
  [768, 1152],
  [384, 576],
  [1152, 768],
  [576, 384],
  [768, 1280],
  [384, 640],
  [1280, 768],
  [640, 384],
  [896, 1152],
  [448, 576],
  [1152, 896],
  [576, 448],
  [768, 1408],
  [384, 704],
  [1408, 768],
  [704, 384],
  [640, 1408],
  [320, 704],
  [1408, 640],
  [704, 320],
  [1152, 640],
  [1173, 640],
];

const TASK_TYPES = [
  "TEXT_IMAGE",
  "INPAINTING",
  "OUTPAINTING",
  "IMAGE_VARIATION",
  "COLOR_GUIDED_GENERATION",
  "BACKGROUND_REMOVAL",
  "VIRTUAL_TRY_ON",
];

const NOVA_CANVAS_STYLES = [
  "3D_ANIMATED_FAMILY_FILM",
  "DESIGN_SKETCH",
  "FLAT_VECTOR_ILLUSTRATION",
  "GRAPHIC_NOVEL_ILLUSTRATION",
  "MAXIMALISM",
  "MIDCENTURY_RETRO",
  "PHOTOREALISM",
  "SOFT_DIGITAL_PAINTING",
];

interface Limits {
  readonly textLength: number;
  readonly maxSeed: number;
  readonly defaultSeed: number;
  readonly canvas: boolean;
}

function limitsOf(model: CatalogModel): Limits {
  return model.modelId.includes("nova-canvas")
    ? { textLength: 1024, maxSeed: 858_993_459, defaultSeed: 12, canvas: true }
    : { textLength: 512, maxSeed: 2_147_483_646, defaultSeed: 42, canvas: false };
}

function schemaFor(limits: Limits): object {
  const text = { type: "string", minLength: 1, maxLength: limits.textLength };
  return {
    type: "object",
    required: ["taskType"],
    additionalProperties: false,
    properties: {
      taskType: { enum: TASK_TYPES },
      textToImageParams: {
        type: "object",
        required: ["text"],
        additionalProperties: false,
        properties: {
          text,
          negativeText: text,
          conditionImage: { type: "string" },
          controlMode: { enum: ["CANNY_EDGE", "SEGMENTATION"] },
          controlStrength: { type: "number", minimum: 0, maximum: 1 },
          ...(limits.canvas ? { style: { enum: NOVA_CANVAS_STYLES } } : {}),
        },
      },
      inPaintingParams: { type: "object" },
      outPaintingParams: { type: "object" },
      imageVariationParams: { type: "object" },
      colorGuidedGenerationParams: { type: "object" },
      backgroundRemovalParams: { type: "object" },
      virtualTryOnParams: { type: "object" },
      imageGenerationConfig: {
        type: "object",
        additionalProperties: false,
        properties: {
          numberOfImages: { type: "integer", minimum: 1, maximum: 5 },
          height: { type: "integer" },
          width: { type: "integer" },
          cfgScale: { type: "number", minimum: 1.1, maximum: 10 },
          seed: { type: "integer", minimum: 0, maximum: limits.maxSeed },
          quality: { enum: ["standard", "premium"] },
        },
      },
    },
  };
}

interface TitanImageRequest {
  taskType: string;
  textToImageParams?: { text: string; negativeText?: string; conditionImage?: string };
  imageGenerationConfig?: {
    numberOfImages?: number;
    height?: number;
    width?: number;
    seed?: number;
  };
}

/** Nova Canvas sizes: sides 320–4,096 in steps of 16, at most 4:1, at most 4.19 megapixels. */
function canvasSizeProblem(width: number, height: number): string | undefined {
  for (const [name, side] of [
    ["width", width],
    ["height", height],
  ] as const) {
    if (side < 320 || side > 4096 || side % 16 !== 0)
      return `${name} must be a multiple of 16 from 320 to 4096, got ${side}`;
  }
  if (Math.max(width, height) / Math.min(width, height) > 4)
    return `the aspect ratio must be between 1:4 and 4:1, got ${width}x${height}`;
  if (width * height > 4_194_304)
    return `the image must have at most 4,194,304 pixels, got ${width * height}`;
  return undefined;
}

/**
 * The Titan / Nova Canvas InvokeModel body. Only `TEXT_IMAGE` is rendered; the editing task
 * types are refused with a ValidationException that says so.
 */
export const titanImage: ImageDialect = {
  output: "image",

  parseRequest(body, model): ImageCall {
    const limits = limitsOf(model);
    cachedBodyCheck(`titan-image:${limits.canvas}`, () => schemaFor(limits))(body);
    const request = body as TitanImageRequest;
    if (request.taskType !== "TEXT_IMAGE") {
      throw awsErrors.validation(
        `The emulator renders the TEXT_IMAGE task type only; ${request.taskType} is not available.`,
      );
    }
    const params = request.textToImageParams;
    if (!params) throw awsErrors.malformedInput("#: required key [textToImageParams] not found");
    if (params.conditionImage !== undefined) {
      throw awsErrors.validation(
        "The emulator does not render image conditioning; remove conditionImage.",
      );
    }
    const config = request.imageGenerationConfig ?? {};
    const width = config.width ?? 1024;
    const height = config.height ?? 1024;
    if (limits.canvas) {
      const problem = canvasSizeProblem(width, height);
      if (problem) throw awsErrors.validation(`Invalid image size: ${problem}.`);
    } else if (!TITAN_IMAGE_SIZES.some(([w, h]) => w === width && h === height)) {
      throw awsErrors.validation(
        `Invalid image size ${width}x${height}: Titan Image Generator renders ${TITAN_IMAGE_SIZES.map(([w, h]) => `${w}x${h}`).join(", ")}.`,
      );
    }
    return {
      kind: "image",
      prompt: params.text,
      width,
      height,
      count: config.numberOfImages ?? 1,
      seed: config.seed ?? limits.defaultSeed,
      promptText: [params.text, params.negativeText ?? ""].filter(Boolean).join("\n"),
    };
  },

  renderResponse(_call, pngs) {
    // `error` appears only when generation fails; a successful reply carries the images.
    return { images: pngs.map((png) => png.toString("base64")) };
  },
};
