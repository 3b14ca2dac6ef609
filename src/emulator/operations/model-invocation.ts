import type { CatalogModel } from "../catalog/catalog-model.js";
import type { ResolvedModel } from "../catalog/model-catalog.js";
import { awsErrors, type EmulatorError } from "../emulator-error.js";
import type {
  Generation,
  InvocationMetrics,
  StreamChunk,
  TextCall,
} from "../families/invocation-types.js";
import { ConnectionReset, type EmulatorRequest } from "../server/emulator-request.js";
import { countTokens } from "../state/count-tokens.js";
import type { EmulatorState } from "../state/emulator-state.js";
import type { FaultKind } from "../state/fault-plan.js";
import type { CacheApi, CachePlan, CacheUsage } from "../state/prompt-cache.js";
import type { QuotaLease } from "../state/quota-ledger.js";
import { encodeException } from "../wire/event-stream-encoder.js";

// The steps every model operation (InvokeModel, InvokeModelWithResponseStream, Converse,
// ConverseStream) shares: resolve the model id, parse the JSON body, admit against the quota,
// draw a fault, generate, pace by the latency model, and account for the result.

/** Tokens charged per input image: a flat figure, as we never decode the image. */
export const IMAGE_INPUT_TOKENS = 1_000;

/** Resolves the `{modelId}` path label against the catalog (throws Bedrock's errors). */
export function resolveModel(state: EmulatorState, modelId: string): ResolvedModel {
  return state.catalog.resolve(modelId);
}

/** Parses a request body as JSON, or throws the ValidationException Bedrock sends. */
export function parseJsonBody(request: EmulatorRequest): unknown {
  if (request.body.length === 0)
    throw awsErrors.validation(
      "Malformed input request, please reformat your input and try again.",
    );
  try {
    return JSON.parse(request.body.toString("utf8"));
  } catch {
    throw awsErrors.validation(
      "Malformed input request, please reformat your input and try again.",
    );
  }
}

/** The input tokens a text call is charged. */
export function inputTokensOf(call: TextCall): number {
  return countTokens(call.promptText) + call.imageCount * IMAGE_INPUT_TOKENS;
}

/** Quota keys a model's per-model settings (latency) may be configured under. */
export function settingKeys(resolved: ResolvedModel): string[] {
  return [resolved.requestedId, resolved.quotaKey, resolved.model.modelId];
}

/**
 * Looks a call's cache points up in the prompt cache (throws Bedrock's refusals of cache points
 * the model does not take). Commit the plan once the call is admitted and past its fault draw.
 */
export function planCache(
  state: EmulatorState,
  resolved: ResolvedModel,
  call: TextCall,
  api: CacheApi,
): CachePlan {
  return state.promptCache.plan(resolved.model, call.cachePoints ?? [], api);
}

/** Admits a call against its quota (throws ThrottlingException / ServiceUnavailableException). */
export function admit(
  state: EmulatorState,
  resolved: ResolvedModel,
  inputTokens: number,
  maxTokens: number,
): QuotaLease {
  const burndown = state.quotas.burndownFor(resolved.quotaKey) ?? resolved.model.outputBurndown;
  return state.quotas.admit(resolved.quotaKey, {
    inputTokens,
    maxTokens,
    outputBurndown: burndown,
  });
}

/** The error a pre-response fault answers with, or undefined for faults that act later. */
export function faultError(fault: FaultKind | undefined): EmulatorError | undefined {
  let error: EmulatorError | undefined;
  switch (fault) {
    case "internalServerError":
      error = awsErrors.internal();
      break;
    case "serviceUnavailable":
      error = awsErrors.serviceUnavailable();
      break;
    case "modelNotReady":
      error = awsErrors.modelNotReady();
      break;
    case "modelTimeout":
      error = awsErrors.modelTimeout();
      break;
    default:
      return undefined;
  }
  error.outcome = `fault:${fault}`;
  return error;
}

/** Rewrites a reply as a model that ignored its format instructions would (a seeded fault). */
export function malformReply(generation: Generation, fault: FaultKind | undefined): Generation {
  if (fault === "malformedProse") {
    const text = `Sure! Here is the answer you asked for:\n\n${generation.text}\n\nLet me know if you need anything else.`;
    return { ...generation, text, outputTokens: countTokens(text) };
  }
  if (fault === "malformedTruncated") {
    const text = generation.text.slice(0, Math.max(1, Math.floor(generation.text.length / 2)));
    return { ...generation, text, outputTokens: countTokens(text) };
  }
  return generation;
}

/**
 * How the statistics count a request that got its reply: `ok`, or `fault:<kind>` when the
 * reply itself carries the fault (malformed text, a connection cut after the 200), so that
 * every injected fault is counted, not only those that end in an error response.
 */
export function replyOutcome(fault: FaultKind | undefined): string {
  return fault === "malformedProse" || fault === "malformedTruncated" || fault === "connectionReset"
    ? `fault:${fault}`
    : "ok";
}

/**
 * Planned latencies for a generation (first byte, and the whole invocation) and its token
 * counts: the input less what the prompt cache read or wrote, with the cache counts for models
 * that cache.
 */
export function plannedMetrics(
  state: EmulatorState,
  resolved: ResolvedModel,
  generation: Pick<Generation, "inputTokens" | "outputTokens">,
  cache?: CacheUsage,
): InvocationMetrics {
  const keys = settingKeys(resolved);
  const firstByte = state.latency.firstTokenMs(keys);
  const output = state.latency.outputMs(keys, generation.outputTokens);
  const read = cache?.readTokens ?? 0;
  const write = cache?.writeTokens ?? 0;
  return {
    inputTokens: Math.max(0, generation.inputTokens - read - write),
    outputTokens: generation.outputTokens,
    firstByteLatencyMs: Math.round(firstByte),
    invocationLatencyMs: Math.round(firstByte + output),
    ...(resolved.model.promptCache ? { cache: { readTokens: read, writeTokens: write } } : {}),
  };
}

