// The Vercel AI SDK: `generateText` from ai@6 with @ai-sdk/amazon-bedrock's
// `createAmazonBedrock({ baseURL, region, accessKeyId, secretAccessKey })` (its documented
// settings: https://ai-sdk.dev/providers/ai-sdk-providers/amazon-bedrock). Retries are the SDK's
// own, `maxRetries` at its documented default of 2
// (https://ai-sdk.dev/docs/reference/ai-sdk-core/generate-text). The AI SDK has no concurrency
// limit of its own, so the records go through a pool of 16 in flight, as for the other peers.
import { createAmazonBedrock } from "@ai-sdk/amazon-bedrock";
import { generateText } from "ai";
import { type Contestant, EMULATOR_CREDENTIALS, errorLabel, forEachPooled } from "./contestant.js";

/** Records in flight at once. */
export const VERCEL_CONCURRENCY = 16;

export const vercelAi: Contestant = {
  name: "vercel-ai-sdk",
  configuration: `generateText({ model: createAmazonBedrock({ baseURL })(modelId), maxOutputTokens, maxRetries: 2 }), a pool of ${VERCEL_CONCURRENCY} in flight`,
  async run(run) {
    const bedrock = createAmazonBedrock({
      baseURL: run.endpoint,
      region: run.region,
      accessKeyId: EMULATOR_CREDENTIALS.accessKeyId,
      secretAccessKey: EMULATOR_CREDENTIALS.secretAccessKey,
    });
    const model = bedrock(run.modelId);
    await forEachPooled(run.items, VERCEL_CONCURRENCY, run.signal, async (item) => {
      try {
        const result = await generateText({
          model,
          prompt: item.prompt,
          maxOutputTokens: run.maxTokens,
          maxRetries: 2,
          abortSignal: run.signal,
        });
        run.report({
          id: item.id,
          ok: true,
          inputTokens: result.usage.inputTokens ?? 0,
          outputTokens: result.usage.outputTokens ?? 0,
          stopReason: result.finishReason,
        });
      } catch (error) {
        if (run.signal.aborted) return;
        run.report({ id: item.id, ok: false, error: errorLabel(error) });
      }
    });
  },
};
