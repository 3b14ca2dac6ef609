/**
 * Anthropic Claude on InvokeModel: the Messages API body.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html
 * Tools: https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-tool-use.html
 * Prompt caching: https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html
 */
import type {
  CachePointPart,
  ContentPart,
  StopReason,
  StreamParser,
  StreamPart,
  TextCodec,
  TextRequest,
  TextResult,
  ToolCall,
  Usage,
} from "../model-codec.js";
import {
  checkCommon,
  checkTools,
  compact,
  guardrailIntervened,
  inputError,
  invocationMetrics,
  parseArguments,
  partsOf,
  readChunk,
  readJson,
  responseError,
  stopReasonMapper,
  streamTruncated,
  systemPartsOf,
  toBase64,
  usageFrom,
} from "./codec-support.js";

const FAMILY = "anthropic-claude";
/** The only version Bedrock accepts. */
export const ANTHROPIC_VERSION = "bedrock-2023-05-31";
/** Beta flag the `effort` setting needs (Claude Opus 4.5). */
const EFFORT_BETA = "effort-2025-11-24";

const mapStopReason = stopReasonMapper({
  end_turn: "end_turn",
  max_tokens: "max_tokens",
  stop_sequence: "stop_sequence",
  tool_use: "tool_use",
  refusal: "content_filtered",
  // The context window ran out: a length stop like max_tokens.
  model_context_window_exceeded: "max_tokens",
  guardrail_intervened: "guardrail_intervened",
});

type Block = Record<string, unknown>;

function cacheControl(point: CachePointPart): Block {
  return point.ttl ? { type: "ephemeral", ttl: point.ttl } : { type: "ephemeral" };
}

/** Claude marks the end of a cached prefix on the block before it, so a point needs one. */
function attachCachePoint(blocks: Block[], point: CachePointPart, field: string): void {
  const last = blocks.at(-1);
  if (!last) throw inputError(field, "placed after a content block it can close", "cache-point");
  last.cache_control = cacheControl(point);
}

function documentBlock(part: Extract<ContentPart, { type: "document" }>, field: string): Block {
  if (part.format === "pdf")
    return {
      type: "document",
      source: { type: "base64", media_type: "application/pdf", data: toBase64(part.bytes) },
      title: part.name,
    };
  if (part.format === "txt" || part.format === "md")
    return {
      type: "document",
      source: {
        type: "text",
        media_type: "text/plain",
        data: new TextDecoder().decode(part.bytes),
      },
      title: part.name,
    };
  throw inputError(`${field}.format`, '"pdf", "txt" or "md" for Claude documents', part.format);
}

function contentBlocks(parts: readonly ContentPart[], field: string): Block[] {
  const blocks: Block[] = [];
  parts.forEach((part, index) => {
    const where = `${field}[${index}]`;
    switch (part.type) {
      case "text":
        blocks.push({ type: "text", text: part.text });
        break;
      case "image":
        blocks.push({
          type: "image",
          source: {
            type: "base64",
            media_type: `image/${part.format}`,
            data: toBase64(part.bytes),
          },
        });
        break;
      case "document":
        blocks.push(documentBlock(part, where));
        break;
      case "tool-call":
        blocks.push({
          type: "tool_use",
          id: part.toolCallId,
          name: part.toolName,
          input: part.input,
        });
        break;
      case "tool-result": {
        const content =
          typeof part.content === "string"
            ? part.content
            : part.content.type === "text"
              ? part.content.text
              : JSON.stringify(part.content.value);
        blocks.push(
          compact({
            type: "tool_result",
            tool_use_id: part.toolCallId,
            content,
            is_error: part.isError,
          }),
        );
        break;
      }
      case "reasoning":
        blocks.push(
          part.redactedData !== undefined
            ? { type: "redacted_thinking", data: part.redactedData }
            : compact({ type: "thinking", thinking: part.text, signature: part.signature }),
        );
        break;
      case "cache-point":
        attachCachePoint(blocks, part, where);
        break;
    }
  });
  return blocks;
}

function systemField(request: TextRequest): string | Block[] | undefined {
  const parts = systemPartsOf(request);
  if (parts.length === 0) return undefined;
  // A plain string unless a cache point needs blocks to hang on.
  if (parts.every((part) => part.type === "text"))
    return parts.map((part) => (part as { text: string }).text).join("\n");
  return contentBlocks(parts, "system");
}

function toolChoiceField(request: TextRequest): Block | undefined {
  const choice = request.toolChoice;
  if (!choice || !request.tools?.length) return undefined;
  return choice.type === "tool" ? { type: "tool", name: choice.name } : { type: choice.type };
}

