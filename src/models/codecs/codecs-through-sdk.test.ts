// Every codec against the emulator through the real AWS SDK: the body `buildRequest` makes is
// serialised by the SDK, accepted by the emulator's own (independent) dialect, and the answer
// it sends back — whole and streamed — is read by `parseResponse` and the stream parser.
import {
  type BedrockRuntimeClient,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../../emulator/start-emulator.js";
import { runtimeClient } from "../../test-support/sdk-clients.js";
import type { ImageRequest, ResponseHeaders, StreamPart, TextRequest } from "../model-codec.js";
import { embeddingCodecOf, imageCodecOf, resolveModel, textCodecOf } from "../resolve-model.js";

let emulator: Emulator;
let client: BedrockRuntimeClient;
let lastHeaders: ResponseHeaders = {};

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  client = runtimeClient(emulator.url);
  // The token-count headers are not modelled, so the SDK drops them; keep the raw ones.
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      lastHeaders = (result.response as { headers?: ResponseHeaders }).headers ?? {};
      return result;
    },
    { step: "deserialize", name: "captureHeaders" },
  );
});
afterAll(async () => {
  client?.destroy();
  await emulator?.close();
});

async function invoke(modelId: string, body: unknown) {
  const response = await client.send(
    new InvokeModelCommand({
      modelId,
      contentType: "application/json",
      accept: "application/json",
      body: JSON.stringify(body),
    }),
  );
  return { body: response.body, headers: lastHeaders };
}

async function stream(modelId: string, body: unknown, parse: (chunk: unknown) => StreamPart[]) {
  const response = await client.send(
    new InvokeModelWithResponseStreamCommand({
      modelId,
      contentType: "application/json",
      body: JSON.stringify(body),
    }),
  );
  const parts: StreamPart[] = [];
  for await (const event of response.body ?? []) if (event.chunk) parts.push(...parse(event));
  return parts;
}

const ask: TextRequest = {
  system: "You answer in one sentence.",
  messages: [{ role: "user", content: "Describe a river in about twenty words." }],
  maxTokens: 200,
  temperature: 0.5,
};

const TEXT_MODELS = [
  "anthropic.claude-3-haiku-20240307-v1:0",
  "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
  "amazon.nova-lite-v1:0",
  "meta.llama3-8b-instruct-v1:0",
  "mistral.mistral-7b-instruct-v0:2",
  "mistral.mistral-large-2407-v1:0",
  "amazon.titan-text-express-v1",
  "cohere.command-r-v1:0",
  "cohere.command-text-v14",
];

describe.each(TEXT_MODELS)("%s through the real SDK", (modelId) => {
  const model = resolveModel(modelId);
  const codec = textCodecOf(model);
  // Sonnet 4.5 takes temperature or top_p, and Titan rejects a system prompt nowhere: one ask for all.
  const request = model.temperatureOrTopP ? { ...ask, topP: undefined } : ask;

  it("InvokeModel: the emulator accepts the body and the codec reads the answer", async () => {
    const { body, headers } = await invoke(modelId, codec.buildRequest(request, model));
    const result = codec.parseResponse(body, headers);
    expect(result.text.length).toBeGreaterThan(0);
    expect(["end_turn", "max_tokens"]).toContain(result.stopReason);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
  });

  it("InvokeModelWithResponseStream: text parts in order, then one finish with usage", async () => {
    const parser = codec.createStreamParser();
    const body = codec.buildRequest(request, model, { stream: true });
    const parts = await stream(modelId, body, (chunk) => parser.parse(chunk));
    const finish = parser.finish();
    const types = parts.map((part) => part.type);
    expect(types[0]).toBe("text-start");
    expect(types.at(-1)).toBe("text-end");
    expect(types.filter((type) => type === "text-delta").length).toBeGreaterThan(1);
    expect(finish).toHaveLength(1);
    expect(finish[0]).toMatchObject({ type: "finish" });
    const usage = (finish[0] as Extract<StreamPart, { type: "finish" }>).usage;
    expect(usage.outputTokens).toBeGreaterThan(0);
  });
});

describe("tool use through the real SDK", () => {
  const tools = [
    {
      name: "top_song",
      description: "Get the most popular song played on a radio station.",
      inputSchema: {
        type: "object",
        properties: { sign: { type: "string", description: "The call sign, e.g. WZPZ." } },
        required: ["sign"],
      },
    },
  ];
  it.each([
    "anthropic.claude-3-haiku-20240307-v1:0",
    "amazon.nova-pro-v1:0",
    "mistral.mistral-large-2407-v1:0",
    "cohere.command-r-v1:0",
  ])("%s asks for the tool and takes its result back", async (modelId) => {
    const model = resolveModel(modelId);
    const codec = textCodecOf(model);
    const first: TextRequest = {
      messages: [{ role: "user", content: "What is the most popular song on WZPZ?" }],
      tools,
      toolChoice: modelId.startsWith("cohere") ? undefined : { type: "any" },
      maxTokens: 300,
    };
    const reply = codec.parseResponse(
      (await invoke(modelId, codec.buildRequest(first, model))).body,
    );
    expect(reply.stopReason).toBe("tool_use");
    const call = reply.toolCalls[0]!;
    expect(call.toolName).toBe("top_song");
    const second: TextRequest = {
      messages: [
        ...first.messages,
        { role: "assistant", content: reply.content },
        {
          role: "user",
          content: [
            {
              type: "tool-result",
              toolCallId: call.toolCallId,
              toolName: call.toolName,
              content: "Elemental Hotel",
            },
          ],
        },
      ],
      tools,
      maxTokens: 300,
    };
    const answer = codec.parseResponse(
      (await invoke(modelId, codec.buildRequest(second, model))).body,
    );
    expect(answer.text.length).toBeGreaterThan(0);
  });
});

describe("embeddings and images through the real SDK", () => {
  it.each([
    ["amazon.titan-embed-text-v2:0", { dimensions: 256 }, 256],
    ["amazon.titan-embed-text-v1", {}, 1536],
    ["cohere.embed-english-v3", { inputType: "search_query" as const }, 1024],
  ])("%s returns one vector per text", async (modelId, options, length) => {
    const model = resolveModel(modelId);
    const codec = embeddingCodecOf(model);
    const texts = ["a river", "a mountain"].slice(0, codec.maxBatch);
    const { body, headers } = await invoke(modelId, codec.buildRequest(texts, options));
    const result = codec.parseResponse(body, headers);
    expect(result.vectors).toHaveLength(texts.length);
    expect(result.vectors[0]).toHaveLength(length);
  });

  it.each([
    [
      "stability.stable-diffusion-xl-v1",
      { prompt: "a lighthouse", width: 1024, height: 1024, seed: 3 },
    ],
    ["stability.sd3-large-v1:0", { prompt: "a lighthouse", aspectRatio: "1:1", seed: 3 }],
    [
      "amazon.titan-image-generator-v2:0",
      { prompt: "a lighthouse", width: 512, height: 512, count: 2 },
    ],
    ["amazon.nova-canvas-v1:0", { prompt: "a lighthouse", width: 512, height: 512 }],
  ] as [string, ImageRequest][])("%s returns PNG bytes", async (modelId, request) => {
    const model = resolveModel(modelId);
    const codec = imageCodecOf(model);
    const result = codec.parseResponse((await invoke(modelId, codec.buildRequest(request))).body);
    expect(result.images.length).toBe(request.count ?? 1);
    expect([...result.images[0]!.slice(0, 4)]).toEqual([137, 80, 78, 71]);
  });
});
