import {
  type BedrockRuntimeClient,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonBody, runtimeClient } from "../../test-support/sdk-clients.js";
import { type Emulator, startEmulator } from "../start-emulator.js";
import {
  fixtureBody,
  loadFixture,
  malformed,
  recordUsageHeaders,
  refusal,
  shapeMismatches,
  streamChunks,
} from "./__fixtures__/fixture-kit.js";
import { parseLlamaPrompt } from "./llama.js";

const LLAMA3 = "meta.llama3-70b-instruct-v1:0";
const VISION = "us.meta.llama3-2-11b-instruct-v1:0";

function template(user: string): string {
  return `<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n${user}<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n`;
}

describe("Meta Llama through the real AWS SDK", () => {
  let emulator: Emulator;
  let client: BedrockRuntimeClient;
  let usage: ReturnType<typeof recordUsageHeaders>;
  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      config: {
        responder: {
          // Anchored: it only matches if the template tokens were taken off the user's words.
          script: [{ pattern: "^Tell me a joke about (\\w+)\\.$", reply: "Why did the $1 blush?" }],
        },
      },
    });
    client = runtimeClient(emulator.url);
    usage = recordUsageHeaders(client);
  });
  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  it("answers the documented request with the documented response shape and usage headers", async () => {
    const response = await client.send(
      new InvokeModelCommand({ modelId: LLAMA3, body: fixtureBody("llama-request") }),
    );
    const body = jsonBody(response.body);
    expect(shapeMismatches(body, loadFixture("llama-response"))).toEqual([]);
    expect(body.stop_reason).toBe("stop");
    expect(usage()).toMatchObject({
      input: body.prompt_token_count,
      output: body.generation_token_count,
    });
    // The template tokens are not charged as words: the user's sentence is 14 tokens.
    expect(body.prompt_token_count).toBe(14);
  });

  it("streams chunks of the same fields that add up to the non-streamed text", async () => {
    const body = JSON.stringify({
      prompt: template("Write 50 words about quartz."),
      max_gen_len: 300,
    });
    const whole = jsonBody(
      (await client.send(new InvokeModelCommand({ modelId: LLAMA3, body }))).body,
    );
    const chunks = await streamChunks(
      await client.send(new InvokeModelWithResponseStreamCommand({ modelId: LLAMA3, body })),
    );
    // Chunks carry the response's fields; a count or reason not known yet is null.
    const documented = loadFixture("llama-response");
    const chunkShape = {
      ...documented,
      body: { ...documented.body, prompt_token_count: "int|null", stop_reason: "string|null" },
    };
    const last = chunks.at(-1);
    const { "amazon-bedrock-invocationMetrics": metrics, ...lastFields } = last;
    for (const chunk of [...chunks.slice(0, -1), lastFields])
      expect(shapeMismatches(chunk, chunkShape)).toEqual([]);
    expect(chunks.map((chunk) => chunk.generation).join("")).toBe(whole.generation);
    expect(chunks[0].prompt_token_count).toBe(whole.prompt_token_count);
    expect(chunks.slice(1).every((chunk) => chunk.prompt_token_count === null)).toBe(true);
    expect(chunks.slice(0, -1).every((chunk) => chunk.stop_reason === null)).toBe(true);
    expect(last.stop_reason).toBe("stop");
    expect(last.generation_token_count).toBe(whole.generation_token_count);
    expect(metrics).toMatchObject({
      inputTokenCount: whole.prompt_token_count,
      outputTokenCount: whole.generation_token_count,
    });
  });

  it("shows responders the user's words, not the chat template", async () => {
    const body = jsonBody(
      (
        await client.send(
          new InvokeModelCommand({
            modelId: LLAMA3,
            body: JSON.stringify({ prompt: template("Tell me a joke about granite.") }),
          }),
        )
      ).body,
    );
    expect(body.generation).toBe("Why did the granite blush?");
  });

  it("stops at max_gen_len with stop_reason length", async () => {
    const body = jsonBody(
      (
        await client.send(
          new InvokeModelCommand({
            modelId: LLAMA3,
            body: JSON.stringify({
              prompt: template("Write 300 words about basalt."),
              max_gen_len: 7,
            }),
          }),
        )
      ).body,
    );
    expect(body).toMatchObject({ generation_token_count: 7, stop_reason: "length" });
  });

  it("takes images on the 3.2 vision models only", async () => {
    const withImage = { prompt: template("What is in this picture?"), images: ["iVBORw0KGgo="] };
    const response = await client.send(
      new InvokeModelCommand({ modelId: VISION, body: JSON.stringify(withImage) }),
    );
    expect(jsonBody(response.body).stop_reason).toBe("stop");
    expect(await refusal(client, LLAMA3, withImage)).toEqual({
      name: "ValidationException",
      message: malformed("#: extraneous key [images] is not permitted"),
      status: 400,
    });
  });

  it("refuses a missing key, a wrong type and out-of-range values in Bedrock's words", async () => {
    expect((await refusal(client, LLAMA3, { max_gen_len: 10 })).message).toBe(
      malformed("#: required key [prompt] not found"),
    );
    expect((await refusal(client, LLAMA3, { prompt: "hi", temperature: "warm" })).message).toBe(
      malformed("#/temperature: expected type: Number, found: String"),
    );
    expect((await refusal(client, LLAMA3, { prompt: "hi", max_gen_len: 4096 })).message).toBe(
      malformed("#/max_gen_len: 4096 is not less or equal to 2048"),
    );
    expect((await refusal(client, LLAMA3, { prompt: "hi", top_p: -0.1 })).message).toBe(
      malformed("#/top_p: -0.1 is not greater or equal to 0"),
    );
  });
});

describe("parseLlamaPrompt", () => {
  it("reads the system prompt and every turn, dropping the open assistant header", () => {
    const prompt =
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>" +
      "<|start_header_id|>user<|end_header_id|>\n\nWhat is the capital of France?<|eot_id|>" +
      "<|start_header_id|>assistant<|end_header_id|>\n\nParis.<|eot_id|>" +
      "<|start_header_id|>user<|end_header_id|>\n\nAnd of Italy?<|eot_id|>" +
      "<|start_header_id|>assistant<|end_header_id|>\n\n";
    expect(parseLlamaPrompt(prompt)).toEqual({
      system: "You are terse.",
      turns: [
        { role: "user", text: "What is the capital of France?" },
        { role: "assistant", text: "Paris." },
        { role: "user", text: "And of Italy?" },
      ],
    });
  });

  it("treats a prompt without the template as one user turn", () => {
    expect(parseLlamaPrompt("  Name three rocks.  ")).toEqual({
      system: "",
      turns: [{ role: "user", text: "Name three rocks." }],
    });
  });
});
