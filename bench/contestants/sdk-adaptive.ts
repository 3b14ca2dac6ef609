// The AWS SDK for JavaScript v3 on its own, with the client-side rate limiter AWS offers for
// throttling: `retryMode: "adaptive"`. The AWS SDKs and Tools Reference Guide, "Retry behavior"
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html), recommends
// adaptive mode for "single-resource, throttling-heavy, latency-tolerant" workloads (one model,
// one client: this one) and gives three attempts as its default `max_attempts`, which we keep.
// The SDK limits rate, not concurrency, so the records go through a pool of 16 in flight, a
// round number a user would pick. The request handler is the SDK's default.
import { BedrockRuntimeClient, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { claudeBody, parseClaudeResponse } from "./claude-body.js";
import { type Contestant, EMULATOR_CREDENTIALS, errorLabel, forEachPooled } from "./contestant.js";

/** Records in flight at once. */
export const SDK_CONCURRENCY = 16;

export const sdkAdaptive: Contestant = {
  name: "aws-sdk-adaptive",
  configuration: `BedrockRuntimeClient({ retryMode: "adaptive", maxAttempts: 3 }), a pool of ${SDK_CONCURRENCY} in flight`,
  async run(run) {
    const client = new BedrockRuntimeClient({
      endpoint: run.endpoint,
      region: run.region,
      credentials: EMULATOR_CREDENTIALS,
      retryMode: "adaptive",
      maxAttempts: 3,
    });
    try {
      await forEachPooled(run.items, SDK_CONCURRENCY, run.signal, async (item) => {
        try {
          const response = await client.send(
            new InvokeModelCommand({
              modelId: run.modelId,
              body: claudeBody(item.prompt, run.maxTokens),
              contentType: "application/json",
              accept: "application/json",
            }),
            { abortSignal: run.signal },
          );
          run.report({ id: item.id, ok: true, ...parseClaudeResponse(response.body) });
        } catch (error) {
          if (run.signal.aborted) return;
          run.report({ id: item.id, ok: false, error: errorLabel(error) });
        }
      });
    } finally {
      client.destroy();
    }
  },
};
