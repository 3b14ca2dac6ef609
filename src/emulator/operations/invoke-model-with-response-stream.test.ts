import {
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ModelStreamErrorException,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { jsonBody, runtimeClient } from "../../test-support/sdk-clients.js";
import { streamChunks } from "../families/__fixtures__/fixture-kit.js";
import { type Emulator, startEmulator } from "../start-emulator.js";

const LLAMA4 = "us.meta.llama4-scout-17b-instruct-v1:0";

describe("InvokeModelWithResponseStream across families", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterAll(() => emulator.close());
  afterEach(() => {
    emulator.configure({
      faults: { streamTruncated: 0, midStreamThrottling: 0, modelStreamError: 0 },
    });
  });

  it("refuses models that do not stream (Llama 4, embeddings, images) as Bedrock does", async () => {
    const client = runtimeClient(emulator.url);
    const cases: [string, unknown][] = [
      [LLAMA4, { prompt: "hi" }],
      ["amazon.titan-embed-text-v2:0", { inputText: "hi" }],
      ["cohere.embed-english-v3", { texts: ["hi"], input_type: "search_query" }],
      ["stability.stable-diffusion-xl-v1", { text_prompts: [{ text: "hi" }] }],
      [
        "amazon.titan-image-generator-v1",
        { taskType: "TEXT_IMAGE", textToImageParams: { text: "hi" } },
      ],
    ];
    for (const [modelId, body] of cases) {
      const error = await client
        .send(new InvokeModelWithResponseStreamCommand({ modelId, body: JSON.stringify(body) }))
        .catch((failure: unknown) => failure);
      expect(error, modelId).toBeInstanceOf(ValidationException);
      expect((error as ValidationException).message).toBe(
        "The model is unsupported for streaming.",
      );
      expect((error as ValidationException).$metadata.httpStatusCode).toBe(400);
    }
    // Llama 4 still answers InvokeModel.
    const reply = jsonBody(
      (
        await client.send(
          new InvokeModelCommand({ modelId: LLAMA4, body: JSON.stringify({ prompt: "Say hi." }) }),
        )
      ).body,
    );
    expect(reply.stop_reason).toBe("stop");
    client.destroy();
  });

  it("truncates any family's stream before its final chunk on a streamTruncated fault", async () => {
    emulator.configure({
      faults: { streamTruncated: 1, operations: ["InvokeModelWithResponseStream"] },
    });
    const client = runtimeClient(emulator.url);
    for (const [modelId, body] of [
      ["amazon.titan-text-lite-v1", { inputText: "Write 30 words about sand." }],
      ["meta.llama3-8b-instruct-v1:0", { prompt: "Write 30 words about sand." }],
      [
        "amazon.nova-micro-v1:0",
        { messages: [{ role: "user", content: [{ text: "Write 30 words." }] }] },
      ],
      ["cohere.command-r-v1:0", { message: "Write 30 words about sand." }],
    ] as const) {
      const chunks = await streamChunks(
        await client.send(
          new InvokeModelWithResponseStreamCommand({ modelId, body: JSON.stringify(body) }),
        ),
      );
      expect(chunks.length, modelId).toBeGreaterThan(0);
      expect(
        chunks.some((chunk) => "amazon-bedrock-invocationMetrics" in chunk),
        modelId,
      ).toBe(false);
    }
    client.destroy();
  });

  it("sends mid-stream exceptions after the 200 that the SDK raises while iterating", async () => {
    const client = runtimeClient(emulator.url, { http1: true });
    const read = async (modelId: string, body: unknown) => {
      const response = await client.send(
        new InvokeModelWithResponseStreamCommand({ modelId, body: JSON.stringify(body) }),
      );
      return streamChunks(response).catch((failure: unknown) => failure);
    };
    emulator.configure({
      faults: { midStreamThrottling: 1, operations: ["InvokeModelWithResponseStream"] },
    });
    expect(
      await read("amazon.nova-lite-v1:0", {
        messages: [{ role: "user", content: [{ text: "Write 40 words about sand." }] }],
      }),
    ).toBeInstanceOf(ThrottlingException);
    emulator.configure({
      faults: {
        midStreamThrottling: 0,
        modelStreamError: 1,
        operations: ["InvokeModelWithResponseStream"],
      },
    });
    const failure = await read("mistral.mistral-7b-instruct-v0:2", {
      prompt: "[INST] Write 40 words about sand. [/INST]",
    });
    expect(failure).toBeInstanceOf(ModelStreamErrorException);
    client.destroy();
  });
});
