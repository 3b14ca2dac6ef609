// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ApplyGuardrail.html
// Assesses text against a configured guardrail without invoking a model. Text blocks qualified
// only as `grounding_source` or `query` feed contextual grounding, which the emulator does not
// model, so they count toward coverage's total but are not guarded.
import { assertJsonDepth } from "../converse/assert-json-depth.js";
import { validateShape } from "../converse/validate-shape.js";
import { awsErrors } from "../emulator-error.js";
import { applyGuardrailRequestShape } from "../guardrails/apply-guardrail-shape.js";
import { assessGuardrail } from "../guardrails/assess-guardrail.js";
import { findGuardrail, GUARDRAIL_NOT_FOUND } from "../guardrails/find-guardrail.js";
import { jsonResponse } from "../server/emulator-request.js";
import type { Operation } from "../server/operation.js";
import { parseJsonBody } from "./model-invocation.js";

interface ApplyGuardrailBody {
  readonly source: "INPUT" | "OUTPUT";
  readonly content: readonly {
    readonly text?: { readonly text: string; readonly qualifiers?: readonly string[] };
    readonly image?: unknown;
  }[];
  readonly outputScope?: "INTERVENTIONS" | "FULL";
}

export const applyGuardrail: Operation = {
  name: "ApplyGuardrail",
  method: "POST",
  path: "/guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply",
  handle(request, params, state) {
    const json = parseJsonBody(request);
    assertJsonDepth(json);
    validateShape(json, applyGuardrailRequestShape);
    const body = json as ApplyGuardrailBody;
    const guardrail = findGuardrail(
      state.config,
      params.guardrailIdentifier!,
      params.guardrailVersion,
    );
    if (!guardrail) throw awsErrors.resourceNotFound(GUARDRAIL_NOT_FOUND);
    const fault = state.faults.draw("ApplyGuardrail", { streaming: false, text: false });
    if (fault === "internalServerError" || fault === "serviceUnavailable") {
      const error =
        fault === "internalServerError" ? awsErrors.internal() : awsErrors.serviceUnavailable();
      error.outcome = `fault:${fault}`;
      throw error;
    }

    const guarded: string[] = [];
    let unguarded = 0;
    let images = 0;
    for (const block of body.content) {
      if (block.image) images++;
      if (!block.text) continue;
      const qualifiers = block.text.qualifiers ?? [];
      if (qualifiers.length === 0 || qualifiers.includes("guard_content"))
        guarded.push(block.text.text);
      else unguarded += block.text.text.length;
    }
    const verdict = assessGuardrail(guardrail, guarded, {
      full: body.outputScope === "FULL",
      unguardedCharacters: unguarded,
    });
    const blockedMessage =
      body.source === "INPUT" ? guardrail.blockedInputMessaging : guardrail.blockedOutputsMessaging;
    state.stats.record({ operation: "ApplyGuardrail", outcome: "ok" });
    return jsonResponse(200, {
      usage: verdict.usage,
      action: verdict.intervened ? "GUARDRAIL_INTERVENED" : "NONE",
      actionReason: verdict.actionReason,
      outputs: verdict.intervened ? [{ text: blockedMessage }] : [],
      assessments: [verdict.assessment],
      guardrailCoverage: {
        ...verdict.coverage,
        ...(images > 0 ? { images: { guarded: 0, total: images } } : {}),
      },
    });
  },
};
