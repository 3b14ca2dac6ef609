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

const COMMAND_R = "cohere.command-r-v1:0";
const COMMAND_R_PLUS = "cohere.command-r-plus-v1:0";
const FINISH_REASONS = [
  "COMPLETE",
  "MAX_TOKENS",
  "ERROR",
  "ERROR_TOXIC",
  "ERROR_LIMIT",
  "USER_CANCEL",
];

describe("Cohere Command R through the real AWS SDK", () => {
  let emulator: Emulator;
  let client: BedrockRuntimeClient;
  let usage: ReturnType<typeof recordUsageHeaders>;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    client = runtimeClient(emulator.url);
    usage = recordUsageHeaders(client);
  });
  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  it("answers the documented request with the documented response shape and usage headers", async () => {
    for (const modelId of [COMMAND_R, COMMAND_R_PLUS]) {
      const response = await client.send(
        new InvokeModelCommand({ modelId, body: fixtureBody("cohere-command-r-request") }),
      );
      const body = jsonBody(response.body);
      expect(shapeMismatches(body, loadFixture("cohere-command-r-response"))).toEqual([]);
      expect(FINISH_REASONS).toContain(body.finish_reason);
      expect(body.chat_history.at(-1)).toEqual({ role: "CHATBOT", message: body.text });
      expect(usage()).toMatchObject({
        input: body.meta.billed_units.input_tokens,
        output: body.meta.billed_units.output_tokens,
      });
    }
  });

  it("streams stream-start, text-generation and stream-end events adding up to the reply", async () => {
    const body = JSON.stringify({
      message: "Write 40 words about chalk.",
      chat_history: [
        { role: "USER", message: "Hello" },
        { role: "CHATBOT", message: "Hi! What can I do for you?" },
      ],
      preamble: "You are a geologist.",
    });
    const whole = jsonBody(
      (await client.send(new InvokeModelCommand({ modelId: COMMAND_R, body }))).body,
    );
    const chunks = await streamChunks(
      await client.send(new InvokeModelWithResponseStreamCommand({ modelId: COMMAND_R, body })),
    );
    expect(chunks[0]).toMatchObject({ is_finished: false, event_type: "stream-start" });
    const last = chunks.at(-1);
    expect(last).toMatchObject({
      is_finished: true,
      event_type: "stream-end",
      finish_reason: "COMPLETE",
    });
    expect(chunks.slice(1, -1).every((chunk) => chunk.event_type === "text-generation")).toBe(true);
    expect(
      chunks
        .filter((chunk) => chunk.event_type === "text-generation")
        .map((chunk) => chunk.text)
        .join(""),
    ).toBe(whole.text);
    expect(shapeMismatches(last.response, loadFixture("cohere-command-r-response"))).toEqual([]);
    expect(last.response.chat_history).toEqual(whole.chat_history);
    expect(last["amazon-bedrock-invocationMetrics"].outputTokenCount).toBe(
      whole.meta.billed_units.output_tokens,
    );
  });

  it("stops at max_tokens with MAX_TOKENS", async () => {
    const body = jsonBody(
      (
        await client.send(
          new InvokeModelCommand({
            modelId: COMMAND_R,
            body: JSON.stringify({ message: "Write 100 words about flint.", max_tokens: 4 }),
          }),
        )
      ).body,
    );
    expect(body).toMatchObject({
      finish_reason: "MAX_TOKENS",
      meta: { billed_units: { output_tokens: 4 } },
    });
  });

  it("refuses bad bodies in Bedrock's words", async () => {
    expect(await refusal(client, COMMAND_R, { prompt: "hi" })).toEqual({
      name: "ValidationException",
      message: malformed(
        "#: required key [message] not found",
        "#: extraneous key [prompt] is not permitted",
      ),
      status: 400,
    });
    expect(
      (
        await refusal(client, COMMAND_R, {
          message: "hi",
          p: 1,
          stop_sequences: ["a", "b", "c", "d", "e"],
        })
      ).message,
    ).toBe(
      malformed(
        "#/p: 1 is not less or equal to 0.99",
        "#/stop_sequences: expected maximum item count: 4, found: 5",
      ),
    );
    expect(
      (
        await refusal(client, COMMAND_R, {
          message: "hi",
          chat_history: [{ role: "BOT", message: "x" }],
        })
      ).message,
    ).toBe(malformed("#/chat_history/0/role: BOT is not a valid enum value"));
    expect((await refusal(client, COMMAND_R, { message: "hi", max_tokens: "many" })).message).toBe(
      malformed("#/max_tokens: expected type: Integer, found: String"),
    );
  });
});
