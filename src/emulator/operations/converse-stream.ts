// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
import {
  guardrailTraceOf,
  prepareConverse,
  responderContextFor,
} from "../converse/prepare-converse.js";
import { type ConverseEvent, renderConverseStream } from "../converse/render-converse-stream.js";
import { guardGeneration } from "../guardrails/guard-generation.js";
import type { Operation } from "../server/operation.js";
import type { CacheUsage } from "../state/prompt-cache.js";
import { encodeEvent } from "../wire/event-stream-encoder.js";
import {
  admit,
  faultError,
  inputTokensOf,
  malformReply,
  paceStream,
  planCache,
  plannedMetrics,
} from "./model-invocation.js";

export const converseStream: Operation = {
  name: "ConverseStream",
  method: "POST",
  path: "/model/{modelId}/converse-stream",
  async handle(request, params, state) {
    const prepared = prepareConverse(request, params, state, true);
    const { resolved, mapped } = prepared;
    const inputTokens = inputTokensOf(mapped.call);
    const cache = planCache(state, resolved, mapped.call, "converse");
    const lease = admit(state, resolved, inputTokens, mapped.reserveTokens);
    const fault = state.faults.draw("ConverseStream", { streaming: true, text: true });
    const error = faultError(fault);
    if (error) {
      lease.release(0);
      throw error;
    }
    // With a guardrail the whole reply is assessed before the first event, as in the default
    // synchronous stream processing mode.
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
    const trace = guardrailTraceOf(prepared, guarded);
    const chunks = renderConverseStream(generation, {
      metrics,
      request: prepared.body,
      ...(trace ? { guardrailTrace: trace } : {}),
    });
    return {
      status: 200,
      headers: { "content-type": "application/vnd.amazon.eventstream" },
      stream: paceStream(state, request, {
        operation: "ConverseStream",
        resolved,
        chunks,
        fault,
        lease,
        cacheReadTokens: cached.usage?.readTokens ?? 0,
        generation,
        encode: (chunk) => {
          const { event, body } = chunk.payload as ConverseEvent;
          return encodeEvent(event, body);
        },
      }),
    };
  },
};
