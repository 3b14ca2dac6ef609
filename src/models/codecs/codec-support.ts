/**
 * Small pieces every codec needs: reading a body in any form, validating inputs with messages
 * that name the field, usage from the token-count headers, base64, and the truncated-stream
 * error. Nothing family-specific lives here.
 */
import { QuarryError } from "../../errors/quarry-error.js";
import { StreamTruncatedError } from "../../errors/stream-truncated-error.js";
import type {
  CachePointPart,
  CodecModel,
  ContentPart,
  Message,
  ResponseHeaders,
  StopReason,
  TextPart,
  TextRequest,
  TextResult,
  Usage,
} from "../model-codec.js";

/** An input the codec refuses before any request is sent; `code` is `input.<field>`. */
export function inputError(field: string, expected: string, given: unknown): QuarryError {
  return new QuarryError(
    `input.${field}`,
    `${field} must be ${expected}; got ${describeValue(given)}.`,
    { hint: `Fix ${field} in the request; nothing was sent.` },
  );
}

function describeValue(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === "object" && value !== null ? "an object" : String(value);
}

/** A response the codec cannot read: the model (or an emulator) sent the wrong shape. */
export function responseError(family: string, detail: string): QuarryError {
  return new QuarryError("response.malformed", `The ${family} response body ${detail}.`, {
    hint: "Check that the model id matches the body format; a different family answers differently.",
  });
}

/**
 * The error for a stream that ended without its final event: retryable, since a cut stream is
 * a failure and not a short answer. `lastEvent` names what came last, for the message.
 */
export function streamTruncated(family: string, lastEvent?: string): StreamTruncatedError {
  return new StreamTruncatedError({
    lastEvent: lastEvent === undefined ? `${family}: none` : `${family} ${lastEvent}`,
  });
}

const utf8 = new TextDecoder();

/** Parses a body given as bytes, JSON text or an already-parsed object. */
export function readJson(body: unknown, family: string): Record<string, unknown> {
  let value = body;
  if (value instanceof Uint8Array) value = utf8.decode(value);
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      throw responseError(family, "is not JSON");
    }
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw responseError(family, "is not a JSON object");
  return value as Record<string, unknown>;
}

/**
 * Decodes one stream chunk: the JSON of its `bytes`, the bytes themselves, or an
 * InvokeModelWithResponseStream event `{ chunk: { bytes } }` as the SDK yields it.
 */
export function readChunk(chunk: unknown, family: string): Record<string, unknown> {
  const event = chunk as { chunk?: { bytes?: unknown } } | null;
  if (event && typeof event === "object" && !(event instanceof Uint8Array) && event.chunk?.bytes)
    return readJson(event.chunk.bytes, family);
  return readJson(chunk, family);
}

function headerValue(headers: ResponseHeaders | undefined, name: string): number | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    const number = Number(Array.isArray(value) ? value[0] : value);
    return Number.isFinite(number) ? number : undefined;
  }
  return undefined;
}

/**
 * Usage from the body's numbers, each falling back to the `X-Amzn-Bedrock-*-Token-Count`
 * headers (https://docs.aws.amazon.com/bedrock/latest/userguide/monitoring-cw.html), then 0.
 */
export function usageFrom(
  body: {
    inputTokens?: unknown;
    outputTokens?: unknown;
    cacheReadInputTokens?: unknown;
    cacheWriteInputTokens?: unknown;
  },
  headers?: ResponseHeaders,
): Usage {
  const number = (value: unknown) =>
    typeof value === "number" && Number.isFinite(value) ? value : undefined;
  const cacheRead =
    number(body.cacheReadInputTokens) ??
    headerValue(headers, "x-amzn-bedrock-cache-read-input-token-count");
  const cacheWrite =
    number(body.cacheWriteInputTokens) ??
    headerValue(headers, "x-amzn-bedrock-cache-write-input-token-count");
  return {
    inputTokens:
      number(body.inputTokens) ?? headerValue(headers, "x-amzn-bedrock-input-token-count") ?? 0,
    outputTokens:
      number(body.outputTokens) ?? headerValue(headers, "x-amzn-bedrock-output-token-count") ?? 0,
    ...(cacheRead === undefined ? {} : { cacheReadInputTokens: cacheRead }),
    ...(cacheWrite === undefined ? {} : { cacheWriteInputTokens: cacheWrite }),
  };
}

