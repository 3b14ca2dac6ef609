/**
 * Cohere Command R and R+ on InvokeModel: Cohere's chat body (message, chat_history, tools).
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-cohere-command-r-plus.html
 * Stream events: https://docs.cohere.com/v1/reference/chat-stream
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
  ToolDefinition,
  Usage,
} from "../model-codec.js";
import {
  checkCommon,
  checkTools,
  compact,
  guardrailIntervened,
  inputError,
  invocationMetrics,
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

const FAMILY = "cohere-command-r";
const PARTS = new Set(["text", "tool-call", "tool-result"] as const);

// Cohere sends these upper-case; the AWS page lists them lower-case. Both are read.
const mapUpper = stopReasonMapper({
  COMPLETE: "end_turn",
  MAX_TOKENS: "max_tokens",
  ERROR_TOXIC: "content_filtered",
  ERROR_LIMIT: "max_tokens",
  ERROR: "other",
  USER_CANCEL: "other",
});
const mapStopReason = (raw: unknown) => mapUpper(typeof raw === "string" ? raw.toUpperCase() : raw);

type Wire = Record<string, unknown>;

// Cohere describes parameters with Python type names.
const PYTHON_TYPES: Readonly<Record<string, string>> = {
  string: "str",
  integer: "int",
  number: "float",
  boolean: "bool",
  array: "list",
  object: "dict",
};

/** A JSON Schema object's properties as Cohere `parameter_definitions`. */
function parameterDefinitions(tool: ToolDefinition, index: number): Wire {
  const schema = tool.inputSchema as { properties?: Record<string, Wire>; required?: string[] };
  if (schema.properties !== undefined && typeof schema.properties !== "object")
    throw inputError(`tools[${index}].inputSchema.properties`, "an object", schema.properties);
  const definitions: Wire = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    definitions[name] = compact({
      description: typeof property.description === "string" ? property.description : undefined,
      type: PYTHON_TYPES[String(property.type)] ?? "str",
      required: schema.required?.includes(name) ?? false,
    });
  }
  return definitions;
}

function outputsOf(part: Extract<ContentPart, { type: "tool-result" }>): Wire[] {
  // Cohere wants a list of objects, even for one value.
  if (typeof part.content === "string") return [{ text: part.content }];
  if (part.content.type === "text") return [{ text: part.content.text }];
  const value = part.content.value;
  if (Array.isArray(value))
    return value.map((item) => (typeof item === "object" && item ? item : { value: item }));
  return [typeof value === "object" && value !== null ? (value as Wire) : { value }];
}

function buildRequest(request: TextRequest, model: CodecModel): Record<string, unknown> {
  const maxTokens = checkCommon(request, model);
  checkTools(request);
  refuseParts(request, PARTS, FAMILY);
  if (request.toolChoice && request.toolChoice.type !== "auto")
    throw inputError(
      "toolChoice",
      '"auto" (the Command R body has no tool choice)',
      request.toolChoice.type,
    );
  // Calls by id, so results can name the call and its parameters as Cohere needs.
  const calls = new Map<string, { name: string; parameters: unknown }>();
  for (const message of request.messages)
    for (const part of partsOf(message))
      if (part.type === "tool-call")
        calls.set(part.toolCallId, { name: part.toolName, parameters: part.input });
  const resultsOf = (parts: readonly ContentPart[]) =>
    parts
      .filter((part) => part.type === "tool-result")
      .map((part) => ({
        call: calls.get(part.toolCallId) ?? {
          name: part.toolName ?? part.toolCallId,
          parameters: {},
        },
        outputs: outputsOf(part),
      }));
  const last = request.messages.at(-1)!;
  if (last.role !== "user")
    throw inputError(
      `messages[${request.messages.length - 1}].role`,
      '"user" (Cohere answers the last user message)',
      last.role,
    );
  const history: Wire[] = request.messages.slice(0, -1).map((message) => {
    const parts = partsOf(message);
    if (message.role === "assistant") {
      const toolCalls = parts.filter((part) => part.type === "tool-call");
      return compact({
        role: "CHATBOT",
        message: textOf(parts),
        tool_calls: toolCalls.length
          ? toolCalls.map((call) => ({ name: call.toolName, parameters: call.input }))
          : undefined,
      });
    }
    const results = resultsOf(parts);
    return results.length
      ? { role: "TOOL", tool_results: results }
      : { role: "USER", message: textOf(parts) };
  });
  const lastParts = partsOf(last);
  const toolResults = resultsOf(lastParts);
  const body = compact({
    message: textOf(lastParts),
    chat_history: history.length ? history : undefined,
    preamble: systemTextOf(request),
    max_tokens: maxTokens,
    temperature: request.temperature,
    p: request.topP,
    k: request.topK,
    stop_sequences: request.stopSequences?.length ? [...request.stopSequences] : undefined,
    tools: request.tools?.length
      ? request.tools.map((tool, index) =>
          compact({
            name: tool.name,
            description: tool.description ?? "",
            parameter_definitions: parameterDefinitions(tool, index),
          }),
        )
      : undefined,
    tool_results: toolResults.length ? toolResults : undefined,
  });
  return withAdditionalFields(body, request.additionalFields);
}

