// Amazon Titan Text (Lite, Express, Premier) on InvokeModel / InvokeModelWithResponseStream.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-text.html

import type { CatalogModel } from "../catalog/catalog-model.js";
import { cachedBodyCheck } from "./cached-body-check.js";
import { invocationMetricsPayload } from "./invocation-metrics-payload.js";
import type {
  Generation,
  RenderContext,
  StreamChunk,
  TextCall,
  TextDialect,
} from "./invocation-types.js";
import { splitIntoDeltas } from "./split-deltas.js";

function schemaFor(model: CatalogModel): object {
  return {
    type: "object",
    required: ["inputText"],
    additionalProperties: false,
    properties: {
      inputText: { type: "string" },
      textGenerationConfig: {
        type: "object",
        additionalProperties: false,
        properties: {
          temperature: { type: "number", minimum: 0, maximum: 1 },
          // "The minimum value is exclusive of 0" (the parameter page).
          topP: { type: "number", exclusiveMinimum: 0, maximum: 1 },
          // "Maximum token limits are strictly enforced": 4,096 Lite, 8,192 Express, 3,072 Premier.
          maxTokenCount: { type: "integer", minimum: 0, maximum: model.maxOutputTokens },
          stopSequences: { type: "array", items: { type: "string" } },
        },
      },
    },
  };
}

/**
 * The user's words in Titan's conversational format (`User: question\nBot:`): the text after
 * the last `User:` when the prompt ends with `Bot:`, else the whole prompt.
 */
export function titanUserText(inputText: string): string {
  const match = /(?:^|\n)\s*User:\s*([\s\S]*?)\s*\n?\s*Bot:\s*$/.exec(inputText);
  if (!match) return inputText.trim();
  const text = match[1]!;
  const last = text.lastIndexOf("User:");
  return (last >= 0 ? text.slice(last + "User:".length) : text).trim();
}

/** Titan Text's InvokeModel body: `inputText` and an optional `textGenerationConfig`. */
export const titanText: TextDialect = {
  output: "text",

  parseRequest(body, model): TextCall {
    cachedBodyCheck(`titan-text:${model.maxOutputTokens}`, () => schemaFor(model))(body);
    const request = body as {
      inputText: string;
      textGenerationConfig?: {
        temperature?: number;
        maxTokenCount?: number;
        stopSequences?: string[];
      };
    };
    const config = request.textGenerationConfig ?? {};
    return {
      kind: "text",
      system: "",
      turns: [
        { role: "user", text: titanUserText(request.inputText), toolCalls: [], toolResults: [] },
      ],
      promptText: request.inputText,
      maxTokens: config.maxTokenCount ?? model.defaultMaxTokens,
      stopSequences: config.stopSequences ?? [],
      tools: [],
      toolChoice: { type: "none" },
      imageCount: 0,
      ...(config.temperature !== undefined ? { temperature: config.temperature } : {}),
    };
  },

  renderResponse(generation: Generation) {
    return {
      inputTextTokenCount: generation.inputTokens,
      results: [
        {
          tokenCount: generation.outputTokens,
          outputText: generation.text,
          completionReason: completionReasonOf(generation),
        },
      ],
    };
  },

  renderStream(generation: Generation, context: RenderContext): StreamChunk[] {
    // Titan's chunks all carry the same keys; the first has the input count, the last the
    // output count, the completion reason and the invocation metrics (and its own text).
    const deltas = splitIntoDeltas(generation.text);
    const last = deltas.pop() ?? { text: "", tokens: 0 };
    const chunks: StreamChunk[] = deltas.map((delta, i) => ({
      outputTokens: delta.tokens,
      payload: {
        outputText: delta.text,
        index: 0,
        totalOutputTextTokenCount: null,
        completionReason: null,
        inputTextTokenCount: i === 0 ? generation.inputTokens : null,
      },
    }));
    chunks.push({
      outputTokens: last.tokens,
      final: true,
      payload: {
        outputText: last.text,
        index: 0,
        totalOutputTextTokenCount: generation.outputTokens,
        completionReason: completionReasonOf(generation),
        inputTextTokenCount: chunks.length === 0 ? generation.inputTokens : null,
        "amazon-bedrock-invocationMetrics": invocationMetricsPayload(context.metrics),
      },
    });
    return chunks;
  },
};

/**
 * Titan's completion reason. The parameter page lists `FINISHED`, but replies captured from
 * the service carry `FINISH` (see reference/bedrock-facts.md section 3), so we send that.
 */
function completionReasonOf(generation: Generation): string {
  switch (generation.stopReason) {
    case "max_tokens":
      return "LENGTH";
    case "stop_sequence":
      return "STOP_CRITERIA_MET";
    case "content_filtered":
    case "guardrail_intervened":
      return "CONTENT_FILTERED";
    default:
      return "FINISH";
  }
}
