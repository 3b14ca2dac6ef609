// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ApplyGuardrail.html
import {
  ApplyGuardrailCommand,
  type ApplyGuardrailResponse,
  type GuardrailContentBlock,
} from "@aws-sdk/client-bedrock-runtime";
import { QuarryError } from "../errors/quarry-error.js";
import { withSignal } from "./call-signals.js";
import { estimateTextTokens } from "./estimate-tokens.js";
import { describeGuardrailTrace } from "./from-converse-output.js";
import type { QuarryContext } from "./quarry-context.js";

/** Checks text against a guardrail without calling a model. */
export interface ApplyGuardrailRequest {
  /** The guardrail's id or ARN. */
  readonly identifier: string;
  /** @default "DRAFT" */
  readonly version?: string;
  /** Whether the text is a user's input or a model's output. @default "INPUT" */
  readonly source?: "INPUT" | "OUTPUT";
  /** The text to check, or several texts. */
  readonly content: string | readonly string[];
  /** `FULL` returns every assessment, not only the ones that intervened. */
  readonly outputScope?: "INTERVENTIONS" | "FULL";
  readonly signal?: AbortSignal;
}

/** The guardrail's verdict. */
export interface ApplyGuardrailResult {
  /** True when the guardrail intervened. */
  readonly blocked: boolean;
  /** `GUARDRAIL_INTERVENED` or `NONE`. */
  readonly action: string;
  /** Bedrock's reason, or the policies that blocked, when it intervened. */
  readonly reason: string | undefined;
  /** What to show instead (the blocked messaging, or masked text), when it intervened. */
  readonly outputs: string[];
  readonly assessments: ApplyGuardrailResponse["assessments"];
  readonly usage: ApplyGuardrailResponse["usage"];
}

/** ApplyGuardrail, scheduled on a lane of its own (guardrails have their own quota). */
export async function applyGuardrail(
  context: QuarryContext,
  request: ApplyGuardrailRequest,
): Promise<ApplyGuardrailResult> {
  if (typeof request?.identifier !== "string" || request.identifier === "")
    throw new QuarryError("input.guardrail", "applyGuardrail needs the guardrail's identifier.");
  const texts = typeof request.content === "string" ? [request.content] : request.content;
  if (!Array.isArray(texts) || texts.length === 0)
    throw new QuarryError("input.content", "applyGuardrail needs content: a string or strings.");
  const content: GuardrailContentBlock[] = texts.map((text) => ({ text: { text } }));
  const response = await context.schedule<ApplyGuardrailResponse>({
    model: { modelId: `guardrail/${request.identifier}`, outputBurndown: 1, route: "guardrail" },
    operation: "ApplyGuardrail",
    // A guardrail lives in one Region: the first target's.
    pinned: true,
    signal: request.signal,
    inputTokens: texts.reduce((sum, text) => sum + estimateTextTokens(text), 0),
    maxTokens: 1,
    fullMaxTokens: 1,
    attempt: ({ signal, target }) =>
      target.client.send(
        withSignal(
          new ApplyGuardrailCommand({
            guardrailIdentifier: request.identifier,
            guardrailVersion: request.version ?? "DRAFT",
            source: request.source ?? "INPUT",
            content,
            ...(request.outputScope ? { outputScope: request.outputScope } : {}),
          }),
          signal,
        ),
      ),
    usage: () => ({ inputTokens: 0, outputTokens: 0 }),
  });
  const blocked = response.action === "GUARDRAIL_INTERVENED";
  return {
    blocked,
    action: response.action ?? "NONE",
    reason: blocked
      ? (response.actionReason ?? describeGuardrailTrace(response.assessments))
      : undefined,
    outputs: (response.outputs ?? []).map((output) => output.text ?? ""),
    assessments: response.assessments,
    usage: response.usage,
  };
}