function buildRequest(request: TextRequest, model: Parameters<TextCodec["buildRequest"]>[1]) {
  const maxTokens = checkCommon(request, model);
  checkTools(request);
  if (model.temperatureOrTopP && request.temperature !== undefined && request.topP !== undefined)
    throw inputError(
      "topP",
      `absent when temperature is set: ${model.baseModelId} takes one or the other`,
      request.topP,
    );
  const budget = request.reasoning?.budgetTokens;
  if (budget !== undefined) {
    if (!Number.isInteger(budget) || budget < 1024 || budget >= maxTokens)
      throw inputError(
        "reasoning.budgetTokens",
        `an integer from 1024 to maxTokens - 1 (${maxTokens - 1})`,
        budget,
      );
    // Extended thinking runs at temperature 1 and without top_k.
    if (request.temperature !== undefined && request.temperature !== 1)
      throw inputError("temperature", "unset (or 1) while reasoning is on", request.temperature);
    if (request.topK !== undefined)
      throw inputError("topK", "unset while reasoning is on", request.topK);
  }
  const effort = request.reasoning?.effort;
  const body: Record<string, unknown> = compact({
    anthropic_version: ANTHROPIC_VERSION,
    anthropic_beta: effort ? [EFFORT_BETA] : undefined,
    max_tokens: maxTokens,
    system: systemField(request),
    // A string stays a string, as the AWS examples send it; parts become blocks.
    messages: request.messages.map((message, index) => ({
      role: message.role,
      content:
        typeof message.content === "string"
          ? message.content
          : contentBlocks(partsOf(message), `messages[${index}].content`),
    })),
    temperature: request.temperature,
    top_p: request.topP,
    top_k: request.topK,
    stop_sequences: request.stopSequences?.length ? [...request.stopSequences] : undefined,
    tools: request.tools?.length
      ? request.tools.map((tool) =>
          compact({
            name: tool.name,
            description: tool.description,
            input_schema: tool.inputSchema,
          }),
        )
      : undefined,
    tool_choice: toolChoiceField(request),
    thinking: budget !== undefined ? { type: "enabled", budget_tokens: budget } : undefined,
    output_config: effort ? { effort } : undefined,
  });
  return mergeAdditional(body, request.additionalFields);
}

/** `additionalFields` win, except that beta flags from both sides are kept together. */
function mergeAdditional(
  body: Record<string, unknown>,
  additional: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  if (!additional) return body;
  const merged = { ...body, ...additional };
  const ours = body.anthropic_beta as string[] | undefined;
  const theirs = additional.anthropic_beta;
  if (ours && Array.isArray(theirs)) merged.anthropic_beta = [...new Set([...ours, ...theirs])];
  return merged;
}

