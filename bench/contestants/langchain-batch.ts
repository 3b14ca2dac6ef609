// LangChain.js: `ChatBedrockConverse` from @langchain/aws, the records run with
// `.batch(inputs, { maxConcurrency })`, which the Runnable interface documents as the way to
// process many inputs in parallel with a bound on concurrency
// (https://reference.langchain.com/javascript/types/_langchain_core.runnables.RunnableBatchOptions.html;
// `returnExceptions` keeps one failure from failing the batch). `maxRetries: 2` is the value in
// the ChatBedrockConverse documentation's own example (its tsdoc, "Instantiate"). The client is
// passed in because the `endpointHost` option builds an https:// URL and the emulator serves
// http://; the client is otherwise what ChatBedrockConverse builds itself (SDK defaults).
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { ChatBedrockConverse } from "@langchain/aws";
import type { AIMessage } from "@langchain/core/messages";
import { type Contestant, EMULATOR_CREDENTIALS, errorLabel } from "./contestant.js";

/** `maxConcurrency` of the batch: the same 16 as the other pooled peers. */
export const LANGCHAIN_CONCURRENCY = 16;

export const langchainBatch: Contestant = {
  name: "langchain-batch",
  configuration: `ChatBedrockConverse({ maxTokens, maxRetries: 2 }).batch(prompts, { maxConcurrency: ${LANGCHAIN_CONCURRENCY} }, { returnExceptions: true })`,
  async run(run) {
    const client = new BedrockRuntimeClient({
      endpoint: run.endpoint,
      region: run.region,
      credentials: EMULATOR_CREDENTIALS,
    });
    const model = new ChatBedrockConverse({
      model: run.modelId,
      region: run.region,
      credentials: EMULATOR_CREDENTIALS,
      maxTokens: run.maxTokens,
      maxRetries: 2,
      client,
    });
    try {
      const outputs = await model.batch(
        run.items.map((item) => item.prompt),
        { maxConcurrency: LANGCHAIN_CONCURRENCY, signal: run.signal },
        { returnExceptions: true },
      );
      if (run.signal.aborted) return;
      outputs.forEach((output, index) => {
        const id = run.items[index]!.id;
        if (output instanceof Error) {
          run.report({ id, ok: false, error: errorLabel(output) });
          return;
        }
        const message = output as AIMessage;
        run.report({
          id,
          ok: true,
          inputTokens: message.usage_metadata?.input_tokens ?? 0,
          outputTokens: message.usage_metadata?.output_tokens ?? 0,
          stopReason: String(message.response_metadata?.stopReason ?? "unknown"),
        });
      });
    } finally {
      client.destroy();
    }
  },
};