/** The `amazon-bedrock-invocationMetrics` Bedrock adds to the last chunk of most families. */
export function invocationMetrics(chunk: Record<string, unknown>): Usage | undefined {
  const metrics = chunk["amazon-bedrock-invocationMetrics"] as
    | {
        inputTokenCount?: number;
        outputTokenCount?: number;
        cacheReadInputTokenCount?: number;
        cacheWriteInputTokenCount?: number;
      }
    | undefined;
  if (!metrics || typeof metrics !== "object") return undefined;
  return usageFrom({
    inputTokens: metrics.inputTokenCount,
    outputTokens: metrics.outputTokenCount,
    cacheReadInputTokens: metrics.cacheReadInputTokenCount,
    cacheWriteInputTokens: metrics.cacheWriteInputTokenCount,
  });
}

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

export function fromBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64"));
}

/** The message's content as parts (a string is one text part). */
export function partsOf(message: Message): readonly ContentPart[] {
  return typeof message.content === "string"
    ? [{ type: "text", text: message.content }]
    : message.content;
}

/** The system prompt as parts. */
export function systemPartsOf(request: TextRequest): readonly (TextPart | CachePointPart)[] {
  if (request.system === undefined) return [];
  return typeof request.system === "string"
    ? request.system === ""
      ? []
      : [{ type: "text", text: request.system }]
    : request.system;
}

/** The system prompt as one string, for families that take plain text. */
export function systemTextOf(request: TextRequest): string | undefined {
  const text = systemPartsOf(request)
    .flatMap((part) => (part.type === "text" ? [part.text] : []))
    .join("\n");
  return text === "" ? undefined : text;
}

/** The text of a message's parts joined, for families whose turns are plain text. */
export function textOf(parts: readonly ContentPart[]): string {
  return parts.flatMap((part) => (part.type === "text" ? [part.text] : [])).join("");
}

/**
 * Validates what every family shares and returns the `maxTokens` to send: the request's, or
 * the model's default, never above the model's maximum.
 */
export function checkCommon(
  request: TextRequest,
  model: CodecModel,
  limits: { readonly maxTemperature?: number } = {},
): number {
  if (!Array.isArray(request.messages) || request.messages.length === 0)
    throw inputError("messages", "a non-empty array of messages", request.messages);
  request.messages.forEach((message, index) => {
    if (message.role !== "user" && message.role !== "assistant")
      throw inputError(`messages[${index}].role`, '"user" or "assistant"', message.role);
  });
  const maxTokens = request.maxTokens ?? model.defaultMaxTokens;
  if (!Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > model.maxOutputTokens)
    throw inputError(
      "maxTokens",
      `an integer from 1 to ${model.maxOutputTokens} for ${model.baseModelId}`,
      maxTokens,
    );
  if (model.imageInput === false)
    request.messages.forEach((message, index) => {
      partsOf(message).forEach((part, partIndex) => {
        if (part.type === "image")
          throw inputError(
            `messages[${index}].content[${partIndex}]`,
            `text: ${model.baseModelId} does not read images`,
            "an image",
          );
      });
    });
  checkRange("temperature", request.temperature, 0, limits.maxTemperature ?? 1);
  checkRange("topP", request.topP, 0, 1);
  if (request.topK !== undefined && (!Number.isInteger(request.topK) || request.topK < 0))
    throw inputError("topK", "a non-negative integer", request.topK);
  if (request.stopSequences !== undefined) {
    if (
      !Array.isArray(request.stopSequences) ||
      request.stopSequences.some((s) => typeof s !== "string")
    )
      throw inputError("stopSequences", "an array of strings", request.stopSequences);
  }
  return maxTokens;
}

