/**
 * Mistral text completion on InvokeModel: one prompt in Mistral's `[INST]` format, applied here.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-mistral-text-completion.html
 */
import type { CodecModel, Message, TextCodec, TextRequest, TextResult } from "../model-codec.js";
import {
  checkCommon,
  compact,
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

const FAMILY = "mistral-instruct";
const TEXT_ONLY = new Set(["text"] as const);

const mapStopReason = stopReasonMapper({
  stop: "end_turn",
  length: "max_tokens",
  model_length: "max_tokens",
});

/** Consecutive turns of one role joined, since the format alternates strictly. */
function turns(messages: readonly Message[]): { role: Message["role"]; text: string }[] {
  const joined: { role: Message["role"]; text: string }[] = [];
  for (const message of messages) {
    const text = textOf(partsOf(message));
    const previous = joined.at(-1);
    if (previous?.role === message.role) previous.text += `\n\n${text}`;
    else joined.push({ role: message.role, text });
  }
  return joined;
}

/**
 * `<s>[INST] user [/INST] assistant</s> [INST] user [/INST]`, as the AWS page shows it. A
 * system prompt has no slot of its own, so it opens the first instruction. A last assistant
 * turn is left open for the model to continue.
 */
export function mistralPrompt(request: TextRequest): string {
  const system = systemTextOf(request);
  const all = turns(request.messages);
  let prompt = "<s>";
  let first = true;
  all.forEach((turn, index) => {
    if (turn.role === "user") {
      const text = first && system !== undefined ? `${system}\n\n${turn.text}` : turn.text;
      prompt += `${first ? "" : " "}[INST] ${text} [/INST]`;
      first = false;
    } else {
      prompt += ` ${turn.text}${index === all.length - 1 ? "" : "</s>"}`;
    }
  });
  return prompt;
}

function buildRequest(request: TextRequest, model: CodecModel): Record<string, unknown> {
  const maxTokens = checkCommon(request, model);
  refuseTools(request, FAMILY);
  refuseParts(request, TEXT_ONLY, FAMILY);
  const body = compact({
    prompt: mistralPrompt(request),
    max_tokens: maxTokens,
    stop: request.stopSequences?.length ? [...request.stopSequences] : undefined,
    temperature: request.temperature,
    top_p: request.topP,
    top_k: request.topK,
  });
  return withAdditionalFields(body, request.additionalFields);
}

function parseResponse(
  raw: unknown,
  headers?: Parameters<TextCodec["parseResponse"]>[1],
): TextResult {
  const body = readJson(raw, FAMILY);
  const output = (body.outputs as { text?: string; stop_reason?: string }[] | undefined)?.[0];
  if (typeof output?.text !== "string") throw responseError(FAMILY, "has no outputs[0].text");
  const rawStopReason = output.stop_reason ?? undefined;
  // The body carries no counts; Bedrock's headers do.
  return textOnlyResult(body, output.text, rawStopReason, mapStopReason, usageFrom({}, headers));
}

/** Mistral 7B, Mixtral 8x7B, Mistral Small and Large in the `[INST]` format. */
export const mistralInstructCodec: TextCodec = {
  family: FAMILY,
  buildRequest,
  parseResponse,
  createStreamParser: () =>
    createTextStreamParser({
      family: FAMILY,
      mapStopReason,
      read: (chunk) => {
        const output = (
          chunk.outputs as { text?: string; stop_reason?: string | null }[] | undefined
        )?.[0];
        return {
          text: output?.text,
          rawStopReason: typeof output?.stop_reason === "string" ? output.stop_reason : undefined,
        };
      },
    }),
};
