/**
 * Mistral chat completion on InvokeModel (Mistral Large 24.02/24.07): OpenAI-like messages and
 * function tools.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-mistral-chat-completion.html
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-mistral-large-2407.html
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
  refuseParts,
  responseError,
  stopReasonMapper,
  streamTruncated,
  systemTextOf,
  textOf,
  usageFrom,
  withAdditionalFields,
} from "./codec-support.js";

const FAMILY = "mistral-chat";
const PARTS = new Set(["text", "tool-call", "tool-result"] as const);

const mapStopReason = stopReasonMapper({
  stop: "end_turn",
  length: "max_tokens",
  model_length: "max_tokens",
  tool_calls: "tool_use",
});

type Wire = Record<string, unknown>;

function toolResultText(part: Extract<ContentPart, { type: "tool-result" }>): string {
  if (typeof part.content === "string") return part.content;
  return part.content.type === "text" ? part.content.text : JSON.stringify(part.content.value);
}

function wireMessages(request: TextRequest): Wire[] {
  const out: Wire[] = [];
  const system = systemTextOf(request);
  if (system !== undefined) out.push({ role: "system", content: system });
  for (const message of request.messages) {
    const parts = partsOf(message);
    const results = parts.filter((part) => part.type === "tool-result");
    const calls = parts.filter((part) => part.type === "tool-call");
    const text = textOf(parts);
    // Each tool result is its own `tool` message, answering a call by id.
    for (const result of results)
      out.push({ role: "tool", tool_call_id: result.toolCallId, content: toolResultText(result) });
    if (message.role === "assistant" && calls.length)
      out.push({
        role: "assistant",
        content: text,
        tool_calls: calls.map((call) => ({
          id: call.toolCallId,
          function: { name: call.toolName, arguments: JSON.stringify(call.input ?? {}) },
        })),
      });
    else if (text !== "" || results.length === 0) out.push({ role: message.role, content: text });
  }
  return out;
}

function toolChoice(request: TextRequest): string | undefined {
  const choice = request.toolChoice;
  if (!choice || !request.tools?.length) return undefined;
  if (choice.type === "tool")
    throw inputError(
      "toolChoice",
      '"auto", "any" or "none" (Mistral cannot force one tool)',
      choice.name,
    );
  return choice.type;
}

function buildRequest(request: TextRequest, model: CodecModel): Record<string, unknown> {
  const maxTokens = checkCommon(request, model);
  checkTools(request);
  refuseParts(request, PARTS, FAMILY);
  if (request.topK !== undefined)
    throw inputError("topK", "absent: the Mistral chat body has no top_k", request.topK);
  const body = compact({
    messages: wireMessages(request),
    tools: request.tools?.length
      ? request.tools.map((tool) => ({
          type: "function",
          function: compact({
            name: tool.name,
            description: tool.description,
            parameters: tool.inputSchema,
          }),
        }))
      : undefined,
    tool_choice: toolChoice(request),
    max_tokens: maxTokens,
    top_p: request.topP,
    temperature: request.temperature,
    stop: request.stopSequences?.length ? [...request.stopSequences] : undefined,
  });
  return withAdditionalFields(body, request.additionalFields);
}

interface WireToolCall {
  id?: string;
  function?: { name?: string; arguments?: string | object };
}

function toolCallOf(call: WireToolCall, index: number): ToolCall {
  const args = call.function?.arguments;
  return {
    toolCallId: call.id ?? `call-${index}`,
    toolName: String(call.function?.name),
    input: typeof args === "string" ? parseArguments(args) : (args ?? {}),
  };
}

function parseResponse(
  raw: unknown,
  headers?: Parameters<TextCodec["parseResponse"]>[1],
): TextResult {
  const body = readJson(raw, FAMILY);
  const choice = (
    body.choices as { message?: Wire; stop_reason?: string; finish_reason?: string }[] | undefined
  )?.[0];
  if (!choice?.message) throw responseError(FAMILY, "has no choices[0].message");
  const text = typeof choice.message.content === "string" ? choice.message.content : "";
  const toolCalls = ((choice.message.tool_calls as WireToolCall[] | undefined) ?? []).map(
    toolCallOf,
  );
  const rawStopReason = choice.stop_reason ?? choice.finish_reason ?? undefined;
  return {
    text,
    toolCalls,
    content: [
      ...(text !== "" ? [{ type: "text" as const, text }] : []),
      ...toolCalls.map((call) => ({ type: "tool-call" as const, ...call })),
    ],
    stopReason: guardrailIntervened(body) ? "guardrail_intervened" : mapStopReason(rawStopReason),
    rawStopReason,
    usage: usageFrom({}, headers),
  };
}

/** Chunks carry `choices[0].message` pieces; the last one a stop reason and the metrics. */
function createStreamParser(): StreamParser {
  let lastEvent: string | undefined;
  let chunks = 0;
  let started = false;
  let toolIndex = 0;
  let rawStopReason: string | undefined;
  let metrics: Usage | undefined;
  return {
    parse(chunk) {
      const event = readChunk(chunk, FAMILY);
      lastEvent = `chunk ${++chunks}`;
      const parts: StreamPart[] = [];
      const choice = (
        event.choices as { message?: Wire; delta?: Wire; stop_reason?: string | null }[] | undefined
      )?.[0];
      const message = choice?.message ?? choice?.delta;
      if (typeof message?.content === "string" && message.content !== "") {
        if (!started) parts.push({ type: "text-start", id: "text" });
        started = true;
        parts.push({ type: "text-delta", id: "text", delta: message.content });
      }
      for (const wire of (message?.tool_calls as WireToolCall[] | undefined) ?? []) {
        // Tool calls arrive whole; give them the start/delta/end shape of every stream.
        const call = toolCallOf(wire, toolIndex);
        const id = `tool-${toolIndex++}`;
        const args =
          typeof wire.function?.arguments === "string"
            ? wire.function.arguments
            : JSON.stringify(call.input);
        parts.push(
          { type: "tool-use-start", id, toolCallId: call.toolCallId, toolName: call.toolName },
          { type: "tool-use-delta", id, delta: args },
          { type: "tool-use-end", id, ...call },
        );
      }
      if (typeof choice?.stop_reason === "string" && rawStopReason === undefined) {
        rawStopReason = choice.stop_reason;
        if (started) parts.push({ type: "text-end", id: "text" });
      }
      metrics = invocationMetrics(event) ?? metrics;
      return parts;
    },
    finish() {
      if (rawStopReason === undefined) throw streamTruncated(FAMILY, lastEvent);
      return [
        {
          type: "finish",
          stopReason: mapStopReason(rawStopReason),
          rawStopReason,
          usage: metrics ?? { inputTokens: 0, outputTokens: 0 },
        },
      ];
    },
  };
}

/** Mistral Large in the chat-completion form (tools included). */
export const mistralChatCodec: TextCodec = {
  family: FAMILY,
  buildRequest,
  parseResponse,
  createStreamParser,
};
