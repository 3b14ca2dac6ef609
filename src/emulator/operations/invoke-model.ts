// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModel.html
import type { ResolvedModel } from "../catalog/model-catalog.js";
import { dialectFor } from "../families/dialects.js";
import type {
  EmbeddingDialect,
  ImageDialect,
  InvocationMetrics,
  TextDialect,
} from "../families/invocation-types.js";
import { invokeWithGuardrail } from "../guardrails/guarded-invoke.js";
import { embedText } from "../responders/embedder.js";
import { renderPngImage } from "../responders/png-image.js";
import type { EmulatorRequest, EmulatorResponse } from "../server/emulator-request.js";
import type { Operation } from "../server/operation.js";
import { countTokens } from "../state/count-tokens.js";
import type { EmulatorState } from "../state/emulator-state.js";
import type { FaultKind } from "../state/fault-plan.js";
import type { CachePlan } from "../state/prompt-cache.js";
import {
  admit,
  faultError,
  inputTokensOf,
  malformReply,
  parseJsonBody,
  planCache,
  plannedMetrics,
  replyOutcome,
  resolveModel,
  usageHeaders,
  waitForReply,
} from "./model-invocation.js";

export const invokeModel: Operation = {
  name: "InvokeModel",
  method: "POST",
  path: "/model/{modelId}/invoke",
  async handle(request, params, state) {
    const guarded = await invokeWithGuardrail(request, params, state, "InvokeModel");
    if (guarded) return guarded;
    const resolved = resolveModel(state, params.modelId!);
    const body = parseJsonBody(request);
    const dialect = dialectFor(resolved.model.dialect);
    const invocation: Invocation = { request, state, resolved };
    switch (dialect.output) {
      case "text":
        return invokeText(invocation, dialect, body);
      case "embedding":
        return invokeEmbedding(invocation, dialect, body);
      case "image":
        return invokeImage(invocation, dialect, body);
    }
  },
};

/** One InvokeModel call in progress. */
interface Invocation {
  readonly request: EmulatorRequest;
  readonly state: EmulatorState;
  readonly resolved: ResolvedModel;
}

/** What a call asks of the quota when it starts. */
interface Demand {
  readonly inputTokens: number;
  /** Reserved at admission; embedding and image models reserve no output. */
  readonly maxTokens: number;
  /** Text replies can also get the malformed-output faults. */
  readonly text: boolean;
  /** What the prompt cache does for the call (text calls with cache points). */
  readonly cache?: CachePlan;
}

/** What the model produced, and how to write it as the family's response body. */
interface Reply {
  readonly outputTokens: number;
  body(metrics: InvocationMetrics): unknown;
}

function invokeText(invocation: Invocation, dialect: TextDialect, json: unknown) {
  const { state, request, resolved } = invocation;
  const call = dialect.parseRequest(json, resolved.model);
  const inputTokens = inputTokensOf(call);
  const cache = planCache(state, resolved, call, "invoke");
  const demand = { inputTokens, maxTokens: call.maxTokens, text: true, cache };
  return answer(invocation, demand, (fault) => {
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
    return {
      outputTokens: generation.outputTokens,
      body: (metrics) =>
        dialect.renderResponse(generation, {
          model: resolved.model,
          requestId: request.requestId,
          metrics,
          call,
        }),
    };
  });
}

function invokeEmbedding(invocation: Invocation, dialect: EmbeddingDialect, json: unknown) {
  const { state, request, resolved } = invocation;
  const call = dialect.parseRequest(json, resolved.model);
  const inputTokens = call.texts.reduce((sum, text) => sum + countTokens(text), 0);
  return answer(invocation, { inputTokens, maxTokens: 0, text: false }, () => {
    const vectors = call.texts.map((text) =>
      embedText(text, {
        dimensions: call.dimensions,
        normalize: call.normalize,
        seed: state.config.seed,
      }),
    );
    return {
      outputTokens: 0,
      body: (metrics) =>
        dialect.renderResponse(call, vectors, inputTokens, {
          model: resolved.model,
          requestId: request.requestId,
          metrics,
        }),
    };
  });
}

function invokeImage(invocation: Invocation, dialect: ImageDialect, json: unknown) {
  const { request, resolved } = invocation;
  const call = dialect.parseRequest(json, resolved.model);
  const inputTokens = countTokens(call.promptText);
  return answer(invocation, { inputTokens, maxTokens: 0, text: false }, () => {
    const pngs = Array.from({ length: call.count }, (_, index) =>
      renderPngImage({
        prompt: call.prompt,
        seed: call.seed + index,
        width: call.width,
        height: call.height,
      }),
    );
    return {
      outputTokens: 0,
      body: (metrics) =>
        dialect.renderResponse(call, pngs, {
          model: resolved.model,
          requestId: request.requestId,
          metrics,
        }),
    };
  });
}

/**
 * The steps every InvokeModel reply shares: admit against the quota, draw a fault, produce,
 * wait out the planned latency, render with the usage headers, refund the unused reservation
 * and count the call. A fault or a disconnect releases the whole reservation.
 */
async function answer(
  invocation: Invocation,
  demand: Demand,
  produce: (fault: FaultKind | undefined) => Reply,
): Promise<EmulatorResponse> {
  const { state, request, resolved } = invocation;
  const lease = admit(state, resolved, demand.inputTokens, demand.maxTokens);
  let released = false;
  try {
    const fault = state.faults.draw("InvokeModel", { streaming: false, text: demand.text });
    const error = faultError(fault);
    if (error) throw error;
    demand.cache?.commit();
    const reply = produce(fault);
    const metrics = plannedMetrics(
      state,
      resolved,
      { inputTokens: demand.inputTokens, outputTokens: reply.outputTokens },
      demand.cache?.usage,
    );
    state.stats.inFlight++;
    try {
      await waitForReply(state, request, metrics);
    } finally {
      state.stats.inFlight--;
    }
    const responseBody = JSON.stringify(reply.body(metrics));
    lease.release(reply.outputTokens, demand.cache?.usage.readTokens);
    released = true;
    const reset = fault === "connectionReset";
    state.stats.record({
      operation: "InvokeModel",
      modelId: resolved.requestedId,
      outcome: replyOutcome(fault),
      inputTokens: demand.inputTokens,
      outputTokens: reply.outputTokens,
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
