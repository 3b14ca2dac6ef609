/**
 * Amazon Titan Text Embeddings G1 and V2 on InvokeModel: one text per call.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html
 */
import type { EmbeddingCodec, EmbeddingOptions, EmbeddingResult } from "../model-codec.js";
import { compact, inputError, readJson, responseError, usageFrom } from "./codec-support.js";

const FAMILY = "amazon-titan-embed-text";

export interface TitanEmbedTextCodecOptions {
  /** V2 takes `dimensions` and `normalize`; G1 takes only the text. */
  readonly configurable: boolean;
  /** The longest text accepted, in characters. */
  readonly maxCharacters: number;
}

const DIMENSIONS = [256, 512, 1024];

export function createTitanEmbedTextCodec(settings: TitanEmbedTextCodecOptions): EmbeddingCodec {
  return {
    family: FAMILY,
    maxBatch: 1,
    buildRequest(texts: readonly string[], options: EmbeddingOptions = {}) {
      if (!Array.isArray(texts) || texts.length !== 1)
        throw inputError("texts", "exactly one text (Titan embeds one text per call)", texts);
      const text = texts[0];
      if (typeof text !== "string" || text.length === 0 || text.length > settings.maxCharacters)
        throw inputError("texts[0]", `a string of 1 to ${settings.maxCharacters} characters`, text);
      if (!settings.configurable) {
        if (options.dimensions !== undefined || options.normalize !== undefined)
          throw inputError(
            options.dimensions !== undefined ? "dimensions" : "normalize",
            "absent: Titan Embeddings G1 has fixed 1536 dimensions",
            options.dimensions ?? options.normalize,
          );
        return { inputText: text, ...options.additionalFields };
      }
      if (options.dimensions !== undefined && !DIMENSIONS.includes(options.dimensions))
        throw inputError("dimensions", "256, 512 or 1024", options.dimensions);
      if (options.inputType !== undefined || options.truncate !== undefined)
        throw inputError(
          options.inputType !== undefined ? "inputType" : "truncate",
          "absent: it is a Cohere setting",
          options.inputType ?? options.truncate,
        );
      return compact({
        inputText: text,
        dimensions: options.dimensions,
        normalize: options.normalize ?? true,
        ...options.additionalFields,
      });
    },
    parseResponse(raw, headers): EmbeddingResult {
      const body = readJson(raw, FAMILY);
      const vector =
        (body.embedding as number[] | undefined) ??
        (body.embeddingsByType as { float?: number[] } | undefined)?.float;
      if (!Array.isArray(vector)) throw responseError(FAMILY, "has no embedding");
      return {
        vectors: [vector],
        inputTokens: usageFrom({ inputTokens: body.inputTextTokenCount }, headers).inputTokens,
      };
    },
  };
}

/** Titan Text Embeddings V2 (`amazon.titan-embed-text-v2:0`): 8,192 tokens, about 50,000 characters. */
export const amazonTitanEmbedTextV2Codec = createTitanEmbedTextCodec({
  configurable: true,
  maxCharacters: 50_000,
});
/** Titan Embeddings G1 - Text (`amazon.titan-embed-text-v1`). */
export const amazonTitanEmbedTextV1Codec = createTitanEmbedTextCodec({
  configurable: false,
  maxCharacters: 50_000,
});
