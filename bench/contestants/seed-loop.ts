// The seed notebook's loop (shared/seeds/000_cf33f82f78135167.txt §2, §5, §6), ported from
// boto3 to the AWS SDK for JavaScript: one record at a time, a 1 s sleep between calls, up to
// 3 attempts that retry only ThrottlingException after 2^attempt + random() seconds. The client
// is created with defaults, as the notebook creates `boto3.client("bedrock-runtime")`; the body
// is the notebook's `construct_body` (the prompt prefixed with "Human: ", content as a string).
// One change in the loop's favour: a record that fails is written down as failed and the loop
// goes on, where the notebook's exception would end the run.
import { BedrockRuntimeClient, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { parseClaudeResponse } from "./claude-body.js";
import { type Contestant, EMULATOR_CREDENTIALS, errorLabel } from "./contestant.js";

const MAX_RETRIES = 3;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function constructBody(prompt: string, maxTokens: number): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: maxTokens,
      messages: [{ role: "user", content: `Human: ${prompt}` }],
    }),
  );
}

export const seedLoop: Contestant = {
  name: "seed-loop",
  configuration:
    "sequential; sleep 1 s between calls; 3 attempts, only ThrottlingException retried after " +
    "2^attempt + random() s; default BedrockRuntimeClient (as the notebook's default boto3 client)",
  async run(run) {
    const client = new BedrockRuntimeClient({
      endpoint: run.endpoint,
      region: run.region,
      credentials: EMULATOR_CREDENTIALS,
    });
    const callWithRetry = async (prompt: string) => {
      for (let attempt = 0; ; attempt++) {
        try {
          const response = await client.send(
            new InvokeModelCommand({
              modelId: run.modelId,
              body: constructBody(prompt, run.maxTokens),
              contentType: "application/json",
            }),
            { abortSignal: run.signal },
          );
          return parseClaudeResponse(response.body);
        } catch (error) {
          const throttled = (error as Error).name === "ThrottlingException";
          if (!throttled || attempt >= MAX_RETRIES - 1) throw error;
          await sleep((2 ** attempt + Math.random()) * 1000, run.signal);
        }
      }
    };
    try {
      for (let index = 0; index < run.items.length && !run.signal.aborted; index++) {
        const item = run.items[index]!;
        try {
          const reply = await callWithRetry(item.prompt);
          run.report({ id: item.id, ok: true, ...reply });
        } catch (error) {
          if (run.signal.aborted) return;
          run.report({ id: item.id, ok: false, error: errorLabel(error) });
        }
        if (index < run.items.length - 1) await sleep(1000, run.signal);
      }
    } finally {
      client.destroy();
    }
  },
};
