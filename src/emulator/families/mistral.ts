// Mistral AI on InvokeModel / InvokeModelWithResponseStream: the text-completion body for every
// Mistral model, and the chat-completion body that Mistral Large also takes.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-mistral-text-completion.html
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-mistral-chat-completion.html

import type { CatalogModel } from "../catalog/catalog-model.js";
import { awsErrors } from "../emulator-error.js";
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
import { splitIntoDeltas } from "./split-deltas.js";

const unit = { type: "number", minimum: 0, maximum: 1 };

function completionSchema(model: CatalogModel): object {
  return {
    type: "object",
    required: ["prompt"],
    additionalProperties: false,
    properties: {
      prompt: { type: "string" },
      max_tokens: { type: "integer", minimum: 1, maximum: model.maxOutputTokens },
      stop: { type: "array", maxItems: 10, items: { type: "string" } },
      temperature: unit,
      top_p: unit,
      top_k: { type: "integer", minimum: 1, maximum: 200 },
    },
  };
}

function chatSchema(model: CatalogModel): object {
  return {
    type: "object",
    required: ["messages"],
    additionalProperties: false,
    properties: {
      messages: {
        type: "array",
        minItems: 1,
        items: {
          type: "object",
          required: ["role"],
          additionalProperties: false,
          properties: {
            role: { enum: ["system", "user", "assistant", "tool"] },
            content: { type: ["string", "null"] },
            tool_calls: {
              type: "array",
              items: {
                type: "object",
                required: ["id", "function"],
                properties: {
                  id: { type: "string" },
                  type: { enum: ["function"] },
                  function: {
                    type: "object",
                    required: ["name", "arguments"],
                    properties: { name: { type: "string" }, arguments: { type: "string" } },
                  },
                },
              },
            },
            tool_call_id: { type: "string" },
            name: { type: "string" },
          },
        },
      },
      tools: {
        type: "array",
        items: {
          type: "object",
          required: ["type", "function"],
          additionalProperties: false,
          properties: {
            type: { enum: ["function"] },
            function: {
              type: "object",
              required: ["name"],
              properties: {
                name: { type: "string" },
                description: { type: "string" },
                parameters: { type: "object" },
              },
            },
          },
        },
      },
      tool_choice: { enum: ["auto", "any", "none"] },
      max_tokens: { type: "integer", minimum: 1, maximum: model.maxOutputTokens },
      top_p: unit,
      temperature: unit,
    },
  };
}

/** Whether the model also takes the chat-completion body (Mistral Large). */
function takesChat(model: CatalogModel): boolean {
  return model.modelId.includes("mistral-large");
}

/** A `[INST]` prompt taken apart into turns. */
export interface MistralPrompt {
  readonly turns: readonly { readonly role: "user" | "assistant"; readonly text: string }[];
}

/**
 * Reads Mistral's instruction format (`<s>[INST] question [/INST] answer</s>[INST] ...`) back
 * into turns: text inside `[INST]...[/INST]` is the user's, text after it the assistant's. A
 * prompt without `[INST]` is one user turn.
 */
export function parseMistralPrompt(prompt: string): MistralPrompt {
  const text = prompt.replace(/<\/?s>/g, "");
  if (!text.includes("[INST]")) return { turns: [{ role: "user", text: text.trim() }] };
  const turns: { role: "user" | "assistant"; text: string }[] = [];
  const preamble = text.slice(0, text.indexOf("[INST]")).trim();
  if (preamble) turns.push({ role: "user", text: preamble });
  for (const part of text.split("[INST]").slice(1)) {
    const close = part.indexOf("[/INST]");
    const user = (close >= 0 ? part.slice(0, close) : part).trim();
    turns.push({ role: "user", text: user });
    const answer = close >= 0 ? part.slice(close + "[/INST]".length).trim() : "";
    if (answer) turns.push({ role: "assistant", text: answer });
  }
  return { turns };
}

interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool";
  content?: string | null;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

interface ChatRequest {
  messages: ChatMessage[];
  tools?: {
    function: { name: string; description?: string; parameters?: unknown };
  }[];
  tool_choice?: "auto" | "any" | "none";
  max_tokens?: number;
  temperature?: number;
}

interface CompletionRequest {
  prompt: string;
  max_tokens?: number;
  stop?: string[];
  temperature?: number;
}

function parseCompletion(request: CompletionRequest, model: CatalogModel): TextCall {
  const parsed = parseMistralPrompt(request.prompt);
  const turns: Turn[] = parsed.turns.map((turn) => ({ ...turn, toolCalls: [], toolResults: [] }));
  return {
    kind: "text",
    system: "",
    turns,
    promptText: parsed.turns
      .map((turn) => turn.text)
      .filter(Boolean)
      .join("\n"),
    maxTokens: request.max_tokens ?? model.defaultMaxTokens,
    stopSequences: request.stop ?? [],
    tools: [],
    toolChoice: { type: "none" },
    imageCount: 0,
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
  };
}

