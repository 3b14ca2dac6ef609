// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
import {
  guardrailTraceOf,
  prepareConverse,
  responderContextFor,
} from "../converse/prepare-converse.js";
import { renderConverseResponse } from "../converse/render-converse-response.js";
import { guardGeneration } from "../guardrails/guard-generation.js";
import type { Operation } from "../server/operation.js";
import type { CacheUsage } from "../state/prompt-cache.js";
import {
  admit,
  faultError,
  inputTokensOf,
  malformReply,
  planCache,
  plannedMetrics,
  replyOutcome,
  waitForReply,
} from "./model-invocation.js";

export const converse: Operation = {
  name: "Converse",
  method: "POST",
  path: "/model/{modelId}/converse",
  async handle(request, params, state) {
    const prepared = prepareConverse(request, params, state, false);
    const { resolved, mapped } = prepared;
    const inputTokens = inputTokensOf(mapped.call);
    const cache = planCache(state, resolved, mapped.call, "converse");
    const lease = admit(state, resolved, inputTokens, mapped.reserveTokens);
    let released = false;
    try {
      const fault = state.faults.draw("Converse", { streaming: false, text: true });
      const error = faultError(fault);
      if (error) throw error;
      // A blocked input never reaches the model, so it neither reads nor writes the cache.
      const cached: { usage?: CacheUsage } = {};
      const guarded = guardGeneration(prepared.guardrail, mapped.guardedInput, () => {
        cache.commit();
        cached.usage = cache.usage;
        return malformReply(
          state.responder.generate(mapped.call, responderContextFor(state, resolved, inputTokens)),
          fault,
        );
      });
      const { generation } = guarded;
      const metrics = plannedMetrics(state, resolved, generation, cached.usage);
      state.stats.inFlight++;
      try {
        await waitForReply(state, request, metrics);
      } finally {
        state.stats.inFlight--;
      }
      const trace = guardrailTraceOf(prepared, guarded);
      const body = JSON.stringify(
        renderConverseResponse(generation, {
          metrics,
          request: prepared.body,
          ...(trace ? { guardrailTrace: trace } : {}),
        }),
      );
      lease.release(generation.outputTokens, cached.usage?.readTokens);
      released = true;
      const reset = fault === "connectionReset";
      state.stats.record({
        operation: "Converse",
        modelId: resolved.requestedId,
        outcome: replyOutcome(fault),
        inputTokens: generation.inputTokens,
        outputTokens: generation.outputTokens,
      });
      return {
        status: 200,
        headers: { "content-type": "application/json" },
        body,
        ...(reset ? { resetAfterBytes: Math.floor(body.length / 2) } : {}),
      };
    } finally {
      if (!released) lease.release(0);
    }
  },
};
