/**
 * Amazon Nova understanding models on InvokeModel: the Converse-shaped body with base64 bytes.
 * https://docs.aws.amazon.com/nova/latest/userguide/complete-request-schema.html
 * https://docs.aws.amazon.com/nova/latest/nova2-userguide/request-response-schema.html
 * Streaming: https://docs.aws.amazon.com/nova/latest/nova2-userguide/streaming-responses.html
 */
import type {
  CodecModel,
  ContentPart,
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
  withAdditionalFields,
} from "./codec-support.js";

const FAMILY = "amazon-nova";

const mapStopReason = stopReasonMapper({
  end_turn: "end_turn",
  max_tokens: "max_tokens",
  stop_sequence: "stop_sequence",
  tool_use: "tool_use",
  content_filtered: "content_filtered",
  guardrail_intervened: "guardrail_intervened",
  model_context_window_exceeded: "max_tokens",
});

type Block = Record<string, unknown>;

function contentBlock(part: ContentPart, field: string): Block {
  switch (part.type) {
    case "text":
      return { text: part.text };
    case "image":
      return { image: { format: part.format, source: { bytes: toBase64(part.bytes) } } };
    case "document":
      return {
        document: { format: part.format, name: part.name, source: { bytes: toBase64(part.bytes) } },
      };
    case "tool-call":
      return { toolUse: { toolUseId: part.toolCallId, name: part.toolName, input: part.input } };
    case "tool-result": {
      const content =
        typeof part.content === "string"
          ? [{ text: part.content }]
          : part.content.type === "text"
            ? [{ text: part.content.text }]
            : [{ json: part.content.value }];
      return {
        toolResult: compact({
          toolUseId: part.toolCallId,
          content,
          status: part.isError ? "error" : undefined,
        }),
      };
    }
    case "cache-point":
      return { cachePoint: { type: "default" } };
    case "reasoning":
      if (part.redactedData !== undefined)
        throw inputError(
          field,
          "a reasoning part with text (Nova has no redacted reasoning)",
          part,
        );
      return {
        reasoningContent: {
          reasoningText: compact({ text: part.text, signature: part.signature }),
        },
      };
  }
}

function toolConfig(request: TextRequest): Block | undefined {
  if (!request.tools?.length) return undefined;
  const choice = request.toolChoice;
  if (choice?.type === "none")
    throw inputError("toolChoice", '"auto", "any" or a tool: Nova has no "none"', "none");
  return compact({
    tools: request.tools.map((tool) => ({
      toolSpec: compact({
        name: tool.name,
        description: tool.description,
        inputSchema: { json: tool.inputSchema },
      }),
    })),
    toolChoice:
      choice === undefined
        ? undefined
        : choice.type === "tool"
          ? { tool: { name: choice.name } }
          : { [choice.type]: {} },
  });
}

/** Nova 1 bodies carry a schema version; Nova 2 bodies do not. */
export interface NovaCodecOptions {
  /** @default undefined (not sent) */
  readonly schemaVersion?: "messages-v1";
}

function createBuildRequest(options: NovaCodecOptions) {
  return (request: TextRequest, model: CodecModel): Record<string, unknown> => {
    const maxTokens = checkCommon(request, model);
    checkTools(request);
    if (request.reasoning?.budgetTokens !== undefined)
      throw inputError(
        "reasoning.budgetTokens",
        "absent: Nova takes reasoning.effort (low, medium or high)",
        request.reasoning.budgetTokens,
      );
    const effort = request.reasoning?.effort;
    const system = systemPartsOf(request).map((part, index) =>
      contentBlock(part, `system[${index}]`),
    );
    const body = compact({
      schemaVersion: options.schemaVersion,
      system: system.length ? system : undefined,
      messages: request.messages.map((message, index) => ({
        role: message.role,
        content: partsOf(message).map((part, partIndex) =>
          contentBlock(part, `messages[${index}].content[${partIndex}]`),
        ),
      })),
      inferenceConfig: compact({
        maxTokens,
        temperature: request.temperature,
        topP: request.topP,
        topK: request.topK,
        stopSequences: request.stopSequences?.length ? [...request.stopSequences] : undefined,
        reasoningConfig: effort ? { type: "enabled", maxReasoningEffort: effort } : undefined,
      }),
      toolConfig: toolConfig(request),
    });
    return withAdditionalFields(body, request.additionalFields);
  };
}

interface NovaUsage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadInputTokenCount?: number;
  cacheWriteInputTokenCount?: number;
  // Converse spells the cache counters this way; accept both.
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

function novaUsage(usage: NovaUsage | undefined, headers?: Parameters<typeof usageFrom>[1]): Usage {
  return usageFrom(
    {
      inputTokens: usage?.inputTokens,
      outputTokens: usage?.outputTokens,
      cacheReadInputTokens: usage?.cacheReadInputTokenCount ?? usage?.cacheReadInputTokens,
      cacheWriteInputTokens: usage?.cacheWriteInputTokenCount ?? usage?.cacheWriteInputTokens,
    },
    headers,
  );
}

