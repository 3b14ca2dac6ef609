// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html
import { awsErrors } from "../emulator-error.js";
import { dialectFor } from "../families/dialects.js";
import type { TextDialect } from "../families/invocation-types.js";
import type { Operation } from "../server/operation.js";
import {
  admit,
  faultError,
  inputTokensOf,
  malformReply,
  parseJsonBody,
  plannedMetrics,
  resolveModel,
  usageHeaders,
  waitForReply,
} from "./model-invocation.js";

export const invokeModel: Operation = {
  name: "InvokeModel",
  method: "POST",
  path: "/model/{modelId}/invoke",
  async handle(request, params, state) {
    const resolved = resolveModel(state, params.modelId!);
    const body = parseJsonBody(request);
    const dialect = dialectFor(resolved.model.dialect);
    if (dialect.output !== "text")
      throw awsErrors.validation("Embedding and image models are not implemented yet.");
    return invokeText(dialect, body);

    async function invokeText(textDialect: TextDialect, json: unknown) {
      const call = textDialect.parseRequest(json, resolved.model);
      const inputTokens = inputTokensOf(call);
      const lease = admit(state, resolved, inputTokens, call.maxTokens);
      let released = false;
      try {
        const fault = state.faults.draw("InvokeModel", { streaming: false, text: true });
        const error = faultError(fault);
        if (error) throw error;
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
        const metrics = plannedMetrics(state, resolved, generation);
        state.stats.inFlight++;
        try {
          await waitForReply(state, request, metrics);
        } finally {
          state.stats.inFlight--;
        }
        const requestId = request.requestId;
        const responseBody = JSON.stringify(
          textDialect.renderResponse(generation, { model: resolved.model, requestId, metrics }),
        );
        lease.release(generation.outputTokens);
        released = true;
        const reset = fault === "connectionReset";
        state.stats.record({
          operation: "InvokeModel",
          modelId: resolved.requestedId,
          outcome: reset ? "fault:connectionReset" : "ok",
          inputTokens,
          outputTokens: generation.outputTokens,
        });
        return {
          status: 200,
          headers: { "content-type": "application/json", ...usageHeaders(metrics) },
          body: responseBody,
          ...(reset ? { resetAfterBytes: Math.floor(responseBody.length / 2) } : {}),
        };
      } finally {
        if (!released) lease.release(0);
      }
    }
  },
};
