/**
 * Cohere Embed v3 and v4 on InvokeModel: up to 96 texts per call.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed-v3.html
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed-v4.html
 */
import type { EmbeddingCodec, EmbeddingOptions, EmbeddingResult } from "../model-codec.js";
import { compact, inputError, readJson, responseError, usageFrom } from "./codec-support.js";

const FAMILY = "cohere-embed";
const MAX_TEXTS = 96;
const INPUT_TYPES = ["search_document", "search_query", "classification", "clustering"];
const TRUNCATE = ["NONE", "START", "END"];

export interface CohereEmbedCodecOptions {
  /** The longest text accepted, in characters (v3: 2,048). */
  readonly maxCharacters: number;
  /** `output_dimension` values the model takes (v4); none for v3. */
  readonly dimensions: readonly number[];
}

export function createCohereEmbedCodec(settings: CohereEmbedCodecOptions): EmbeddingCodec {
  return {
    family: FAMILY,
    maxBatch: MAX_TEXTS,
    buildRequest(texts: readonly string[], options: EmbeddingOptions = {}) {
      if (!Array.isArray(texts) || texts.length === 0 || texts.length > MAX_TEXTS)
        throw inputError("texts", `1 to ${MAX_TEXTS} texts per call (split larger batches)`, texts);
      texts.forEach((text, index) => {
        if (typeof text !== "string" || text.length > settings.maxCharacters)
          throw inputError(
            `texts[${index}]`,
            `a string of at most ${settings.maxCharacters} characters`,
            text,
          );
      });
      const inputType = options.inputType ?? "search_document";
      if (!INPUT_TYPES.includes(inputType))
        throw inputError("inputType", INPUT_TYPES.join(", "), inputType);
      if (options.truncate !== undefined && !TRUNCATE.includes(options.truncate))
        throw inputError("truncate", "NONE, START or END", options.truncate);
      if (options.normalize !== undefined)
        throw inputError("normalize", "absent: it is a Titan setting", options.normalize);
      if (options.dimensions !== undefined && !settings.dimensions.includes(options.dimensions))
        throw inputError(
          "dimensions",
          settings.dimensions.length
            ? settings.dimensions.join(", ")
            : "absent: this Cohere model has fixed dimensions",
          options.dimensions,
        );
      return compact({
        texts: [...texts],
        input_type: inputType,
        truncate: options.truncate,
        embedding_types: ["float"],
        output_dimension: options.dimensions,
        ...options.additionalFields,
      });
    },
    parseResponse(raw, headers): EmbeddingResult {
      const body = readJson(raw, FAMILY);
      const embeddings = body.embeddings;
      // `embeddings_floats` is a plain list; `embeddings_by_type` keys it by type.
      const vectors = Array.isArray(embeddings)
        ? embeddings
        : (embeddings as { float?: number[][] } | undefined)?.float;
      if (!Array.isArray(vectors)) throw responseError(FAMILY, "has no float embeddings");
      const usage = usageFrom({}, headers);
      return { vectors, ...(usage.inputTokens ? { inputTokens: usage.inputTokens } : {}) };
    },
  };
}

/** Cohere Embed English / Multilingual v3. */
export const cohereEmbedV3Codec = createCohereEmbedCodec({ maxCharacters: 2048, dimensions: [] });
/** Cohere Embed v4 (128k-token context; 256 to 1536 dimensions). */
export const cohereEmbedV4Codec = createCohereEmbedCodec({
  maxCharacters: 512_000,
  dimensions: [256, 512, 1024, 1536],
});
