// Anthropic Claude Messages API on InvokeModel / InvokeModelWithResponseStream.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html

import type { CatalogModel } from "../catalog/catalog-model.js";
import { awsErrors } from "../emulator-error.js";
import { IMAGE_INPUT_TOKENS } from "../operations/model-invocation.js";
import { CachePrefix, ttlOf } from "../state/cache-prefix.js";
import { countTokens } from "../state/count-tokens.js";
import type { CacheCheckpoint } from "../state/prompt-cache.js";
import { compileBodySchema } from "./body-schema.js";
import { invocationMetricsPayload } from "./invocation-metrics-payload.js";
import type {
  Generation,
  InvocationMetrics,
  RenderContext,
  StopReason,
  StreamChunk,
  TextCall,
  TextDialect,
  ToolSpec,
  Turn,
} from "./invocation-types.js";
import { splitIntoDeltas } from "./split-deltas.js";

const contentBlock = {
  type: "object",
  required: ["type"],
  properties: {
    type: {
      enum: [
        "text",
        "image",
        "document",
        "tool_use",
        "tool_result",
        "thinking",
        "redacted_thinking",
      ],
    },
  },
};

const checkBody = compileBodySchema({
  type: "object",
  required: ["anthropic_version", "max_tokens", "messages"],
  additionalProperties: false,
  properties: {
    anthropic_version: { type: "string", enum: ["bedrock-2023-05-31"] },
    anthropic_beta: { type: "array", items: { type: "string" } },
    max_tokens: { type: "integer", minimum: 1 },
    system: {
      anyOf: [{ type: "string" }, { type: "array", items: contentBlock }],
    },
    messages: {
      type: "array",
      items: {
        type: "object",
        required: ["role", "content"],
        additionalProperties: false,
        properties: {
          role: { enum: ["user", "assistant"] },
          content: { anyOf: [{ type: "string" }, { type: "array", items: contentBlock }] },
        },
      },
    },
    temperature: { type: "number", minimum: 0, maximum: 1 },
    top_p: { type: "number", minimum: 0, maximum: 1 },
    top_k: { type: "integer", minimum: 0 },
    stop_sequences: { type: "array", items: { type: "string" } },
    tools: {
      type: "array",
      items: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
    },
    tool_choice: {
      type: "object",
      required: ["type"],
      properties: { type: { enum: ["auto", "any", "tool", "none"] }, name: { type: "string" } },
    },
    thinking: { type: "object" },
    metadata: { type: "object" },
    output_config: { type: "object" },
  },
});

interface AnthropicBlock {
  type: string;
  text?: string;
  cache_control?: unknown;
  id?: string;
  name?: string;
  input?: unknown;
  tool_use_id?: string;
  content?: unknown;
}

function blocksOf(content: unknown): AnthropicBlock[] {
  return typeof content === "string"
    ? [{ type: "text", text: content }]
    : (content as AnthropicBlock[]);
}

function textOfToolResult(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content))
    return content.map((block: AnthropicBlock) => block.text ?? "").join("\n");
  return "";
}

/** The short model name Anthropic reports, e.g. `claude-3-haiku-20240307`. */
function reportedModelName(model: CatalogModel): string {
  return model.modelId.replace(/^anthropic\./, "").replace(/-v\d+:\d+$/, "");
}

const STOP_REASONS: Record<StopReason, string> = {
  end_turn: "end_turn",
  tool_use: "tool_use",
  max_tokens: "max_tokens",
  stop_sequence: "stop_sequence",
  guardrail_intervened: "end_turn",
  content_filtered: "refusal",
};