function parseResponse(
  raw: unknown,
  headers?: Parameters<TextCodec["parseResponse"]>[1],
): TextResult {
  const body = readJson(raw, FAMILY);
  const message = (body.output as { message?: { content?: unknown } } | undefined)?.message;
  if (!Array.isArray(message?.content))
    throw responseError(FAMILY, "has no output.message.content");
  const content: ContentPart[] = [];
  const toolCalls: ToolCall[] = [];
  const texts: string[] = [];
  const reasoning: string[] = [];
  for (const block of message.content as Block[]) {
    if (typeof block.text === "string") {
      texts.push(block.text);
      content.push({ type: "text", text: block.text });
    } else if (block.toolUse) {
      const use = block.toolUse as { toolUseId?: string; name?: string; input?: unknown };
      const call = {
        toolCallId: String(use.toolUseId),
        toolName: String(use.name),
        input: use.input ?? {},
      };
      toolCalls.push(call);
      content.push({ type: "tool-call", ...call });
    } else if (block.reasoningContent) {
      const text = (
        block.reasoningContent as { reasoningText?: { text?: string; signature?: string } }
      ).reasoningText;
      reasoning.push(text?.text ?? "");
      content.push(
        compact({ type: "reasoning" as const, text: text?.text ?? "", signature: text?.signature }),
      );
    }
  }
  const rawStopReason = typeof body.stopReason === "string" ? body.stopReason : undefined;
  return {
    text: texts.join(""),
    toolCalls,
    ...(reasoning.length ? { reasoning: reasoning.join("") } : {}),
    content,
    stopReason: guardrailIntervened(body) ? "guardrail_intervened" : mapStopReason(rawStopReason),
    rawStopReason,
    usage: novaUsage(body.usage as NovaUsage | undefined, headers),
  };
}

interface OpenBlock {
  readonly kind: "text" | "tool" | "reasoning";
  readonly toolCallId?: string;
  readonly toolName?: string;
  json?: string;
}

/** Converse-style events, one per chunk; usage may come after `messageStop` in `metadata`. */
function createStreamParser(): StreamParser {
  const open = new Map<number, OpenBlock>();
  let lastEvent: string | undefined;
  let rawStopReason: string | undefined;
  let stopped = false;
  let usage: Usage | undefined;
  let metrics: Usage | undefined;
  const close = (index: number, parts: StreamPart[]) => {
    const block = open.get(index);
    open.delete(index);
    const id = String(index);
    if (block?.kind === "text") parts.push({ type: "text-end", id });
    else if (block?.kind === "tool")
      parts.push({
        type: "tool-use-end",
        id,
        toolCallId: block.toolCallId!,
        toolName: block.toolName!,
        input: parseArguments(block.json ?? ""),
      });
  };
  return {
    parse(chunk) {
      const event = readChunk(chunk, FAMILY);
      lastEvent = Object.keys(event).find((key) => !key.startsWith("amazon-bedrock-"));
      const parts: StreamPart[] = [];
      if (event.contentBlockStart) {
        const start = event.contentBlockStart as {
          contentBlockIndex?: number;
          start?: { toolUse?: { toolUseId?: string; name?: string } };
        };
        const index = start.contentBlockIndex ?? 0;
        const toolUse = start.start?.toolUse;
        if (toolUse) {
          const block = {
            kind: "tool" as const,
            toolCallId: String(toolUse.toolUseId),
            toolName: String(toolUse.name),
            json: "",
          };
          open.set(index, block);
          parts.push({
            type: "tool-use-start",
            id: String(index),
            toolCallId: block.toolCallId,
            toolName: block.toolName,
          });
        }
      }
      if (event.contentBlockDelta) {
        const delta = event.contentBlockDelta as {
          contentBlockIndex?: number;
          delta?: {
            text?: string;
            toolUse?: { input?: string };
            reasoningContent?: { text?: string };
          };
        };
        const index = delta.contentBlockIndex ?? 0;
        const id = String(index);
        if (typeof delta.delta?.text === "string") {
          // Text blocks get no start event: the first delta opens them.
          if (!open.has(index)) {
            open.set(index, { kind: "text" });
            parts.push({ type: "text-start", id });
          }
          parts.push({ type: "text-delta", id, delta: delta.delta.text });
        } else if (delta.delta?.toolUse) {
          const block = open.get(index);
          const piece = delta.delta.toolUse.input ?? "";
          if (block?.kind === "tool") block.json = (block.json ?? "") + piece;
          parts.push({ type: "tool-use-delta", id, delta: piece });
        } else if (delta.delta?.reasoningContent) {
          if (!open.has(index)) open.set(index, { kind: "reasoning" });
          parts.push({
            type: "reasoning-delta",
            id,
            delta: delta.delta.reasoningContent.text ?? "",
          });
        }
      }
      if (event.contentBlockStop) {
        close(
          (event.contentBlockStop as { contentBlockIndex?: number }).contentBlockIndex ?? 0,
          parts,
        );
      }
      if (event.messageStop) {
        stopped = true;
        const stopReason = (event.messageStop as { stopReason?: string }).stopReason;
        if (typeof stopReason === "string") rawStopReason = stopReason;
        for (const index of [...open.keys()]) close(index, parts);
      }
      if (event.metadata) usage = novaUsage((event.metadata as { usage?: NovaUsage }).usage);
      metrics = invocationMetrics(event) ?? metrics;
      return parts;
    },
    finish() {
      if (!stopped) throw streamTruncated(FAMILY, lastEvent);
      return [
        {
          type: "finish",
          stopReason: mapStopReason(rawStopReason),
          rawStopReason,
          usage: usage ?? metrics ?? { inputTokens: 0, outputTokens: 0 },
        },
      ];
    },
  };
}

/** A Nova codec; Nova 1 models send `schemaVersion: "messages-v1"`. */
export function createAmazonNovaCodec(options: NovaCodecOptions = {}): TextCodec {
  return {
    family: FAMILY,
    buildRequest: createBuildRequest(options),
    parseResponse,
    createStreamParser,
  };
}

/** Nova Micro, Lite, Pro, Premier. */
export const amazonNovaCodec: TextCodec = createAmazonNovaCodec({ schemaVersion: "messages-v1" });
/** Nova 2 models (no schema version; reasoning configuration). */
export const amazonNova2Codec: TextCodec = createAmazonNovaCodec();