function parseChat(request: ChatRequest, model: CatalogModel): TextCall {
  const texts: string[] = [];
  const systemParts: string[] = [];
  const turns: Turn[] = [];
  for (const message of request.messages) {
    const content = message.content ?? "";
    if (message.role === "system") {
      systemParts.push(content);
      texts.push(content);
    } else if (message.role === "tool") {
      turns.push({
        role: "user",
        text: "",
        toolCalls: [],
        toolResults: [{ toolUseId: message.tool_call_id ?? "", text: content }],
      });
      texts.push(content);
    } else {
      const toolCalls: ToolCall[] = (message.tool_calls ?? []).map((call) => ({
        id: call.id,
        name: call.function.name,
        input: parseArguments(call.function.arguments),
      }));
      for (const call of message.tool_calls ?? []) texts.push(call.function.arguments);
      turns.push({ role: message.role, text: content, toolCalls, toolResults: [] });
      texts.push(content);
    }
  }
  const tools: ToolSpec[] = (request.tools ?? []).map((tool) => ({
    name: tool.function.name,
    ...(tool.function.description !== undefined ? { description: tool.function.description } : {}),
    inputSchema: tool.function.parameters ?? { type: "object" },
  }));
  for (const tool of tools)
    texts.push(tool.name, tool.description ?? "", JSON.stringify(tool.inputSchema));
  const choice = request.tool_choice ?? (tools.length ? "auto" : "none");
  return {
    kind: "text",
    system: systemParts.join("\n"),
    turns,
    promptText: texts.filter(Boolean).join("\n"),
    maxTokens: request.max_tokens ?? model.defaultMaxTokens,
    stopSequences: [],
    bodyForm: "chat",
    tools,
    toolChoice: { type: tools.length ? choice : "none" },
    imageCount: 0,
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
  };
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw awsErrors.validation(
      `tool_calls: function arguments must be a JSON string, got ${JSON.stringify(text.slice(0, 40))}`,
    );
  }
}

/** Mistral's InvokeModel bodies: `prompt` (text completion) or `messages` (chat, Large only). */
export const mistral: TextDialect = {
  output: "text",

  parseRequest(body, model): TextCall {
    const isChat =
      takesChat(model) && body !== null && typeof body === "object" && "messages" in body;
    if (isChat) {
      cachedBodyCheck(`mistral-chat:${model.maxOutputTokens}`, () => chatSchema(model))(body);
      return parseChat(body as ChatRequest, model);
    }
    cachedBodyCheck(`mistral:${model.maxOutputTokens}`, () => completionSchema(model))(body);
    return parseCompletion(body as CompletionRequest, model);
  },

  renderResponse(generation: Generation, context: RenderContext) {
    if (!wasChat(context)) {
      return { outputs: [{ text: generation.text, stop_reason: stopReasonOf(generation) }] };
    }
    return {
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: generation.text,
            tool_calls: generation.toolCalls.length ? generation.toolCalls.map(toolCallOf) : null,
          },
          stop_reason: stopReasonOf(generation),
        },
      ],
    };
  },

  renderStream(generation: Generation, context: RenderContext): StreamChunk[] {
    const chat = wasChat(context);
    const chunks: StreamChunk[] = splitIntoDeltas(generation.text).map((delta) => ({
      outputTokens: delta.tokens,
      payload: chat
        ? choiceChunk({ role: "assistant", content: delta.text }, null)
        : { outputs: [{ text: delta.text, stop_reason: null }] },
    }));
    if (chat && generation.toolCalls.length) {
      chunks.push({
        outputTokens: generation.toolCalls.reduce(
          (sum, call) => sum + Math.max(1, Math.round(JSON.stringify(call.input).length / 4)),
          0,
        ),
        payload: choiceChunk(
          { role: "assistant", content: "", tool_calls: generation.toolCalls.map(toolCallOf) },
          null,
        ),
      });
    }
    const last = chat
      ? choiceChunk({ role: "assistant", content: "" }, stopReasonOf(generation))
      : { outputs: [{ text: "", stop_reason: stopReasonOf(generation) }] };
    chunks.push({
      outputTokens: 0,
      final: true,
      payload: {
        ...last,
        "amazon-bedrock-invocationMetrics": invocationMetricsPayload(context.metrics),
      },
    });
    return chunks;
  },
};

/** Whether the reply answers a chat-form request (the render context carries the call). */
function wasChat(context: RenderContext): boolean {
  return context.call?.bodyForm === "chat";
}

function choiceChunk(message: Record<string, unknown>, stopReason: string | null) {
  return { choices: [{ index: 0, message, stop_reason: stopReason }] };
}

function toolCallOf(call: ToolCall) {
  return {
    id: call.id,
    type: "function",
    function: { name: call.name, arguments: JSON.stringify(call.input) },
  };
}

function stopReasonOf(generation: Generation): "stop" | "length" | "tool_calls" {
  if (generation.stopReason === "max_tokens") return "length";
  if (generation.toolCalls.length) return "tool_calls";
  return "stop";
}
