import type { GuardrailConfig } from "../config/emulator-config.js";
import type { Generation } from "../families/invocation-types.js";
import { assessGuardrail } from "./assess-guardrail.js";
import type { GuardedVerdicts } from "./guardrail-trace.js";

/** A generation and, when a guardrail ran, its verdicts. */
export interface GuardedGeneration {
  readonly generation: Generation;
  readonly verdicts?: GuardedVerdicts;
}

/**
 * Runs `generate` behind a guardrail, as Bedrock does for inference with a guardrail: a blocked
 * input never reaches the model (the reply is the guardrail's blocked-input message, no tokens
 * used); a blocked output is replaced by the blocked-output message (its tokens still count).
 * Both end with stop reason `guardrail_intervened`.
 */
export function guardGeneration(
  guardrail: GuardrailConfig | undefined,
  inputTexts: readonly string[],
  generate: () => Generation,
): GuardedGeneration {
  if (!guardrail) return { generation: generate() };
  const input = assessGuardrail(guardrail, inputTexts);
  if (input.intervened) {
    return {
      generation: {
        text: guardrail.blockedInputMessaging,
        toolCalls: [],
        stopReason: "guardrail_intervened",
        inputTokens: 0,
        outputTokens: 0,
      },
      verdicts: { guardrail, input },
    };
  }
  const generation = generate();
  const outputTexts = [
    generation.text,
    ...generation.toolCalls.map((call) => JSON.stringify(call.input)),
  ].filter((text) => text !== "");
  const output = assessGuardrail(guardrail, outputTexts);
  if (!output.intervened) return { generation, verdicts: { guardrail, input, output } };
  return {
    generation: {
      text: guardrail.blockedOutputsMessaging,
      toolCalls: [],
      stopReason: "guardrail_intervened",
      inputTokens: generation.inputTokens,
      outputTokens: generation.outputTokens,
    },
    verdicts: { guardrail, input, output, blockedOutput: generation.text },
  };
}
