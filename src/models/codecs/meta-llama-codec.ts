/**
 * Meta Llama 3.x / 4 on InvokeModel: a prompt in the Llama 3 chat template, applied here.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-meta.html
 * Template: https://www.llama.com/docs/model-cards-and-prompt-formats/meta-llama-3/
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
  textOnlyResult,
  toBase64,
  usageFrom,
  withAdditionalFields,
} from "./codec-support.js";
import { createTextStreamParser } from "./text-stream-parser.js";

const FAMILY = "meta-llama";
const TEXT_AND_IMAGES = new Set(["text", "image"] as const);

const mapStopReason = stopReasonMapper({ stop: "end_turn", length: "max_tokens" });

const header = (role: string) => `<|start_header_id|>${role}<|end_header_id|>\n\n`;

/**
 * The Llama 3 chat template: each turn in role headers closed by `<|eot_id|>`, ending with an
 * open assistant header (or, when the last turn is the assistant's, continuing it). Images
 * become `<|image|>` markers where they stand (Llama 3.2 vision), their bytes sent apart.
 */
export function llamaPrompt(request: TextRequest): { prompt: string; images: string[] } {
  const images: string[] = [];
  let prompt = "<|begin_of_text|>";
  const system = systemTextOf(request);
  if (system !== undefined) prompt += `${header("system")}${system}<|eot_id|>`;
  const last = request.messages.length - 1;
  request.messages.forEach((message, index) => {
    let text = "";
    for (const part of partsOf(message)) {
      if (part.type === "text") text += part.text;
      else if (part.type === "image") {
        text += "<|image|>";
        images.push(toBase64(part.bytes));
      }
    }
    const prefill = index === last && message.role === "assistant";
    prompt += header(message.role) + text + (prefill ? "" : "<|eot_id|>");
  });
  if (request.messages[last]?.role !== "assistant") prompt += header("assistant");
  return { prompt, images };
}

function buildRequest(request: TextRequest, model: CodecModel): Record<string, unknown> {
  const maxTokens = checkCommon(request, model);
  refuseTools(request, FAMILY);
  refuseParts(request, TEXT_AND_IMAGES, FAMILY);
  if (request.topK !== undefined)
    throw inputError("topK", "absent: the Llama body has no top_k", request.topK);
  if (request.stopSequences?.length)
    throw inputError(
      "stopSequences",
      "absent: the Llama body has no stop sequences",
      request.stopSequences,
    );
  const { prompt, images } = llamaPrompt(request);
  const body = compact({
    prompt,
    images: images.length ? images : undefined,
    temperature: request.temperature,
    top_p: request.topP,
    max_gen_len: maxTokens,
  });
  return withAdditionalFields(body, request.additionalFields);
}

function parseResponse(
  raw: unknown,
  headers?: Parameters<TextCodec["parseResponse"]>[1],
): TextResult {
  const body = readJson(raw, FAMILY);
  if (typeof body.generation !== "string") throw responseError(FAMILY, "has no generation");
  const rawStopReason = typeof body.stop_reason === "string" ? body.stop_reason : undefined;
  return textOnlyResult(
    body,
    body.generation,
    rawStopReason,
    mapStopReason,
    usageFrom(
      { inputTokens: body.prompt_token_count, outputTokens: body.generation_token_count },
      headers,
    ),
  );
}

/** The Llama codec (Llama 3, 3.1, 3.2 incl. vision, 3.3, 4). */
export const metaLlamaCodec: TextCodec = {
  family: FAMILY,
  buildRequest,
  parseResponse,
  createStreamParser: () =>
    createTextStreamParser({
      family: FAMILY,
      mapStopReason,
      read: (chunk) => ({
        text: typeof chunk.generation === "string" ? chunk.generation : undefined,
        rawStopReason: typeof chunk.stop_reason === "string" ? chunk.stop_reason : undefined,
        inputTokens:
          typeof chunk.prompt_token_count === "number" ? chunk.prompt_token_count : undefined,
        outputTokens:
          typeof chunk.generation_token_count === "number"
            ? chunk.generation_token_count
            : undefined,
      }),
    }),
};