interface ClaudeUsage {
  input_tokens?: number;
  output_tokens?: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

function claudeUsage(
  usage: ClaudeUsage | undefined,
  headers?: Parameters<typeof usageFrom>[1],
): Usage {
  return usageFrom(
    {
      inputTokens: usage?.input_tokens,
      outputTokens: usage?.output_tokens,
      cacheReadInputTokens: usage?.cache_read_input_tokens,
      cacheWriteInputTokens: usage?.cache_creation_input_tokens,
    },
    headers,
  );
}

function parseResponse(
  raw: unknown,
  headers?: Parameters<TextCodec["parseResponse"]>[1],
): TextResult {
  const body = readJson(raw, FAMILY);
  if (!Array.isArray(body.content)) throw responseError(FAMILY, "has no content array");
  const content: ContentPart[] = [];
  const toolCalls: ToolCall[] = [];
  const texts: string[] = [];
  const reasoning: string[] = [];
  for (const block of body.content as Block[]) {
    switch (block.type) {
      case "text":
        texts.push(String(block.text ?? ""));
        content.push({ type: "text", text: String(block.text ?? "") });
        break;
      case "tool_use": {
        const call = {
          toolCallId: String(block.id),
          toolName: String(block.name),
          input: block.input ?? {},
        };
        toolCalls.push(call);
        content.push({ type: "tool-call", ...call });
        break;
      }
      case "thinking":
        reasoning.push(String(block.thinking ?? ""));
        content.push(
          compact({
            type: "reasoning" as const,
            text: String(block.thinking ?? ""),
            signature: block.signature as string | undefined,
          }),
        );
        break;
      case "redacted_thinking":
        content.push({ type: "reasoning", text: "", redactedData: String(block.data ?? "") });
        break;
      // Server-side tool blocks and future types are not part of the neutral result.
    }
  }
  const rawStopReason = typeof body.stop_reason === "string" ? body.stop_reason : undefined;
  return {
    text: texts.join(""),
    toolCalls,
    ...(reasoning.length ? { reasoning: reasoning.join("") } : {}),
    content,
    stopReason: guardrailIntervened(body) ? "guardrail_intervened" : mapStopReason(rawStopReason),
    rawStopReason,
    usage: claudeUsage(body.usage as ClaudeUsage | undefined, headers),
  };
}

interface OpenBlock {
  readonly kind: "text" | "tool" | "thinking" | "other";
  readonly toolCallId?: string;
  readonly toolName?: string;
  json?: string;
}

/** Native Anthropic stream events, one per chunk, ending with `message_stop`. */
function createStreamParser(): StreamParser {
  const open = new Map<number, OpenBlock>();
  let lastEvent: string | undefined;
  let stopped = false;
  let rawStopReason: string | undefined;
  let startUsage: ClaudeUsage | undefined;
  let outputTokens: number | undefined;
  let metrics: Usage | undefined;
  return {
    parse(chunk) {
      const event = readChunk(chunk, FAMILY);
      lastEvent = String(event.type);
      const parts: StreamPart[] = [];
      const index = typeof event.index === "number" ? event.index : 0;
      const id = String(index);
      switch (event.type) {
        case "message_start":
          startUsage = (event.message as { usage?: ClaudeUsage } | undefined)?.usage;
          break;
        case "content_block_start": {
          const block = (event.content_block ?? {}) as Block;
          if (block.type === "text") {
            open.set(index, { kind: "text" });
            parts.push({ type: "text-start", id });
            if (typeof block.text === "string" && block.text !== "")
              parts.push({ type: "text-delta", id, delta: block.text });
          } else if (block.type === "tool_use") {
            const tool = {
              kind: "tool" as const,
              toolCallId: String(block.id),
              toolName: String(block.name),
              json: "",
            };
            open.set(index, tool);
            parts.push({
              type: "tool-use-start",
              id,
              toolCallId: tool.toolCallId,
              toolName: tool.toolName,
            });
          } else if (block.type === "thinking") {
            open.set(index, { kind: "thinking" });
          } else {
            open.set(index, { kind: "other" });
          }
          break;
        }
        case "content_block_delta": {
          const delta = (event.delta ?? {}) as Block;
          const block = open.get(index);
          if (delta.type === "text_delta")
            parts.push({ type: "text-delta", id, delta: String(delta.text ?? "") });
          else if (delta.type === "input_json_delta" && block?.kind === "tool") {
            const piece = String(delta.partial_json ?? "");
            block.json = (block.json ?? "") + piece;
            parts.push({ type: "tool-use-delta", id, delta: piece });
          } else if (delta.type === "thinking_delta")
            parts.push({ type: "reasoning-delta", id, delta: String(delta.thinking ?? "") });
          else if (delta.type === "signature_delta")
            parts.push({
              type: "reasoning-delta",
              id,
              delta: "",
              signature: String(delta.signature ?? ""),
            });
          break;
        }
        case "content_block_stop": {
          const block = open.get(index);
          open.delete(index);
          if (block?.kind === "text") parts.push({ type: "text-end", id });
          else if (block?.kind === "tool")
            parts.push({
              type: "tool-use-end",
              id,
              toolCallId: block.toolCallId!,
              toolName: block.toolName!,
              input: parseArguments(block.json ?? ""),
            });
          break;
        }
        case "message_delta": {
          const delta = (event.delta ?? {}) as Block;
          if (typeof delta.stop_reason === "string") rawStopReason = delta.stop_reason;
          const usage = event.usage as ClaudeUsage | undefined;
          if (typeof usage?.output_tokens === "number") outputTokens = usage.output_tokens;
          break;
        }
        case "message_stop":
          stopped = true;
          break;
      }
      metrics = invocationMetrics(event) ?? metrics;
      return parts;
    },
    finish() {
      if (!stopped) throw streamTruncated(FAMILY, lastEvent);
      const usage =
        metrics ??
        claudeUsage({ ...startUsage, output_tokens: outputTokens ?? startUsage?.output_tokens });
      const stopReason: StopReason = mapStopReason(rawStopReason);
      return [{ type: "finish", stopReason, rawStopReason, usage }];
    },
  };
}

/** The Claude Messages codec. */
export const anthropicClaudeCodec: TextCodec = {
  family: FAMILY,
  buildRequest,
  parseResponse,
  createStreamParser,
};
