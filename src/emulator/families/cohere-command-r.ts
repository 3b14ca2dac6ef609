// Cohere Command R and Command R+ on InvokeModel / InvokeModelWithResponseStream.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-cohere-command-r-plus.html

import type { CatalogModel } from "../catalog/catalog-model.js";
import { cachedBodyCheck } from "./cached-body-check.js";
import { invocationMetricsPayload } from "./invocation-metrics-payload.js";
import type {
  Generation,
  RenderContext,
  StreamChunk,
  TextCall,
  TextDialect,
  ToolCall,
  ToolSpec,
  Turn,
} from "./invocation-types.js";
import { responseId } from "./response-id.js";
import { splitIntoDeltas } from "./split-deltas.js";

const unit = { type: "number", minimum: 0, maximum: 1 };

function schemaFor(model: CatalogModel): object {
  return {
    type: "object",
    required: ["message"],
    additionalProperties: false,
    properties: {
      message: { type: "string" },
      chat_history: {
        type: "array",
        items: {
          type: "object",
          required: ["role"],
          additionalProperties: false,
          properties: {
            role: { enum: ["USER", "CHATBOT", "SYSTEM", "TOOL"] },
            message: { type: "string" },
            tool_calls: { type: "array" },
            tool_results: { type: "array" },
          },
        },
      },
      documents: { type: "array", items: { type: "object" } },
      search_queries_only: { type: "boolean" },
      preamble: { type: "string" },
      max_tokens: { type: "integer", minimum: 1, maximum: model.maxOutputTokens },
      temperature: unit,
      p: { type: "number", minimum: 0.01, maximum: 0.99 },
      k: { type: "number", minimum: 0, maximum: 500 },
      prompt_truncation: { enum: ["OFF", "AUTO_PRESERVE_ORDER"] },
      frequency_penalty: unit,
      presence_penalty: unit,
      seed: { type: "integer" },
      return_prompt: { type: "boolean" },
      tools: {
        type: "array",
        items: {
          type: "object",
          required: ["name", "description"],
          additionalProperties: false,
          properties: {
            name: { type: "string" },
            description: { type: "string" },
            parameter_definitions: { type: "object" },
          },
        },
      },
      tool_results: {
        type: "array",
        items: {
          type: "object",
          required: ["call", "outputs"],
          properties: {
            call: {
              type: "object",
              required: ["name"],
              properties: { name: { type: "string" }, parameters: { type: "object" } },
            },
            outputs: { type: "array", items: { type: "object" } },
          },
        },
      },
      stop_sequences: { type: "array", maxItems: 4, items: { type: "string" } },
      raw_prompting: { type: "boolean" },
    },
  };
}

interface ChatHistoryEntry {
  role: "USER" | "CHATBOT" | "SYSTEM" | "TOOL";
  message?: string;
  tool_calls?: { name: string; parameters?: unknown }[];
  tool_results?: ToolResultEntry[];
}

interface ToolResultEntry {
  call: { name: string; parameters?: unknown };
  outputs: unknown[];
}

interface CommandRRequest {
  message: string;
  chat_history?: ChatHistoryEntry[];
  documents?: Record<string, unknown>[];
  preamble?: string;
  max_tokens?: number;
  temperature?: number;
  tools?: {
    name: string;
    description: string;
    parameter_definitions?: Record<
      string,
      { description?: string; type?: string; required?: boolean }
    >;
  }[];
  tool_results?: ToolResultEntry[];
  stop_sequences?: string[];
}

const PYTHON_TYPES: Record<string, string> = {
  str: "string",
  int: "integer",
  float: "number",
  bool: "boolean",
  dict: "object",
};

/** Cohere's parameter definitions as a JSON Schema, for responders that fill tool inputs. */
function inputSchemaOf(
  definitions: NonNullable<CommandRRequest["tools"]>[number]["parameter_definitions"],
): unknown {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const [name, definition] of Object.entries(definitions ?? {})) {
    const type = definition.type ?? "str";
    properties[name] = {
      type: type.startsWith("List") ? "array" : (PYTHON_TYPES[type] ?? "string"),
      ...(definition.description ? { description: definition.description } : {}),
    };
    if (definition.required) required.push(name);
  }
  return { type: "object", properties, ...(required.length ? { required } : {}) };
}

function toolResultsOf(results: readonly ToolResultEntry[] | undefined) {
  return (results ?? []).map((result) => ({
    toolUseId: result.call.name,
    text: JSON.stringify(result.outputs),
  }));
}

