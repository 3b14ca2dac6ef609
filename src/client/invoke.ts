// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html
import { InvokeModelCommand, type InvokeModelRequest } from "@aws-sdk/client-bedrock-runtime";
import type { TextCodec, TextResult } from "../models/model-codec.js";
import { bodyByMaxTokens } from "./body-by-max-tokens.js";
import { withSignal } from "./call-signals.js";
import { estimateInputTokens } from "./estimate-tokens.js";
import { describeGuardrailTrace } from "./from-converse-output.js";
import type { ModelInfo } from "./model-info.js";
import { type CallTarget, type QuarryContext, unsupported } from "./quarry-context.js";
import { responseHeadersOf } from "./response-headers.js";
import {
  type BlockedText,
  type GeneratedText,
  type TextCallRequest,
  type TextOutcome,
  toTextRequest,
} from "./text-call.js";

const utf8 = new TextDecoder();

interface InvokeAttempt {
  readonly result: TextResult;
  readonly body: Record<string, unknown>;
  readonly target: CallTarget;
}

/** The text codec of a model, or a clear error naming what the model is for. */
export function textCodecOf(model: ModelInfo, operation: string): TextCodec {
  if (!model.textCodec)
    throw unsupported(
      model,
      operation,
      `it is a ${model.family} model, which does not generate text`,
    );
  return model.textCodec;
}

/** The SDK's InvokeModel headers for a call's guardrail, tier and latency settings. */
export function invokeHeaders(
  request: TextCallRequest,
): Omit<InvokeModelRequest, "modelId" | "body"> {
  const headers: Omit<InvokeModelRequest, "modelId" | "body"> = {
    contentType: "application/json",
    accept: "application/json",
  };
  if (request.guardrail) {
    headers.guardrailIdentifier = request.guardrail.identifier;
    headers.guardrailVersion = request.guardrail.version ?? "DRAFT";
    headers.trace = request.guardrail.trace === false ? "DISABLED" : "ENABLED";
  }
  if (request.serviceTier) headers.serviceTier = request.serviceTier;
  if (request.latency) headers.performanceConfigLatency = request.latency;
  if (request.requestMetadata) headers.requestMetadata = JSON.stringify(request.requestMetadata);
  return headers;
}

/** InvokeModel through the model family's codec, paced and retried by the scheduler. */
export async function invoke(
  context: QuarryContext,
  request: TextCallRequest,
): Promise<TextOutcome> {
  const textRequest = toTextRequest(request);
  const model = await context.model(request, "invoke");
  const codec = textCodecOf(model, "invoke");
  const fullMaxTokens = textRequest.maxTokens ?? model.defaultMaxTokens;
  // Built now: a bad request fails here, before any quota is reserved or money spent.
  const bodyFor = bodyByMaxTokens(codec, textRequest, model, fullMaxTokens);
  const headers = invokeHeaders(request);

  const outcome = await context.schedule<InvokeAttempt>({
    model,
    operation: "InvokeModel",
    ...(request.recordId === undefined ? {} : { recordId: request.recordId }),
    signal: request.signal,
    inputTokens: estimateInputTokens(textRequest),
    maxTokens: textRequest.maxTokens ?? "auto",
    fullMaxTokens,
    attempt: async ({ maxTokens, signal, target }) => {
      const output = await target.client.send(
        withSignal(
          new InvokeModelCommand({
            modelId: target.modelId,
            body: bodyFor(maxTokens),
            ...headers,
          }),
          signal,
        ),
      );
      const json = JSON.parse(utf8.decode(output.body)) as Record<string, unknown>;
      return { result: codec.parseResponse(json, responseHeadersOf(output)), body: json, target };
    },
    usage: (attempt) => attempt.result.usage,
    stoppedAtMaxTokens: (attempt) => attempt.result.stopReason === "max_tokens",
  });
  return toOutcome(outcome.target, outcome.result, invokeGuardrail(outcome.body));
}

/** The guardrail verdict an InvokeModel body carries, when a guardrail intervened. */
function invokeGuardrail(
  body: Record<string, unknown>,
): { action: string; trace: unknown } | undefined {
  const action = body["amazon-bedrock-guardrailAction"];
  if (action !== "INTERVENED") return undefined;
  const trace = (body["amazon-bedrock-trace"] as { guardrail?: unknown } | undefined)?.guardrail;
  return { action, trace };
}

/** A result, or the blocked outcome when a guardrail intervened, from the target it came from. */
export function toOutcome(
  target: Pick<CallTarget, "modelId" | "region">,
  result: TextResult,
  guardrail: { action: string; trace: unknown } | undefined,
): TextOutcome {
  const { modelId, region } = target;
  if (guardrail || result.stopReason === "guardrail_intervened") {
    const blocked: BlockedText = {
      blocked: true,
      action: guardrail?.action ?? "GUARDRAIL_INTERVENED",
      reason: describeGuardrailTrace(guardrail?.trace) ?? "the guardrail intervened",
      output: result.text,
      ...(guardrail?.trace === undefined ? {} : { trace: guardrail.trace }),
      modelId,
      region,
      usage: result.usage,
    };
    return blocked;
  }
  const generated: GeneratedText = { ...result, blocked: false, modelId, region };
  return generated;
}
