import type { ResolvedModel } from "../catalog/model-catalog.js";
import type { GuardrailConfig } from "../config/emulator-config.js";
import { awsErrors } from "../emulator-error.js";
import { findGuardrail, GUARDRAIL_NOT_FOUND } from "../guardrails/find-guardrail.js";
import type { GuardedGeneration } from "../guardrails/guard-generation.js";
import { converseGuardrailTrace } from "../guardrails/guardrail-trace.js";
import { parseJsonBody, requireCapability, resolveModel } from "../operations/model-invocation.js";
import type { ResponderContext } from "../responders/text-responder.js";
import type { EmulatorRequest } from "../server/emulator-request.js";
import type { EmulatorState } from "../state/emulator-state.js";
import { assertJsonDepth } from "./assert-json-depth.js";
import type { ConverseRequestBody, WireGuardrailConfig } from "./converse-request.js";
import { converseRequestShape, converseStreamRequestShape } from "./converse-shapes.js";
import { type ConverseCall, converseToTextCall } from "./converse-to-text-call.js";
import { validateShape } from "./validate-shape.js";

/** A Converse or ConverseStream request, checked and mapped, ready to admit and generate. */
export interface PreparedConverse {
  readonly resolved: ResolvedModel;
  readonly body: ConverseRequestBody;
  readonly mapped: ConverseCall;
  /** The guardrail named by `guardrailConfig`, if any. */
  readonly guardrail?: GuardrailConfig;
  /** Whether `guardrailConfig.trace` asks for the guardrail trace in the response. */
  readonly traceGuardrail: boolean;
}

/**
 * The steps Converse and ConverseStream share before admission: resolve the model, refuse one
 * that does not converse (or stream), check the body against the service model, map it to a
 * call in Converse's own validation words, and find the guardrail it names.
 */
export function prepareConverse(
  request: EmulatorRequest,
  params: Readonly<Record<string, string>>,
  state: EmulatorState,
  streaming: boolean,
): PreparedConverse {
  const resolved = resolveModel(state, params.modelId!);
  requireCapability(resolved.model, "converse");
  if (streaming) requireCapability(resolved.model, "streaming");
  const json = parseJsonBody(request);
  assertJsonDepth(json);
  if (json === null || typeof json !== "object" || Array.isArray(json))
    throw awsErrors.validation(
      "Malformed input request, please reformat your input and try again.",
    );
  validateShape(json, streaming ? converseStreamRequestShape : converseRequestShape);
  const body = json as ConverseRequestBody;
  const mapped = converseToTextCall(body, resolved.model, { streaming });
  const guardrail = guardrailFor(state, body.guardrailConfig);
  const trace = body.guardrailConfig?.trace;
  return {
    resolved,
    body,
    mapped,
    ...(guardrail ? { guardrail } : {}),
    traceGuardrail: trace === "enabled" || trace === "enabled_full",
  };
}

/** What the responder stages see besides the call. */
export function responderContextFor(
  state: EmulatorState,
  resolved: ResolvedModel,
  inputTokens: number,
): ResponderContext {
  return {
    model: resolved.model,
    requestedId: resolved.requestedId,
    seed: state.config.seed,
    outputTokens: state.config.responder.outputTokens,
    inputTokens,
  };
}

/** `trace.guardrail` for the response, when the request asked for it. */
export function guardrailTraceOf(
  prepared: PreparedConverse,
  guarded: GuardedGeneration,
): Record<string, unknown> | undefined {
  return prepared.traceGuardrail && guarded.verdicts
    ? converseGuardrailTrace(guarded.verdicts)
    : undefined;
}

function guardrailFor(
  state: EmulatorState,
  config: WireGuardrailConfig | undefined,
): GuardrailConfig | undefined {
  if (!config?.guardrailIdentifier) return undefined;
  const guardrail = findGuardrail(
    state.config,
    config.guardrailIdentifier,
    config.guardrailVersion,
  );
  if (!guardrail) throw awsErrors.validation(GUARDRAIL_NOT_FOUND);
  return guardrail;
}
