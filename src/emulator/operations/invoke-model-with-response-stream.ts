// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModelWithResponseStream.html
import { awsErrors } from "../emulator-error.js";
import { dialectFor } from "../families/dialects.js";
import { invokeWithGuardrail } from "../guardrails/guarded-invoke.js";
import type { Operation } from "../server/operation.js";
import { encodeEvent } from "../wire/event-stream-encoder.js";
import {
  admit,
  faultError,
  inputTokensOf,
  malformReply,
  paceStream,
  parseJsonBody,
  planCache,
  plannedMetrics,
  requireCapability,
  resolveModel,
} from "./model-invocation.js";

// Bedrock pads each chunk with a random-length `p` field so that the size of an encrypted frame
// does not reveal the length of its text; we pad deterministically.
const PADDING = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/** The `p` padding of the n-th chunk. */
export function chunkPadding(index: number): string {
  return PADDING.slice(0, 1 + ((index * 7) % PADDING.length));
}

export const invokeModelWithResponseStream: Operation = {
  name: "InvokeModelWithResponseStream",
  method: "POST",
  path: "/model/{modelId}/invoke-with-response-stream",
  async handle(request, params, state) {
    const guarded = await invokeWithGuardrail(
      request,
      params,
      state,
      "InvokeModelWithResponseStream",
    );
    if (guarded) return guarded;
    const resolved = resolveModel(state, params.modelId!);
    requireCapability(resolved.model, "streaming");
    const body = parseJsonBody(request);
    const dialect = dialectFor(resolved.model.dialect);
    // The catalog marks embedding and image models (and Llama 4) as not streaming; a model
    // configured to stream must still speak a text dialect.
    if (dialect.output !== "text")
      throw awsErrors.validation("The model is unsupported for streaming.");
    const call = dialect.parseRequest(body, resolved.model);
    const inputTokens = inputTokensOf(call);
    const cache = planCache(state, resolved, call, "invoke");
    const lease = admit(state, resolved, inputTokens, call.maxTokens);
    const fault = state.faults.draw("InvokeModelWithResponseStream", {
      streaming: true,
      text: true,
    });
    const error = faultError(fault);
    if (error) {
      lease.release(0);
      throw error;
    }
    cache.commit();
    const generation = malformReply(
      state.responder.generate(call, {
        model: resolved.model,
        requestedId: resolved.requestedId,
        seed: state.config.seed,
        outputTokens: state.config.responder.outputTokens,
        inputTokens,
      }),
      fault,
    );
    const metrics = plannedMetrics(state, resolved, generation, cache.usage);
    const chunks = dialect.renderStream(generation, {
      model: resolved.model,
      requestId: request.requestId,
      metrics,
      call,
    });
    return {
      status: 200,
      headers: {
        "content-type": "application/vnd.amazon.eventstream",
        "x-amzn-bedrock-content-type": "application/json",
      },
      stream: paceStream(state, request, {
        operation: "InvokeModelWithResponseStream",
        resolved,
        chunks,
        fault,
        lease,
        cacheReadTokens: cache.usage.readTokens,
        generation,
        encode: (chunk, index) =>
          encodeEvent("chunk", {
            bytes: Buffer.from(JSON.stringify(chunk.payload)).toString("base64"),
            p: chunkPadding(index),
          }),
      }),
    };
  },
};
