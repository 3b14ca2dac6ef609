/**
 * Amazon Titan Text (Lite, Express, Premier) on InvokeModel.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-text.html
 */
import type { CodecModel, TextCodec, TextRequest, TextResult } from "../model-codec.js";
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

const FAMILY = "amazon-titan-text";
const TEXT_ONLY = new Set(["text"] as const);

const mapStopReason = stopReasonMapper({
  // The page's list says FINISHED; its older example (and the service) say FINISH.
  FINISH: "end_turn",
  FINISHED: "end_turn",
  LENGTH: "max_tokens",
  STOP_CRITERIA_MET: "stop_sequence",
  CONTENT_FILTERED: "content_filtered",
  RAG_QUERY_WHEN_RAG_DISABLED: "other",
});

/**
 * The conversational format the page recommends, `User: ...\nBot:`, with earlier turns in
 * the same style and the system prompt first.
 */
export function titanInputText(request: TextRequest): string {
  const lines: string[] = [];
  const system = systemTextOf(request);
  if (system !== undefined) lines.push(system);
  request.messages.forEach((message) => {
    lines.push(`${message.role === "user" ? "User" : "Bot"}: ${textOf(partsOf(message))}`);
  });
  if (request.messages.at(-1)?.role === "user") lines.push("Bot:");
  return lines.join("\n");
}

function buildRequest(request: TextRequest, model: CodecModel): Record<string, unknown> {
  const maxTokenCount = checkCommon(request, model);
  refuseTools(request, FAMILY);
  refuseParts(request, TEXT_ONLY, FAMILY);
  if (request.topK !== undefined)
    throw inputError("topK", "absent: Titan Text has no topK", request.topK);
  if (request.topP !== undefined && request.topP <= 0)
    throw inputError("topP", "above 0 (Titan excludes 0; use 0.0001)", request.topP);
  const body = {
    inputText: titanInputText(request),
    textGenerationConfig: compact({
      temperature: request.temperature,
      topP: request.topP,
      maxTokenCount,
      stopSequences: request.stopSequences?.length ? [...request.stopSequences] : undefined,
    }),
  };
  return withAdditionalFields(body, request.additionalFields);
}

function parseResponse(
  raw: unknown,
  headers?: Parameters<TextCodec["parseResponse"]>[1],
): TextResult {
  const body = readJson(raw, FAMILY);
  const result = (
    body.results as
      | { outputText?: string; tokenCount?: number; completionReason?: string }[]
      | undefined
  )?.[0];
  if (typeof result?.outputText !== "string")
    throw responseError(FAMILY, "has no results[0].outputText");
  const rawStopReason = result.completionReason ?? undefined;
  return textOnlyResult(
    body,
    result.outputText,
    rawStopReason,
    mapStopReason,
    usageFrom({ inputTokens: body.inputTextTokenCount, outputTokens: result.tokenCount }, headers),
  );
}

/** The Titan Text codec. */
export const amazonTitanTextCodec: TextCodec = {
  family: FAMILY,
  buildRequest,
  parseResponse,
  createStreamParser: () =>
    createTextStreamParser({
      family: FAMILY,
      mapStopReason,
      read: (chunk) => ({
        text: typeof chunk.outputText === "string" ? chunk.outputText : undefined,
        rawStopReason:
          typeof chunk.completionReason === "string" ? chunk.completionReason : undefined,
        inputTokens:
          typeof chunk.inputTextTokenCount === "number" ? chunk.inputTextTokenCount : undefined,
        outputTokens:
          typeof chunk.totalOutputTextTokenCount === "number"
            ? chunk.totalOutputTextTokenCount
            : undefined,
      }),
    }),
};
