import type { GuardrailConfig } from "../config/emulator-config.js";

// A guardrail's verdict on some text, in the wire shapes of the bedrock-runtime service model
// (GuardrailAssessment, GuardrailUsage, GuardrailCoverage):
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_GuardrailAssessment.html
// Denied words match whole words or phrases, case-insensitively; a denied topic is detected when
// any of its phrases appears the same way. Usage is counted in text units of up to 1,000
// characters (https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-use-independent-api.html),
// charged to each configured policy.

/** Characters in one guardrail text unit. */
export const TEXT_UNIT_CHARACTERS = 1_000;

/** Options for `assessGuardrail`. */
export interface AssessOptions {
  /**
   * `outputScope: FULL`: also list topics that were not detected (word filters never are).
   * @default false
   */
  readonly full?: boolean;
  /**
   * Characters that were sent but not guarded (grounding sources, queries), for coverage.
   * @default 0
   */
  readonly unguardedCharacters?: number;
}

/** `GuardrailUsage`. */
export interface GuardrailUsage {
  readonly topicPolicyUnits: number;
  readonly contentPolicyUnits: number;
  readonly wordPolicyUnits: number;
  readonly sensitiveInformationPolicyUnits: number;
  readonly sensitiveInformationPolicyFreeUnits: number;
  readonly contextualGroundingPolicyUnits: number;
}

/** A guardrail's verdict on some text. */
export interface GuardrailVerdict {
  readonly intervened: boolean;
  /** `GuardrailAssessment`, invocation metrics included. */
  readonly assessment: Record<string, unknown>;
  readonly usage: GuardrailUsage;
  readonly coverage: {
    readonly textCharacters: { readonly guarded: number; readonly total: number };
  };
  /** `actionReason` as Bedrock words it. */
  readonly actionReason: string;
}

/** Assesses `texts` against a guardrail's denied words and topics. */
export function assessGuardrail(
  guardrail: GuardrailConfig,
  texts: readonly string[],
  options: AssessOptions = {},
): GuardrailVerdict {
  const topics = guardrail.deniedTopics.flatMap((topic) => {
    const detected = texts.some((text) =>
      topic.phrases.some((phrase) => containsPhrase(text, phrase)),
    );
    if (!detected && !options.full) return [];
    return [{ name: topic.name, type: "DENY", action: detected ? "BLOCKED" : "NONE", detected }];
  });
  const words = guardrail.deniedWords
    .filter((word) => texts.some((text) => containsPhrase(text, word)))
    .map((word) => ({ match: word, action: "BLOCKED", detected: true }));
  const intervened = words.length > 0 || topics.some((topic) => topic.detected);

  const guarded = texts.reduce((sum, text) => sum + text.length, 0);
  const units = guarded === 0 ? 0 : Math.ceil(guarded / TEXT_UNIT_CHARACTERS);
  const usage: GuardrailUsage = {
    topicPolicyUnits: guardrail.deniedTopics.length > 0 ? units : 0,
    contentPolicyUnits: 0,
    wordPolicyUnits: guardrail.deniedWords.length > 0 ? units : 0,
    sensitiveInformationPolicyUnits: 0,
    sensitiveInformationPolicyFreeUnits: 0,
    contextualGroundingPolicyUnits: 0,
  };
  const coverage = {
    textCharacters: { guarded, total: guarded + (options.unguardedCharacters ?? 0) },
  };
  const assessment: Record<string, unknown> = {
    ...(topics.length > 0 ? { topicPolicy: { topics } } : {}),
    ...(words.length > 0 ? { wordPolicy: { customWords: words, managedWordLists: [] } } : {}),
    invocationMetrics: { guardrailProcessingLatency: 0, usage, guardrailCoverage: coverage },
  };
  return {
    intervened,
    assessment,
    usage,
    coverage,
    actionReason: intervened ? "Guardrail blocked." : "No action.",
  };
}

/** Whether `phrase` occurs in `text` as whole words, ignoring case. */
export function containsPhrase(text: string, phrase: string): boolean {
  const trimmed = phrase.trim();
  if (!trimmed) return false;
  const escaped = trimmed.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\s+/g, "\\s+");
  return new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, "iu").test(text);
}
