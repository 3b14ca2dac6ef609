/**
 * Cohere Command and Command Light (legacy text generation) on InvokeModel.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-cohere-command.html
 */
import type {
  BuildRequestOptions,
  CodecModel,
  TextCodec,
  TextRequest,
  TextResult,
} from "../model-codec.js";
import {
  checkCommon,
  compact,
  inputError,
  partsOf,
  readJson,
  refuseParts,
  refuseTools,
  responseError,
  stopReasonMapper,
  systemTextOf,
  textOf,
  textOnlyResult,
  usageFrom,
  withAdditionalFields,
} from "./codec-support.js";
import { createTextStreamParser } from "./text-stream-parser.js";

const FAMILY = "cohere-command";
const TEXT_ONLY = new Set(["text"] as const);

const mapStopReason = stopReasonMapper({
  COMPLETE: "end_turn",
  MAX_TOKENS: "max_tokens",
  ERROR_TOXIC: "content_filtered",
  ERROR: "other",
});

/** One user message is sent as is; a conversation is laid out as `User:`/`Chatbot:` lines. */
export function commandPrompt(request: TextRequest): string {
  const system = systemTextOf(request);
  if (request.messages.length === 1 && system === undefined)
    return textOf(partsOf(request.messages[0]!));
  const lines = system !== undefined ? [system] : [];
  for (const message of request.messages)
    lines.push(`${message.role === "user" ? "User" : "Chatbot"}: ${textOf(partsOf(message))}`);
  if (request.messages.at(-1)?.role === "user") lines.push("Chatbot:");
  return lines.join("\n");
}

function buildRequest(
  request: TextRequest,
  model: CodecModel,
  options: BuildRequestOptions = {},
): Record<string, unknown> {
  // Legacy Command takes temperatures up to 5 (model-parameters-cohere-command.html).
  const maxTokens = checkCommon(request, model, { maxTemperature: 5 });
  refuseTools(request, FAMILY);
  refuseParts(request, TEXT_ONLY, FAMILY);
  if ((request.stopSequences?.length ?? 0) > 4)
    throw inputError(
      "stopSequences",
      "at most 4 sequences for Cohere Command",
      request.stopSequences,
    );
  const body = compact({
    prompt: commandPrompt(request),
    max_tokens: maxTokens,
    temperature: request.temperature,
    p: request.topP,
    k: request.topK,
    stop_sequences: request.stopSequences?.length ? [...request.stopSequences] : undefined,
    // The page: "stream – (Required to support streaming)".
    stream: options.stream ? true : undefined,
  });
  return withAdditionalFields(body, request.additionalFields);
}

function parseResponse(
  raw: unknown,
  headers?: Parameters<TextCodec["parseResponse"]>[1],
): TextResult {
  const body = readJson(raw, FAMILY);
  const generation = (
    body.generations as { text?: string; finish_reason?: string }[] | undefined
  )?.[0];
  if (typeof generation?.text !== "string")
    throw responseError(FAMILY, "has no generations[0].text");
  const rawStopReason = generation.finish_reason ?? undefined;
  return textOnlyResult(
    body,
    generation.text,
    rawStopReason,
    mapStopReason,
    usageFrom({}, headers),
  );
}

/** The legacy Command codec. */
export const cohereCommandCodec: TextCodec = {
  family: FAMILY,
  buildRequest,
  parseResponse,
  createStreamParser: () =>
    createTextStreamParser({
      family: FAMILY,
      mapStopReason,
      // Chunks carry `generations[0]` with `text`, `is_finished` and, at the end,
      // `finish_reason` (the page's response fields); a flat chunk is read the same way.
      read: (chunk) => {
        const generation =
          (chunk.generations as Record<string, unknown>[] | undefined)?.[0] ?? chunk;
        const finished =
          generation.is_finished === true || typeof generation.finish_reason === "string";
        return {
          text: typeof generation.text === "string" ? generation.text : undefined,
          rawStopReason: finished
            ? typeof generation.finish_reason === "string"
              ? generation.finish_reason
              : "COMPLETE"
            : undefined,
        };
      },
    }),
};
