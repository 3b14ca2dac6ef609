// Cohere Embed (English v3, Multilingual v3, v4) on InvokeModel.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed.html

import type { CatalogModel } from "../catalog/catalog-model.js";
import { awsErrors } from "../emulator-error.js";
import { packBits, quantizeInt8, quantizeUint8, vectorToArray } from "../responders/embedder.js";
import { cachedBodyCheck } from "./cached-body-check.js";
import type { EmbeddingCall, EmbeddingDialect } from "./invocation-types.js";
import { responseId } from "./response-id.js";

/** Texts per call, and characters per text, that the parameter page allows. */
export const COHERE_EMBED_MAX_TEXTS = 96;
export const COHERE_EMBED_MAX_CHARACTERS = 2048;

const EMBEDDING_TYPES = ["float", "int8", "uint8", "binary", "ubinary"];

function schemaFor(version4: boolean): object {
  return {
    type: "object",
    required: ["input_type"],
    additionalProperties: false,
    properties: {
      texts: {
        type: "array",
        maxItems: COHERE_EMBED_MAX_TEXTS,
        items: { type: "string", maxLength: COHERE_EMBED_MAX_CHARACTERS },
      },
      images: { type: "array", maxItems: 1, items: { type: "string" } },
      input_type: {
        enum: ["search_document", "search_query", "classification", "clustering", "image"],
      },
      truncate: { enum: ["NONE", "START", "END"] },
      embedding_types: {
        type: "array",
        minItems: 1,
        uniqueItems: true,
        items: { enum: EMBEDDING_TYPES },
      },
      ...(version4
        ? {
            inputs: { type: "array", items: { type: "object" } },
            output_dimension: { enum: [256, 512, 1024, 1536] },
            max_tokens: { type: "integer", minimum: 1 },
          }
        : {}),
    },
  };
}

function isVersion4(model: CatalogModel): boolean {
  return model.modelId.includes("embed-v4");
}

/** Cohere Embed's InvokeModel body: a batch of `texts` and their `input_type`. */
export const cohereEmbed: EmbeddingDialect = {
  output: "embedding",

  parseRequest(body, model): EmbeddingCall {
    const version4 = isVersion4(model);
    cachedBodyCheck(`cohere-embed:${version4}`, () => schemaFor(version4))(body);
    const request = body as {
      texts?: string[];
      images?: string[];
      inputs?: unknown[];
      output_dimension?: number;
      embedding_types?: string[];
    };
    if (request.images?.length || request.inputs?.length) {
      throw awsErrors.validation(
        "The emulator embeds texts only: send texts instead of images or inputs.",
      );
    }
    if (!request.texts) throw awsErrors.malformedInput("#: required key [texts] not found");
    return {
      kind: "embedding",
      texts: request.texts,
      dimensions: version4 ? (request.output_dimension ?? 1536) : 1024,
      normalize: true,
      promptText: request.texts.join("\n"),
      ...(request.embedding_types ? { embeddingTypes: request.embedding_types } : {}),
    };
  },

  renderResponse(call, vectors, _inputTokens, context) {
    const id = responseId(context.requestId, "embed");
    if (!call.embeddingTypes) {
      return {
        id,
        texts: call.texts,
        embeddings: vectors.map(vectorToArray),
        response_type: "embeddings_floats",
      };
    }
    const embeddings: Record<string, number[][]> = {};
    for (const type of call.embeddingTypes) {
      embeddings[type] = vectors.map((vector) => {
        switch (type) {
          case "int8":
            return quantizeInt8(vector);
          case "uint8":
            return quantizeUint8(vector);
          case "binary":
            return packBits(vector, true);
          case "ubinary":
            return packBits(vector, false);
          default:
            return vectorToArray(vector);
        }
      });
    }
    return { id, texts: call.texts, embeddings, response_type: "embeddings_by_type" };
  },
};
