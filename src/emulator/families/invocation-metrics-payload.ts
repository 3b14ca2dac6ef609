import type { InvocationMetrics } from "./invocation-types.js";

/**
 * The `amazon-bedrock-invocationMetrics` object Bedrock adds to the last chunk of an
 * InvokeModelWithResponseStream reply, whatever the family.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/inference-invoke.html
 */
export function invocationMetricsPayload(metrics: InvocationMetrics): Record<string, number> {
  return {
    inputTokenCount: metrics.inputTokens,
    outputTokenCount: metrics.outputTokens,
    invocationLatency: metrics.invocationLatencyMs,
    firstByteLatency: metrics.firstByteLatencyMs,
    // Models that cache add the cache counters (bedrock-facts.md §2.4).
    ...(metrics.cache
      ? {
          cacheReadInputTokenCount: metrics.cache.readTokens,
          cacheWriteInputTokenCount: metrics.cache.writeTokens,
        }
      : {}),
  };
}
