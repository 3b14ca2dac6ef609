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
import { titanUserText } from "./titan-text.js";

const EXPRESS = "amazon.titan-text-express-v1";
const COMPLETION_REASONS = ["FINISH", "LENGTH", "STOP_CRITERIA_MET", "CONTENT_FILTERED"];

describe("Titan Text through the real AWS SDK", () => {
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
    const response = await client.send(
      new InvokeModelCommand({ modelId: EXPRESS, body: fixtureBody("titan-text-request") }),
    );
    const body = jsonBody(response.body);
    expect(shapeMismatches(body, loadFixture("titan-text-response"))).toEqual([]);
    expect(COMPLETION_REASONS).toContain(body.results[0].completionReason);
    expect(body.results[0].outputText.length).toBeGreaterThan(0);
    expect(usage()).toMatchObject({
      input: body.inputTextTokenCount,
      output: body.results[0].tokenCount,
    });
    expect(usage().input).toBeGreaterThan(100);
  });

  it("streams documented chunks that add up to the non-streamed text, metrics on the last", async () => {
    const request = {
      inputText: "User: Write 40 words about granite.\nBot:",
      textGenerationConfig: { maxTokenCount: 300 },
    };
    const whole = jsonBody(
      (
        await client.send(
          new InvokeModelCommand({ modelId: EXPRESS, body: JSON.stringify(request) }),
        )
      ).body,
    );
    const http1 = runtimeClient(emulator.url, { http1: true });
    const chunks = await streamChunks(
      await http1.send(
        new InvokeModelWithResponseStreamCommand({
          modelId: EXPRESS,
          body: JSON.stringify(request),
        }),
      ),
    );
    http1.destroy();
    const chunkShape = loadFixture("titan-text-stream-chunk");
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks.slice(0, -1)) expect(shapeMismatches(chunk, chunkShape)).toEqual([]);
    const last = chunks.at(-1);
    const { "amazon-bedrock-invocationMetrics": metrics, ...lastChunk } = last;
    expect(shapeMismatches(lastChunk, chunkShape)).toEqual([]);
    expect(chunks.map((chunk) => chunk.outputText).join("")).toBe(whole.results[0].outputText);
    expect(chunks[0].inputTextTokenCount).toBe(whole.inputTextTokenCount);
    expect(last.completionReason).toBe("FINISH");
    expect(last.totalOutputTextTokenCount).toBe(whole.results[0].tokenCount);
    expect(metrics).toMatchObject({
      inputTokenCount: whole.inputTextTokenCount,
      outputTokenCount: whole.results[0].tokenCount,
    });
    expect(chunks.slice(0, -1).every((chunk) => chunk.completionReason === null)).toBe(true);
  });

  it("stops at maxTokenCount with LENGTH and at a stop sequence with STOP_CRITERIA_MET", async () => {
    const short = jsonBody(
      (
        await client.send(
          new InvokeModelCommand({
            modelId: EXPRESS,
            body: JSON.stringify({
              inputText: "Write 200 words about rivers.",
              textGenerationConfig: { maxTokenCount: 5 },
            }),
          }),
        )
      ).body,
    );
    expect(short.results[0]).toMatchObject({ tokenCount: 5, completionReason: "LENGTH" });

    const long = jsonBody(
      (
        await client.send(
          new InvokeModelCommand({
            modelId: EXPRESS,
            body: JSON.stringify({ inputText: "Write 60 words about rivers." }),
          }),
        )
      ).body,
    );
    const stop = long.results[0].outputText.split(" ")[3];
    const stopped = jsonBody(
      (
        await client.send(
          new InvokeModelCommand({
            modelId: EXPRESS,
            body: JSON.stringify({
              inputText: "Write 60 words about rivers.",
              textGenerationConfig: { stopSequences: [stop] },
            }),
          }),
        )
      ).body,
    );
    expect(stopped.results[0].completionReason).toBe("STOP_CRITERIA_MET");
    expect(stopped.results[0].outputText).not.toContain(stop);
  });

  it("refuses a missing key, an unknown key, a wrong type and out-of-range values in Bedrock's words", async () => {
    expect(await refusal(client, EXPRESS, { prompt: "hi" })).toEqual({
      name: "ValidationException",
      message: malformed(
        "#: required key [inputText] not found",
        "#: extraneous key [prompt] is not permitted",
      ),
      status: 400,
    });
    expect(
      (
        await refusal(client, EXPRESS, {
          inputText: "hi",
          textGenerationConfig: { maxTokens: 10 },
        })
      ).message,
    ).toBe(malformed("#/textGenerationConfig: extraneous key [maxTokens] is not permitted"));
    expect((await refusal(client, EXPRESS, { inputText: 42 })).message).toBe(
      malformed("#/inputText: expected type: String, found: Integer"),
    );
    // Express allows 8,192 output tokens, Lite 4,096: the limit follows the model.
    expect(
      (
        await refusal(client, EXPRESS, {
          inputText: "hi",
          textGenerationConfig: { maxTokenCount: 8193, temperature: 1.5 },
        })
      ).message,
    ).toBe(
      malformed(
        "#/textGenerationConfig/temperature: 1.5 is not less or equal to 1",
        "#/textGenerationConfig/maxTokenCount: 8193 is not less or equal to 8192",
      ),
    );
    expect(
      (
        await refusal(client, "amazon.titan-text-lite-v1", {
          inputText: "hi",
          textGenerationConfig: { maxTokenCount: 4097 },
        })
      ).message,
    ).toBe(malformed("#/textGenerationConfig/maxTokenCount: 4097 is not less or equal to 4096"));
    expect(
      (
        await refusal(client, EXPRESS, {
          inputText: "hi",
          textGenerationConfig: { topP: 0 },
        })
      ).message,
    ).toBe(malformed("#/textGenerationConfig/topP: 0 is not greater than 0"));
  });

  it("reads the user's words out of Titan's conversational format", () => {
    expect(titanUserText("User: What is granite?\nBot:")).toBe("What is granite?");
    expect(titanUserText("User: hi\nBot: hello\nUser: And basalt?\nBot:")).toBe("And basalt?");
    expect(titanUserText("Summarise this text.")).toBe("Summarise this text.");
  });
});
