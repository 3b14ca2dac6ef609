// Amazon Titan Text Embeddings G1 (v1) and V2 on InvokeModel.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html

import type { CatalogModel } from "../catalog/catalog-model.js";
import { awsErrors } from "../emulator-error.js";
import { binaryComponents, vectorToArray } from "../responders/embedder.js";
import { countTokens } from "../state/count-tokens.js";
import { cachedBodyCheck } from "./cached-body-check.js";
import type { EmbeddingCall, EmbeddingDialect } from "./invocation-types.js";

/** Titan embeddings read at most this many input tokens. */
export const TITAN_EMBED_MAX_TOKENS = 8192;

const V1_SCHEMA = {
  type: "object",
  required: ["inputText"],
  additionalProperties: false,
  properties: { inputText: { type: "string", minLength: 1 } },
};

const V2_SCHEMA = {
  type: "object",
  required: ["inputText"],
  additionalProperties: false,
  properties: {
    // "up to 8,192 tokens or 50,000 characters" (the parameter page).
    inputText: { type: "string", minLength: 1, maxLength: 50_000 },
    dimensions: { enum: [1024, 512, 256] },
    normalize: { type: "boolean" },
    embeddingTypes: {
      type: "array",
      minItems: 1,
      uniqueItems: true,
      items: { enum: ["float", "binary"] },
    },
  },
};

/** The first-generation model takes `inputText` only and answers with 1,536 dimensions. */
function isVersion1(model: CatalogModel): boolean {
  return /titan-embed-(text-v1|g1-text)/.test(model.modelId);
}

/** Titan Text Embeddings' InvokeModel body: one `inputText` a call. */
export const titanEmbed: EmbeddingDialect = {
  output: "embedding",

  parseRequest(body, model): EmbeddingCall {
    const version1 = isVersion1(model);
    cachedBodyCheck(version1 ? "titan-embed:v1" : "titan-embed:v2", () =>
      version1 ? V1_SCHEMA : V2_SCHEMA,
    )(body);
    const request = body as {
      inputText: string;
      dimensions?: number;
      normalize?: boolean;
      embeddingTypes?: string[];
    };
    const tokens = countTokens(request.inputText);
    if (tokens > TITAN_EMBED_MAX_TOKENS) {
      throw awsErrors.malformedInput(
        `400 Bad Request: Too many input tokens. Max input tokens: ${TITAN_EMBED_MAX_TOKENS}, request input token count: ${tokens} `,
      );
    }
    return {
      kind: "embedding",
      texts: [request.inputText],
      dimensions: version1 ? 1536 : (request.dimensions ?? 1024),
      normalize: version1 ? false : (request.normalize ?? true),
      promptText: request.inputText,
      ...(version1 ? {} : { embeddingTypes: request.embeddingTypes ?? ["float"] }),
    };
  },

  renderResponse(call, vectors, inputTokens) {
    const vector = vectors[0]!;
    const embedding = vectorToArray(vector);
    if (!call.embeddingTypes) return { embedding, inputTextTokenCount: inputTokens };
    // `embeddingsByType` always appears in V2 replies, holding the types asked for.
    const embeddingsByType: Record<string, number[]> = {};
    for (const type of call.embeddingTypes) {
      embeddingsByType[type] = type === "binary" ? binaryComponents(vector) : embedding;
    }
    return { embedding, inputTextTokenCount: inputTokens, embeddingsByType };
  },
};