/** Throws unless `value` is undefined or a number in [min, max]. */
export function checkRange(
  field: string,
  value: number | undefined,
  min: number,
  max: number,
): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min || value > max)
    throw inputError(field, `a number from ${min} to ${max}`, value);
}

/** Refuses parts a family cannot carry, naming the message and the part. */
export function refuseParts(
  request: TextRequest,
  allowed: ReadonlySet<ContentPart["type"]>,
  family: string,
): void {
  request.messages.forEach((message, index) => {
    partsOf(message).forEach((part, partIndex) => {
      if (!allowed.has(part.type))
        throw inputError(
          `messages[${index}].content[${partIndex}]`,
          `one of ${[...allowed].join(", ")} (the ${family} body has no ${part.type} parts)`,
          part.type,
        );
    });
  });
}

/** Refuses tools for families whose InvokeModel body has no tool definitions. */
export function refuseTools(request: TextRequest, family: string): void {
  if (request.tools !== undefined && request.tools.length > 0)
    throw inputError(
      "tools",
      `absent: the ${family} InvokeModel body has no tool definitions (use Converse for tools)`,
      request.tools,
    );
}

/** The body with the request's `additionalFields` merged in last. */
export function withAdditionalFields(
  body: Record<string, unknown>,
  additionalFields: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  return additionalFields ? { ...body, ...additionalFields } : body;
}

/** Drops keys whose value is undefined, so bodies carry only what was asked. */
export function compact<T extends Record<string, unknown>>(object: T): T {
  // A new object, not `delete` on this one: deleting a key turns a V8 object into a slow
  // dictionary, and every body is serialised (or spread) right after.
  const kept: Record<string, unknown> = {};
  for (const key in object) if (object[key] !== undefined) kept[key] = object[key];
  return kept as T;
}

/** Parses tool arguments sent as JSON text, keeping the text when it is not JSON. */
export function parseArguments(text: string): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A lookup from a family's stop words to the shared ones; unknown words map to `other`. */
export function stopReasonMapper(
  table: Readonly<Record<string, StopReason>>,
): (raw: unknown) => StopReason {
  return (raw) => (typeof raw === "string" ? (table[raw] ?? "other") : "other");
}

/**
 * Whether Bedrock's guardrail stopped the answer: InvokeModel bodies then carry
 * `amazon-bedrock-guardrailAction: "INTERVENED"`
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-use-invoke-model.html).
 */
export function guardrailIntervened(body: Record<string, unknown>): boolean {
  return body["amazon-bedrock-guardrailAction"] === "INTERVENED";
}

/**
 * The result of a family whose reply is one piece of text (no tools, no other content): the
 * guardrail's intervention wins over the family's own stop word.
 */
export function textOnlyResult(
  body: Record<string, unknown>,
  text: string,
  rawStopReason: string | undefined,
  mapStopReason: (raw: unknown) => StopReason,
  usage: Usage,
): TextResult {
  return {
    text,
    toolCalls: [],
    content: [{ type: "text", text }],
    stopReason: guardrailIntervened(body) ? "guardrail_intervened" : mapStopReason(rawStopReason),
    rawStopReason,
    usage,
  };
}

/** A JSON Schema object checked to be an object, naming the tool when it is not. */
export function checkTools(request: TextRequest): void {
  request.tools?.forEach((tool, index) => {
    if (typeof tool.name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(tool.name))
      throw inputError(
        `tools[${index}].name`,
        "1 to 64 letters, digits, underscores or hyphens",
        tool.name,
      );
    if (tool.inputSchema === null || typeof tool.inputSchema !== "object")
      throw inputError(`tools[${index}].inputSchema`, "a JSON Schema object", tool.inputSchema);
  });
  const choice = request.toolChoice;
  if (choice?.type === "tool" && !request.tools?.some((tool) => tool.name === choice.name))
    throw inputError("toolChoice.name", "the name of one of the tools", choice.name);
}
