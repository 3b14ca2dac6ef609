import type { GuardrailConfig } from "../config/emulator-config.js";
import type { GuardrailVerdict } from "./assess-guardrail.js";

// Guardrail traces as Converse and InvokeModel report them:
// - Converse `trace.guardrail` (GuardrailTraceAssessment): `inputAssessment` maps the guardrail
//   id to one assessment, `outputAssessments` to a list, plus `modelOutput` and `actionReason`
//   (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_GuardrailTraceAssessment.html);
// - InvokeModel `amazon-bedrock-trace.guardrail`: `input` maps the id to an assessment and
//   `outputs` is a list of such maps (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-use-invoke-model.html).

/** The verdicts of one guarded call. */
export interface GuardedVerdicts {
  readonly guardrail: GuardrailConfig;
  readonly input: GuardrailVerdict;
  /** Absent when the input was blocked and the model never ran. */
  readonly output?: GuardrailVerdict;
  /** The model's own text, when the output was blocked. */
  readonly blockedOutput?: string;
}

/** Whether the guardrail intervened on the input or the output. */
export function intervened(verdicts: GuardedVerdicts): boolean {
  return verdicts.input.intervened || verdicts.output?.intervened === true;
}

/** `trace.guardrail` of a Converse response or stream metadata event. */
export function converseGuardrailTrace(verdicts: GuardedVerdicts): Record<string, unknown> {
  const id = verdicts.guardrail.id;
  return {
    ...(verdicts.blockedOutput !== undefined ? { modelOutput: [verdicts.blockedOutput] } : {}),
    inputAssessment: { [id]: verdicts.input.assessment },
    ...(verdicts.output ? { outputAssessments: { [id]: [verdicts.output.assessment] } } : {}),
    ...(intervened(verdicts) ? { actionReason: actionReasonOf(verdicts) } : {}),
  };
}

/** `amazon-bedrock-trace` of an InvokeModel body or final stream chunk. */
export function invokeGuardrailTrace(verdicts: GuardedVerdicts): Record<string, unknown> {
  const id = verdicts.guardrail.id;
  return {
    guardrail: {
      ...(verdicts.blockedOutput !== undefined ? { modelOutput: [verdicts.blockedOutput] } : {}),
      input: { [id]: verdicts.input.assessment },
      ...(verdicts.output ? { outputs: [{ [id]: verdicts.output.assessment }] } : {}),
      ...(intervened(verdicts) ? { actionReason: actionReasonOf(verdicts) } : {}),
    },
  };
}

function actionReasonOf(verdicts: GuardedVerdicts): string {
  return verdicts.input.intervened ? verdicts.input.actionReason : verdicts.output!.actionReason;
}
