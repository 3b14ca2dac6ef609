// Cohere Command and Command Light (the legacy `generate` body) on InvokeModel /
// InvokeModelWithResponseStream.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-cohere-command.html

import type { CatalogModel } from "../catalog/catalog-model.js";
import { hashString } from "../state/seeded-random.js";
import { cachedBodyCheck } from "./cached-body-check.js";
import { invocationMetricsPayload } from "./invocation-metrics-payload.js";
import type {
  Generation,
  RenderContext,
  StreamChunk,
  TextCall,
  TextDialect,
} from "./invocation-types.js";
import { responseId } from "./response-id.js";
import { splitIntoDeltas } from "./split-deltas.js";

function schemaFor(model: CatalogModel): object {
  return {
    type: "object",
    required: ["prompt"],
    additionalProperties: false,
    properties: {
      prompt: { type: "string" },
      temperature: { type: "number", minimum: 0, maximum: 5 },
      p: { type: "number", minimum: 0, maximum: 1 },
      k: { type: "number", minimum: 0, maximum: 500 },
      max_tokens: { type: "integer", minimum: 1, maximum: model.maxOutputTokens },
      stop_sequences: { type: "array", maxItems: 4, items: { type: "string" } },
      return_likelihoods: { enum: ["GENERATION", "ALL", "NONE"] },
      stream: { type: "boolean" },
      num_generations: { type: "integer", minimum: 1, maximum: 5 },
      logit_bias: { type: "object" },
      truncate: { enum: ["NONE", "START", "END"] },
    },
  };
}

interface CommandRequest {
  prompt: string;
  temperature?: number;
  max_tokens?: number;
  stop_sequences?: string[];
  return_likelihoods?: "GENERATION" | "ALL" | "NONE";
  num_generations?: number;
}

// Renderers see the parsed call, not the body: the number of generations and the likelihoods
// setting travel in `bodyForm` as `count:likelihoods`.
const FORM_SEPARATOR = ":";

/** Cohere Command's InvokeModel body: a plain `prompt` and sampling settings. */
export const cohereCommand: TextDialect = {
  output: "text",

  parseRequest(body, model): TextCall {
    cachedBodyCheck(`cohere-command:${model.maxOutputTokens}`, () => schemaFor(model))(body);
    const request = body as CommandRequest;
    return {
      kind: "text",
      system: "",
      turns: [{ role: "user", text: request.prompt, toolCalls: [], toolResults: [] }],
      promptText: request.prompt,
      maxTokens: request.max_tokens ?? model.defaultMaxTokens,
      stopSequences: request.stop_sequences ?? [],
      tools: [],
      toolChoice: { type: "none" },
      imageCount: 0,
      // How many generations, and which likelihoods, the reply carries.
      bodyForm: [request.num_generations ?? 1, request.return_likelihoods ?? "NONE"].join(
        FORM_SEPARATOR,
      ),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    };
  },

  renderResponse(generation: Generation, context: RenderContext) {
    const { count, likelihoods } = formOf(context);
    return {
      generations: Array.from({ length: count }, (_, index) => ({
        finish_reason: finishReasonOf(generation),
        id: responseId(context.requestId, `generation-${index}`),
        text: generation.text,
        ...(likelihoods !== "NONE" ? likelihoodsOf(generation.text) : {}),
      })),
      id: responseId(context.requestId, "response"),
      prompt: context.call?.promptText ?? "",
    };
  },

  renderStream(generation: Generation, context: RenderContext): StreamChunk[] {
    // Bedrock streams Command as `generations` chunks; `index` tells generations apart only
    // when more than one is asked for.
    const { count } = formOf(context);
    const chunks: StreamChunk[] = [];
    for (let index = 0; index < count; index++) {
      const id = responseId(context.requestId, `generation-${index}`);
      const deltas = splitIntoDeltas(generation.text);
      const last = deltas.pop() ?? { text: "", tokens: 0 };
      const multiple = count > 1 ? { index } : {};
      for (const delta of deltas) {
        chunks.push({
          outputTokens: delta.tokens,
          payload: { generations: [{ id, text: delta.text, ...multiple }] },
        });
      }
      chunks.push({
        outputTokens: last.tokens,
        final: index === count - 1,
        payload: {
          generations: [
            { finish_reason: finishReasonOf(generation), id, text: last.text, ...multiple },
          ],
        },
      });
    }
    const lastChunk = chunks.pop()!;
    chunks.push({
      ...lastChunk,
      payload: {
        ...(lastChunk.payload as object),
        "amazon-bedrock-invocationMetrics": invocationMetricsPayload(context.metrics),
      },
    });
    return chunks;
  },
};

function formOf(context: RenderContext): { count: number; likelihoods: string } {
  const [count, likelihoods] = (context.call?.bodyForm ?? "1:NONE").split(FORM_SEPARATOR);
  return { count: Math.max(1, Number(count) || 1), likelihoods: likelihoods ?? "NONE" };
}

/** Deterministic per-token log-likelihoods, so `return_likelihoods` gets the fields it asks for. */
function likelihoodsOf(text: string) {
  const tokens = text.match(/\s*\S+/g) ?? [];
  const token_likelihoods = tokens.map((token) => ({
    token,
    likelihood: -((hashString(token) % 4000) / 1000),
  }));
  const total = token_likelihoods.reduce((sum, entry) => sum + entry.likelihood, 0);
  return {
    likelihood: tokens.length ? total / tokens.length : 0,
    token_likelihoods,
  };
}

function finishReasonOf(generation: Generation): string {
  switch (generation.stopReason) {
    case "max_tokens":
      return "MAX_TOKENS";
    case "content_filtered":
    case "guardrail_intervened":
      return "ERROR_TOXIC";
    default:
      return "COMPLETE";
  }
}
