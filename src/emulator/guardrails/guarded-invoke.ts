// InvokeModel and InvokeModelWithResponseStream with a guardrail, named by the
// `X-Amzn-Bedrock-GuardrailIdentifier` / `-GuardrailVersion` headers, its trace asked for with
// `X-Amzn-Bedrock-Trace: ENABLED`:
// https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-use-invoke-model.html
// The body is the family's own, plus an optional `amazon-bedrock-guardrailConfig` (input tagging
// and stream processing mode, which the emulator accepts and does not model). The response is
// the family's own body plus `amazon-bedrock-guardrailAction` (`INTERVENED` | `NONE`) and, with
// the trace enabled, `amazon-bedrock-trace`; a stream carries both on its last chunk.
import { assertJsonDepth } from "../converse/assert-json-depth.js";
import { awsErrors } from "../emulator-error.js";
import { dialectFor } from "../families/dialects.js";
import type { StreamChunk, TextCall, TextDialect } from "../families/invocation-types.js";
import { chunkPadding } from "../operations/invoke-model-with-response-stream.js";
import {
  admit,
  faultError,
  inputTokensOf,
  malformReply,
  paceStream,
  parseJsonBody,
  plannedMetrics,
  requireCapability,
  resolveModel,
  usageHeaders,
  waitForReply,
} from "../operations/model-invocation.js";
import {
  type EmulatorRequest,
  type EmulatorResponse,
  headerValue,
} from "../server/emulator-request.js";
import type { EmulatorState } from "../state/emulator-state.js";
import { encodeEvent } from "../wire/event-stream-encoder.js";
import { findGuardrail, GUARDRAIL_NOT_FOUND } from "./find-guardrail.js";
import { type GuardedGeneration, guardGeneration } from "./guard-generation.js";
import { intervened, invokeGuardrailTrace } from "./guardrail-trace.js";

/** The body member that carries guardrail settings beside the family's own fields. */
const GUARDRAIL_CONFIG_KEY = "amazon-bedrock-guardrailConfig";

type InvokeOperation = "InvokeModel" | "InvokeModelWithResponseStream";

/**
 * Answers an InvokeModel / InvokeModelWithResponseStream request that names a guardrail, or
 * returns undefined for one that does not (or for a model without a text dialect), leaving it
 * to the operation's own path.
 */
export async function invokeWithGuardrail(
  request: EmulatorRequest,
  params: Readonly<Record<string, string>>,
  state: EmulatorState,
  operation: InvokeOperation,
): Promise<EmulatorResponse | undefined> {
  const identifier = headerValue(request, "x-amzn-bedrock-guardrailidentifier");
  if (!identifier) return undefined;
  const streaming = operation === "InvokeModelWithResponseStream";
  const resolved = resolveModel(state, params.modelId!);
  if (streaming) requireCapability(resolved.model, "streaming");
  const dialect = dialectFor(resolved.model.dialect);
  if (dialect.output !== "text") return undefined;
  const guardrail = findGuardrail(
    state.config,
    identifier,
    headerValue(request, "x-amzn-bedrock-guardrailversion"),
  );
  if (!guardrail) throw awsErrors.validation(GUARDRAIL_NOT_FOUND);
  const trace = (headerValue(request, "x-amzn-bedrock-trace") ?? "")
    .toUpperCase()
    .startsWith("ENABLED");

  const json = parseJsonBody(request);
  assertJsonDepth(json);
  const familyBody =
    json !== null &&
    typeof json === "object" &&
    !Array.isArray(json) &&
    GUARDRAIL_CONFIG_KEY in json
      ? Object.fromEntries(Object.entries(json).filter(([key]) => key !== GUARDRAIL_CONFIG_KEY))
      : json;
  const call = dialect.parseRequest(familyBody, resolved.model);
  const inputTokens = inputTokensOf(call);
  const lease = admit(state, resolved, inputTokens, call.maxTokens);
  let released = false;
  try {
    const fault = state.faults.draw(operation, { streaming, text: true });
    const error = faultError(fault);
    if (error) throw error;
    const guarded = guardGeneration(guardrail, inputTextsOf(call), () =>
      malformReply(
        state.responder.generate(call, {
          model: resolved.model,
          requestedId: resolved.requestedId,
          seed: state.config.seed,
          outputTokens: state.config.responder.outputTokens,
          inputTokens,
        }),
        fault,
      ),
    );
    const { generation } = guarded;
    const metrics = plannedMetrics(state, resolved, generation);
    const context = { model: resolved.model, requestId: request.requestId, metrics, call };
    const extra = guardrailFields(guarded, trace);

    if (streaming) {
      const chunks = withFieldsOnLastChunk(dialect.renderStream(generation, context), extra);
      released = true; // the stream releases the lease when it ends
      return {
        status: 200,
        headers: {
          "content-type": "application/vnd.amazon.eventstream",
          "x-amzn-bedrock-content-type": "application/json",
        },
        stream: paceStream(state, request, {
          operation,
          resolved,
          chunks,
          fault,
          lease,
          generation,
          encode: (chunk, index) =>
            encodeEvent("chunk", {
              bytes: Buffer.from(JSON.stringify(chunk.payload)).toString("base64"),
              p: chunkPadding(index),
            }),
        }),
      };
    }

    state.stats.inFlight++;
    try {
      await waitForReply(state, request, metrics);
    } finally {
      state.stats.inFlight--;
    }
    const rendered = (dialect as TextDialect).renderResponse(generation, context);
    const body = JSON.stringify({ ...(rendered as Record<string, unknown>), ...extra });
    lease.release(generation.outputTokens);
    released = true;
    const reset = fault === "connectionReset";
    state.stats.record({
      operation,
      modelId: resolved.requestedId,
      outcome: reset ? "fault:connectionReset" : "ok",
      inputTokens: generation.inputTokens,
      outputTokens: generation.outputTokens,
    });
    return {
      status: 200,
      headers: { "content-type": "application/json", ...usageHeaders(metrics) },
      body,
      ...(reset ? { resetAfterBytes: Math.floor(body.length / 2) } : {}),
    };
  } finally {
    if (!released) lease.release(0);
  }
}

/** What the input guardrail reads: the system prompt and every user message. */
function inputTextsOf(call: TextCall): string[] {
  return [
    call.system,
    ...call.turns.filter((turn) => turn.role === "user").map((turn) => turn.text),
  ].filter((text) => text !== "");
}

function guardrailFields(guarded: GuardedGeneration, trace: boolean): Record<string, unknown> {
  const verdicts = guarded.verdicts!;
  return {
    "amazon-bedrock-guardrailAction": intervened(verdicts) ? "INTERVENED" : "NONE",
    ...(trace ? { "amazon-bedrock-trace": invokeGuardrailTrace(verdicts) } : {}),
  };
}

/** Adds the guardrail fields to the last chunk, the one that closes the stream. */
function withFieldsOnLastChunk(
  chunks: StreamChunk[],
  fields: Record<string, unknown>,
): StreamChunk[] {
  const last = chunks.at(-1);
  if (!last || last.payload === null || typeof last.payload !== "object") return chunks;
  return [
    ...chunks.slice(0, -1),
    { ...last, payload: { ...(last.payload as Record<string, unknown>), ...fields } },
  ];
}