/** Cohere Command R / R+'s InvokeModel body: `message`, `chat_history`, `preamble`, tools. */
export const cohereCommandR: TextDialect = {
  output: "text",

  parseRequest(body, model): TextCall {
    cachedBodyCheck(`cohere-command-r:${model.maxOutputTokens}`, () => schemaFor(model))(body);
    const request = body as CommandRRequest;
    const texts: string[] = [];
    const systemParts: string[] = [];
    if (request.preamble) systemParts.push(request.preamble);
    const turns: Turn[] = [];
    for (const entry of request.chat_history ?? []) {
      const message = entry.message ?? "";
      if (entry.role === "SYSTEM") {
        systemParts.push(message);
        continue;
      }
      // Cohere pairs calls and results by tool name; so do we.
      const toolCalls: ToolCall[] = (entry.tool_calls ?? []).map((call) => ({
        id: call.name,
        name: call.name,
        input: call.parameters ?? {},
      }));
      turns.push({
        role: entry.role === "CHATBOT" ? "assistant" : "user",
        text: message,
        toolCalls,
        toolResults: toolResultsOf(entry.tool_results),
      });
      texts.push(message);
    }
    const toolResults = toolResultsOf(request.tool_results);
    turns.push({ role: "user", text: request.message, toolCalls: [], toolResults });
    texts.push(request.message, ...toolResults.map((result) => result.text));
    for (const document of request.documents ?? []) texts.push(JSON.stringify(document));

    const tools: ToolSpec[] = (request.tools ?? []).map((tool) => ({
      name: tool.name,
      description: tool.description,
      inputSchema: inputSchemaOf(tool.parameter_definitions),
    }));
    for (const tool of tools)
      texts.push(tool.name, tool.description ?? "", JSON.stringify(tool.inputSchema));
    const system = systemParts.join("\n");
    return {
      kind: "text",
      system,
      turns,
      promptText: [system, ...texts].filter(Boolean).join("\n"),
      maxTokens: request.max_tokens ?? model.defaultMaxTokens,
      stopSequences: request.stop_sequences ?? [],
      tools,
      toolChoice: { type: tools.length ? "auto" : "none" },
      imageCount: 0,
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    };
  },

  renderResponse(generation: Generation, context: RenderContext) {
    return fullResponse(generation, context);
  },

  renderStream(generation: Generation, context: RenderContext): StreamChunk[] {
    const chunks: StreamChunk[] = [
      {
        outputTokens: 0,
        payload: {
          is_finished: false,
          event_type: "stream-start",
          generation_id: responseId(context.requestId, "generation"),
        },
      },
    ];
    for (const delta of splitIntoDeltas(generation.text)) {
      chunks.push({
        outputTokens: delta.tokens,
        payload: { is_finished: false, event_type: "text-generation", text: delta.text },
      });
    }
    if (generation.toolCalls.length) {
      chunks.push({
        outputTokens: 0,
        payload: {
          is_finished: false,
          event_type: "tool-calls-generation",
          tool_calls: generation.toolCalls.map(toolCallOf),
        },
      });
    }
    chunks.push({
      outputTokens: 0,
      final: true,
      payload: {
        is_finished: true,
        event_type: "stream-end",
        response: fullResponse(generation, context),
        finish_reason: finishReasonOf(generation),
        "amazon-bedrock-invocationMetrics": invocationMetricsPayload(context.metrics),
      },
    });
    return chunks;
  },
};

function fullResponse(generation: Generation, context: RenderContext) {
  const call = context.call;
  const history: { role: string; message: string }[] = [];
  for (const turn of call?.turns ?? []) {
    history.push({ role: turn.role === "assistant" ? "CHATBOT" : "USER", message: turn.text });
  }
  history.push({ role: "CHATBOT", message: generation.text });
  return {
    response_id: responseId(context.requestId, "response"),
    text: generation.text,
    generation_id: responseId(context.requestId, "generation"),
    chat_history: history,
    finish_reason: finishReasonOf(generation),
    ...(generation.toolCalls.length ? { tool_calls: generation.toolCalls.map(toolCallOf) } : {}),
    meta: {
      api_version: { version: "1" },
      billed_units: {
        input_tokens: generation.inputTokens,
        output_tokens: generation.outputTokens,
      },
    },
  };
}

function toolCallOf(call: ToolCall) {
  return { name: call.name, parameters: call.input };
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