export const anthropicMessages: TextDialect = {
  output: "text",

  parseRequest(body, model): TextCall {
    checkBody(body);
    const request = body as {
      max_tokens: number;
      system?: string | AnthropicBlock[];
      messages: { role: "user" | "assistant"; content: string | AnthropicBlock[] }[];
      temperature?: number;
      stop_sequences?: string[];
      tools?: { name: string; description?: string; input_schema?: unknown }[];
      tool_choice?: { type: "auto" | "any" | "tool" | "none"; name?: string };
    };
    if (request.max_tokens > model.maxOutputTokens) {
      throw awsErrors.validation(
        `max_tokens: ${request.max_tokens} > ${model.maxOutputTokens}, which is the maximum allowed number of output tokens for ${reportedModelName(model)}`,
      );
    }
    if (request.messages.length === 0)
      throw awsErrors.validation("messages: at least one message is required");

    let imageCount = 0;
    const texts: string[] = [];
    const system =
      typeof request.system === "string"
        ? request.system
        : (request.system ?? []).map((block) => block.text ?? "").join("\n");
    if (system) texts.push(system);
    const turns: Turn[] = request.messages.map((message) => {
      const blocks = blocksOf(message.content);
      // Text blocks join with a newline, except after a block that closes a cached prefix: a
      // cache point marks a place in the prompt and adds no text.
      const text: string[] = [];
      const toolCalls: { id: string; name: string; input: unknown }[] = [];
      const toolResults: { toolUseId: string; text: string }[] = [];
      let afterCachePoint = false;
      for (const block of blocks) {
        if (block.type === "text" && typeof block.text === "string") {
          if (afterCachePoint && text.length > 0) text[text.length - 1] += block.text;
          else text.push(block.text);
        } else if (block.type === "image" || block.type === "document") imageCount++;
        else if (block.type === "tool_use") {
          toolCalls.push({
            id: String(block.id),
            name: String(block.name),
            input: block.input ?? {},
          });
          texts.push(JSON.stringify(block.input ?? {}));
        } else if (block.type === "tool_result") {
          const resultText = textOfToolResult(block.content);
          toolResults.push({ toolUseId: String(block.tool_use_id), text: resultText });
          texts.push(resultText);
        }
        afterCachePoint = block.cache_control != null;
      }
      texts.push(...text);
      return { role: message.role, text: text.join("\n"), toolCalls, toolResults };
    });
    const tools: ToolSpec[] = (request.tools ?? []).map((tool) => ({
      name: tool.name,
      ...(tool.description !== undefined ? { description: tool.description } : {}),
      inputSchema: tool.input_schema ?? { type: "object" },
    }));
    for (const tool of tools)
      texts.push(tool.name, tool.description ?? "", JSON.stringify(tool.inputSchema));
    const cachePoints = cachePointsOf(request);

    return {
      kind: "text",
      system,
      turns,
      promptText: texts.join("\n"),
      maxTokens: request.max_tokens,
      stopSequences: request.stop_sequences ?? [],
      tools,
      toolChoice: request.tool_choice ?? { type: tools.length ? "auto" : "none" },
      imageCount,
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(cachePoints ? { cachePoints } : {}),
    };
  },

  renderResponse(generation: Generation, context: RenderContext) {
    const content: unknown[] = [];
    if (generation.text || generation.toolCalls.length === 0)
      content.push({ type: "text", text: generation.text });
    for (const call of generation.toolCalls) {
      content.push({ type: "tool_use", id: call.id, name: call.name, input: call.input });
    }
    return {
      id: messageId(context.requestId),
      type: "message",
      role: "assistant",
      model: reportedModelName(context.model),
      content,
      stop_reason: STOP_REASONS[generation.stopReason],
      stop_sequence: generation.stopSequence ?? null,
      usage: claudeUsage(context.metrics, generation.outputTokens),
    };
  },

  renderStream(generation: Generation, context: RenderContext): StreamChunk[] {
    const chunks: StreamChunk[] = [
      {
        outputTokens: 0,
        payload: {
          type: "message_start",
          message: {
            id: messageId(context.requestId),
            type: "message",
            role: "assistant",
            model: reportedModelName(context.model),
            content: [],
            stop_reason: null,
            stop_sequence: null,
            usage: claudeUsage(context.metrics, 1),
          },
        },
      },
    ];
    let index = 0;
    if (generation.text || generation.toolCalls.length === 0) {
      chunks.push({
        outputTokens: 0,
        payload: { type: "content_block_start", index, content_block: { type: "text", text: "" } },
      });
      for (const delta of splitIntoDeltas(generation.text)) {
        chunks.push({
          outputTokens: delta.tokens,
          payload: {
            type: "content_block_delta",
            index,
            delta: { type: "text_delta", text: delta.text },
          },
        });
      }
      chunks.push({ outputTokens: 0, payload: { type: "content_block_stop", index } });
      index++;
    }
    for (const call of generation.toolCalls) {
      chunks.push({
        outputTokens: 0,
        payload: {
          type: "content_block_start",
          index,
          content_block: { type: "tool_use", id: call.id, name: call.name, input: {} },
        },
      });
      const json = JSON.stringify(call.input);
      const step = Math.max(8, Math.ceil(json.length / 4));
      for (let at = 0; at < json.length; at += step) {
        const part = json.slice(at, at + step);
        chunks.push({
          outputTokens: Math.max(1, Math.round(part.length / 4)),
          payload: {
            type: "content_block_delta",
            index,
            delta: { type: "input_json_delta", partial_json: part },
          },
        });
      }
      chunks.push({ outputTokens: 0, payload: { type: "content_block_stop", index } });
      index++;
    }
    chunks.push({
      outputTokens: 0,
      final: true,
      payload: {
        type: "message_delta",
        delta: {
          stop_reason: STOP_REASONS[generation.stopReason],
          stop_sequence: generation.stopSequence ?? null,
        },
        usage: { output_tokens: generation.outputTokens },
      },
    });
    chunks.push({
      outputTokens: 0,
      final: true,
      payload: {
        type: "message_stop",
        "amazon-bedrock-invocationMetrics": invocationMetricsPayload(context.metrics),
      },
    });
    return chunks;
  },
};