function toolCallsOf(wire: unknown): ToolCall[] {
  // Command R's calls carry no ids; number them so results can refer back.
  return ((wire as { name?: string; parameters?: unknown }[] | undefined) ?? []).map(
    (call, index) => ({
      toolCallId: `cohere-call-${index}`,
      toolName: String(call.name),
      input: call.parameters ?? {},
    }),
  );
}

function billedUsage(body: Wire, headers?: Parameters<typeof usageFrom>[1]): Usage {
  const billed = (
    body.meta as { billed_units?: { input_tokens?: number; output_tokens?: number } } | undefined
  )?.billed_units;
  return usageFrom(
    { inputTokens: billed?.input_tokens, outputTokens: billed?.output_tokens },
    headers,
  );
}

function parseResponse(
  raw: unknown,
  headers?: Parameters<TextCodec["parseResponse"]>[1],
): TextResult {
  const body = readJson(raw, FAMILY);
  if (typeof body.text !== "string") throw responseError(FAMILY, "has no text");
  const toolCalls = toolCallsOf(body.tool_calls);
  const rawStopReason = typeof body.finish_reason === "string" ? body.finish_reason : undefined;
  return {
    text: body.text,
    toolCalls,
    content: [
      ...(body.text !== "" ? [{ type: "text" as const, text: body.text }] : []),
      ...toolCalls.map((call) => ({ type: "tool-call" as const, ...call })),
    ],
    stopReason: guardrailIntervened(body)
      ? "guardrail_intervened"
      : toolCalls.length && mapStopReason(rawStopReason) === "end_turn"
        ? "tool_use"
        : mapStopReason(rawStopReason),
    rawStopReason,
    usage: billedUsage(body, headers),
  };
}

/** Cohere stream events: `text-generation`, `tool-calls-generation`, then `stream-end`. */
function createStreamParser(): StreamParser {
  let lastEvent: string | undefined;
  let started = false;
  let finished = false;
  let sawTools = false;
  let rawStopReason: string | undefined;
  let usage: Usage | undefined;
  let metrics: Usage | undefined;
  return {
    parse(chunk) {
      const event = readChunk(chunk, FAMILY);
      lastEvent = String(event.event_type);
      const parts: StreamPart[] = [];
      if (
        event.event_type === "text-generation" &&
        typeof event.text === "string" &&
        event.text !== ""
      ) {
        if (!started) parts.push({ type: "text-start", id: "text" });
        started = true;
        parts.push({ type: "text-delta", id: "text", delta: event.text });
      }
      if (event.event_type === "tool-calls-generation") {
        toolCallsOf(event.tool_calls).forEach((call, index) => {
          sawTools = true;
          const id = `tool-${index}`;
          parts.push(
            { type: "tool-use-start", id, toolCallId: call.toolCallId, toolName: call.toolName },
            { type: "tool-use-delta", id, delta: JSON.stringify(call.input) },
            { type: "tool-use-end", id, ...call },
          );
        });
      }
      if (event.is_finished === true || event.event_type === "stream-end") {
        finished = true;
        rawStopReason =
          typeof event.finish_reason === "string" ? event.finish_reason : rawStopReason;
        const response = event.response as Wire | undefined;
        if (response) usage = billedUsage(response);
        if (started) parts.push({ type: "text-end", id: "text" });
        started = false;
      }
      metrics = invocationMetrics(event) ?? metrics;
      return parts;
    },
    finish() {
      if (!finished) throw streamTruncated(FAMILY, lastEvent);
      const mapped = mapStopReason(rawStopReason);
      return [
        {
          type: "finish",
          stopReason: sawTools && mapped === "end_turn" ? "tool_use" : mapped,
          rawStopReason,
          usage: metrics ?? usage ?? { inputTokens: 0, outputTokens: 0 },
        },
      ];
    },
  };
}

/** The Command R / R+ codec. */
export const cohereCommandRCodec: TextCodec = {
  family: FAMILY,
  buildRequest,
  parseResponse,
  createStreamParser,
};