/** The token-count and latency headers Bedrock adds to InvokeModel responses. */
export function usageHeaders(metrics: InvocationMetrics): Record<string, string> {
  return {
    "x-amzn-bedrock-input-token-count": String(metrics.inputTokens),
    "x-amzn-bedrock-output-token-count": String(metrics.outputTokens),
    "x-amzn-bedrock-invocation-latency": String(metrics.invocationLatencyMs),
    ...(metrics.cache
      ? {
          "x-amzn-bedrock-cache-read-input-token-count": String(metrics.cache.readTokens),
          "x-amzn-bedrock-cache-write-input-token-count": String(metrics.cache.writeTokens),
        }
      : {}),
  };
}

export interface StreamPlan {
  readonly operation: string;
  readonly resolved: ResolvedModel;
  readonly chunks: readonly StreamChunk[];
  readonly fault: FaultKind | undefined;
  readonly lease: QuotaLease;
  /** Input tokens read from the prompt cache: given back to the quota when the call ends. */
  readonly cacheReadTokens?: number;
  readonly generation: Generation;
  /** Encodes one chunk as an event-stream frame. */
  encode(chunk: StreamChunk, index: number): Uint8Array;
}

/**
 * Yields a stream's frames paced by the latency model, applying stream faults: a truncated
 * stream drops its final chunks, a mid-stream exception replaces the second half, a reset
 * throws `ConnectionReset`. Releases the quota lease and records statistics when done.
 */
export function paceStream(
  state: EmulatorState,
  request: EmulatorRequest,
  plan: StreamPlan,
): AsyncGenerator<Uint8Array> {
  const progress = { started: false };
  // A client that goes away before the router starts writing the stream means the generator
  // never runs its body, so it would never release the lease (a concurrency slot and a TPM
  // reservation lost for good) nor count the request: do both here instead.
  const abandon = () => {
    if (progress.started) return;
    progress.started = true;
    plan.lease.release(0, plan.cacheReadTokens);
    state.stats.record({
      operation: plan.operation,
      modelId: plan.resolved.requestedId,
      outcome: "client-aborted",
      inputTokens: plan.generation.inputTokens,
      outputTokens: 0,
    });
  };
  if (request.signal.aborted) abandon();
  else request.signal.addEventListener("abort", abandon, { once: true });
  return paceFrames(state, request, plan, progress);
}

async function* paceFrames(
  state: EmulatorState,
  request: EmulatorRequest,
  plan: StreamPlan,
  progress: { started: boolean },
): AsyncGenerator<Uint8Array> {
  if (progress.started) return;
  progress.started = true;
  const keys = settingKeys(plan.resolved);
  const { chunks, fault } = plan;
  const cutAt = Math.max(1, Math.floor(chunks.length / 2));
  let outputTokens = 0;
  let outcome = replyOutcome(fault);
  state.stats.inFlight++;
  try {
    const firstToken = state.latency.firstTokenMs(keys);
    if (firstToken > 0) await state.clock.sleep(firstToken, request.signal);
    for (let index = 0; index < chunks.length; index++) {
      const chunk = chunks[index]!;
      if (fault === "streamTruncated" && chunk.final) {
        outcome = "fault:streamTruncated";
        return;
      }
      if (index === cutAt && (fault === "midStreamThrottling" || fault === "modelStreamError")) {
        const error =
          fault === "midStreamThrottling" ? awsErrors.throttling() : awsErrors.modelStreamError();
        outcome = `fault:${fault}`;
        yield encodeException(error);
        return;
      }
      if (index === cutAt && fault === "connectionReset") {
        outcome = "fault:connectionReset";
        throw new ConnectionReset();
      }
      const pause = state.latency.outputMs(keys, chunk.outputTokens);
      if (pause > 0) await state.clock.sleep(pause, request.signal);
      outputTokens += chunk.outputTokens;
      yield plan.encode(chunk, index);
    }
    // Sent whole: charge what the reply reports, which counts tool-call tokens exactly.
    outputTokens = plan.generation.outputTokens;
  } catch (error) {
    if (!(error instanceof ConnectionReset)) outcome = "client-aborted";
    throw error;
  } finally {
    state.stats.inFlight--;
    plan.lease.release(outputTokens, plan.cacheReadTokens);
    state.stats.record({
      operation: plan.operation,
      modelId: plan.resolved.requestedId,
      outcome,
      inputTokens: plan.generation.inputTokens,
      outputTokens,
    });
  }
}

/** Waits out a non-streaming reply's latency, honouring client disconnects. */
export async function waitForReply(
  state: EmulatorState,
  request: EmulatorRequest,
  metrics: InvocationMetrics,
): Promise<void> {
  if (metrics.invocationLatencyMs > 0)
    await state.clock.sleep(metrics.invocationLatencyMs, request.signal);
}

/** The catalog entry must support the operation, else Bedrock's ValidationException. */
export function requireCapability(model: CatalogModel, capability: "streaming" | "converse"): void {
  if (capability === "streaming" && !model.streaming) {
    throw awsErrors.validation("The model is unsupported for streaming.");
  }
  if (capability === "converse" && !model.converse) {
    throw awsErrors.validation(
      "This action doesn't support the model that you provided. Try again with a supported text or chat model.",
    );
  }
}
