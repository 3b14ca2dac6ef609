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

const COMMAND = "cohere.command-text-v14";
const COMMAND_LIGHT = "cohere.command-light-text-v14";
const FINISH_REASONS = [
  "COMPLETE",
  "MAX_TOKENS",
  "ERROR",
  "ERROR_TOXIC",
  "ERROR_LIMIT",
  "USER_CANCEL",
];

describe("Cohere Command (legacy) through the real AWS SDK", () => {
  let emulator: Emulator;
  let client: BedrockRuntimeClient;
  let usage: ReturnType<typeof recordUsageHeaders>;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    client = runtimeClient(emulator.url, { http1: true });
    usage = recordUsageHeaders(client);
  });
  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  it("answers the documented request with the documented generations shape", async () => {
    for (const modelId of [COMMAND, COMMAND_LIGHT]) {
      const response = await client.send(
        new InvokeModelCommand({ modelId, body: fixtureBody("cohere-command-request") }),
      );
      const body = jsonBody(response.body);
      expect(shapeMismatches(body, loadFixture("cohere-command-response"))).toEqual([]);
      expect(body.prompt).toBe(loadFixture("cohere-command-request").body.prompt);
      expect(FINISH_REASONS).toContain(body.generations[0].finish_reason);
      expect(usage().input).toBe(14);
      expect(usage().output).toBeGreaterThan(0);
    }
  });

  it("returns num_generations generations, with likelihoods when asked", async () => {
    const body = jsonBody(
      (
        await client.send(
          new InvokeModelCommand({
            modelId: COMMAND,
            body: JSON.stringify({
              prompt: "Name a rock.",
              num_generations: 3,
              return_likelihoods: "GENERATION",
            }),
          }),
        )
      ).body,
    );
    expect(body.generations).toHaveLength(3);
    expect(new Set(body.generations.map((generation: any) => generation.id)).size).toBe(3);
    for (const generation of body.generations) {
      expect(generation.likelihood).toBeLessThanOrEqual(0);
      expect(generation.token_likelihoods.map((entry: any) => entry.token).join("")).toBe(
        generation.text,
      );
    }
  });

  it("streams generations chunks adding up to the reply, finish reason and metrics on the last", async () => {
    const body = fixtureBody("cohere-command-request");
    const whole = jsonBody(
      (await client.send(new InvokeModelCommand({ modelId: COMMAND, body }))).body,
    );
    const chunks = await streamChunks(
      await client.send(new InvokeModelWithResponseStreamCommand({ modelId: COMMAND, body })),
    );
    expect(chunks.map((chunk) => chunk.generations[0].text).join("")).toBe(
      whole.generations[0].text,
    );
    const last = chunks.at(-1);
    expect(last.generations[0].finish_reason).toBe("COMPLETE");
    expect(chunks.slice(0, -1).every((chunk) => !("finish_reason" in chunk.generations[0]))).toBe(
      true,
    );
    expect(last["amazon-bedrock-invocationMetrics"].outputTokenCount).toBeGreaterThan(0);
  });

  it("refuses bad bodies in Bedrock's words", async () => {
    expect(
      (
        await refusal(client, COMMAND, {
          prompt: "hi",
          temperature: 6,
          num_generations: 6,
          truncate: "MIDDLE",
        })
      ).message,
    ).toBe(
      malformed(
        "#/temperature: 6 is not less or equal to 5",
        "#/num_generations: 6 is not less or equal to 5",
        "#/truncate: MIDDLE is not a valid enum value",
      ),
    );
    expect((await refusal(client, COMMAND, { prompt: "hi", stop_sequences: "END" })).message).toBe(
      malformed("#/stop_sequences: expected type: JSONArray, found: String"),
    );
    expect((await refusal(client, COMMAND, { message: "hi" })).message).toBe(
      malformed(
        "#: required key [prompt] not found",
        "#: extraneous key [message] is not permitted",
      ),
    );
  });
});