/**
 * Claude's `usage`: `input_tokens` is the input not read from nor written to the cache; models
 * that cache add `cache_creation_input_tokens` and `cache_read_input_tokens`, as the AWS
 * example bodies show them.
 */
function claudeUsage(metrics: InvocationMetrics, outputTokens: number) {
  return {
    input_tokens: metrics.inputTokens,
    ...(metrics.cache
      ? {
          cache_creation_input_tokens: metrics.cache.writeTokens,
          cache_read_input_tokens: metrics.cache.readTokens,
        }
      : {}),
    output_tokens: outputTokens,
  };
}

type CacheBlock = AnthropicBlock | { name: string; cache_control?: unknown };

/** A block as fingerprinted: without its `cache_control`, which marks the prefix, not part of it. */
function withoutMarker(block: CacheBlock): unknown {
  const { cache_control: _marker, ...rest } = block;
  return rest;
}

/**
 * The request's cache checkpoints (a `cache_control` closes the prefix at the end of its block),
 * measured in cache order — tools, system, messages — and counted as `parseRequest` counts the
 * input; undefined when no block carries one.
 */
function cachePointsOf(request: {
  system?: string | AnthropicBlock[];
  messages: { content: string | AnthropicBlock[] }[];
  tools?: { name: string; description?: string; input_schema?: unknown; cache_control?: unknown }[];
}): readonly CacheCheckpoint[] | undefined {
  const tools = request.tools ?? [];
  const system = typeof request.system === "string" ? [] : (request.system ?? []);
  const marked =
    tools.some((tool) => tool.cache_control != null) ||
    system.some((block) => block.cache_control != null) ||
    request.messages.some(
      (message) =>
        typeof message.content !== "string" &&
        message.content.some((block) => block.cache_control != null),
    );
  if (!marked) return undefined;
  const prefix = new CachePrefix();
  prefix.field("tools");
  for (const tool of tools) {
    prefix.add(
      withoutMarker(tool),
      countTokens(tool.name) +
        countTokens(tool.description ?? "") +
        countTokens(JSON.stringify(tool.input_schema ?? { type: "object" })),
    );
    if (tool.cache_control != null) prefix.mark("tools", ttlOf(tool.cache_control));
  }
  prefix.field("system");
  if (typeof request.system === "string") prefix.text(request.system, request.system);
  for (const block of system) {
    prefix.text(withoutMarker(block), block.text ?? "");
    if (block.cache_control != null) prefix.mark("system", ttlOf(block.cache_control));
  }
  prefix.field("messages");
  for (const message of request.messages as {
    role?: string;
    content: string | AnthropicBlock[];
  }[]) {
    prefix.add(message.role ?? "", 0);
    for (const block of blocksOf(message.content)) {
      const part = withoutMarker(block);
      if (block.type === "text" && typeof block.text === "string") prefix.text(part, block.text);
      else if (block.type === "image" || block.type === "document")
        prefix.add(part, IMAGE_INPUT_TOKENS);
      else if (block.type === "tool_use") prefix.text(part, JSON.stringify(block.input ?? {}));
      else if (block.type === "tool_result") prefix.text(part, textOfToolResult(block.content));
      else prefix.add(part, 0);
      if (block.cache_control != null) prefix.mark("messages", ttlOf(block.cache_control));
    }
  }
  return prefix.checkpoints();
}

function messageId(requestId: string): string {
  return `msg_bdrk_${requestId.replace(/-/g, "").slice(-24)}`;
}
