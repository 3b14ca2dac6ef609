// The Converse response body.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_ResponseSyntax
import type { Generation, InvocationMetrics } from "../families/invocation-types.js";
import type { ConverseRequestBody } from "./converse-request.js";

/** What a Converse response carries besides the generation. */
export interface ConverseRenderContext {
  readonly metrics: InvocationMetrics;
  readonly request: ConverseRequestBody;
  /** `trace.guardrail`, when the request asked for a guardrail trace. */
  readonly guardrailTrace?: unknown;
}

/** The assistant message's content blocks: the text (if any, or if nothing else), then tool uses. */
export function converseContent(generation: Generation): unknown[] {
  const content: unknown[] = [];
  if (generation.text || generation.toolCalls.length === 0) content.push({ text: generation.text });
  for (const call of generation.toolCalls)
    content.push({ toolUse: { toolUseId: call.id, name: call.name, input: call.input } });
  return content;
}

/**
 * `usage` as Converse reports it: `inputTokens` is the input not read from nor written to the
 * prompt cache, and models that cache add both cache counts (see `state/prompt-cache.ts`).
 */
export function converseUsage(generation: Generation, metrics: InvocationMetrics) {
  const cache = metrics.cache;
  const cached = cache ? cache.readTokens + cache.writeTokens : 0;
  const inputTokens = Math.min(metrics.inputTokens, generation.inputTokens);
  return {
    inputTokens,
    outputTokens: generation.outputTokens,
    totalTokens: inputTokens + cached + generation.outputTokens,
    ...(cache
      ? { cacheReadInputTokens: cache.readTokens, cacheWriteInputTokens: cache.writeTokens }
      : {}),
  };
}

/**
 * `additionalModelResponseFields` for `additionalModelResponseFieldPaths`: the JSON pointers
 * into the model's native response that the emulator can answer (`/stop_sequence`).
 */
export function additionalResponseFields(
  request: ConverseRequestBody,
  generation: Generation,
): Record<string, unknown> | undefined {
  const paths = request.additionalModelResponseFieldPaths ?? [];
  const native: Record<string, unknown> = { stop_sequence: generation.stopSequence ?? null };
  const fields: Record<string, unknown> = {};
  for (const path of paths) {
    const key = path.replace(/^\//, "");
    if (key in native) fields[key] = native[key];
  }
  return Object.keys(fields).length > 0 ? fields : undefined;
}

/** The echoes of `performanceConfig` and `serviceTier` Bedrock adds to responses. */
export function requestEchoes(request: ConverseRequestBody): Record<string, unknown> {
  return {
    ...(request.performanceConfig ? { performanceConfig: request.performanceConfig } : {}),
    ...(request.serviceTier ? { serviceTier: request.serviceTier } : {}),
  };
}

/** The whole Converse response body. */
export function renderConverseResponse(generation: Generation, context: ConverseRenderContext) {
  const additional = additionalResponseFields(context.request, generation);
  return {
    output: { message: { role: "assistant", content: converseContent(generation) } },
    stopReason: generation.stopReason,
    usage: converseUsage(generation, context.metrics),
    metrics: { latencyMs: context.metrics.invocationLatencyMs },
    ...(additional ? { additionalModelResponseFields: additional } : {}),
    ...(context.guardrailTrace !== undefined
      ? { trace: { guardrail: context.guardrailTrace } }
      : {}),
    ...requestEchoes(context.request),
  };
}
