import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/start-emulator.js";
import { anthropicClaudeCodec } from "../models/codecs/anthropic-claude-codec.js";
import type { Message, TextPart } from "../models/model-codec.js";
import { resolveModel } from "../models/resolve-model.js";
import type { Quarry } from "./create-quarry.js";
import { testQuarry } from "./test-quarry.js";

const HAIKU_35 = "anthropic.claude-3-5-haiku-20241022-v1:0"; // caches from 2,048 tokens
const NOVA_PRO = "amazon.nova-pro-v1:0"; // caches from 1,000 tokens

const WORDS = ["granite", "harbor", "lantern", "meadow", "orchard", "quarry", "willow", "copper"];
/** `count` plain words (as many tokens to the emulator's tokenizer). */
const words = (count: number, seed: number) =>
  Array.from({ length: count }, (_, index) => WORDS[(index * 5 + seed) % WORDS.length]).join(" ");

/** A long system prompt closed by a cache point, and a short question. */
const cachedRequest = (seed: number, question: string) => ({
  system: [
    { type: "text", text: words(2_200, seed) } as TextPart,
    { type: "cache-point" as const },
  ],
  messages: [{ role: "user", content: question }] as Message[],
  maxTokens: 60,
});

describe("prompt caching from the client, against the emulator", () => {
  let emulator: Emulator;
  let quarry: Quarry;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    quarry = testQuarry(emulator);
  });
  afterAll(async () => {
    quarry.destroy();
    await emulator.close();
  });

  it("Converse: cache points go out as cachePoint blocks; usage carries both cache counts", async () => {
    const first = await quarry.converse({ model: HAIKU_35, ...cachedRequest(1, "One?") });
    expect(first.usage).toMatchObject({ cacheWriteInputTokens: 2_200, cacheReadInputTokens: 0 });
    const second = await quarry.converse({ model: HAIKU_35, ...cachedRequest(1, "Two?") });
    expect(second.usage).toMatchObject({ cacheReadInputTokens: 2_200, cacheWriteInputTokens: 0 });
    expect(second.usage.inputTokens).toBeLessThan(20);
  });

  it("ConverseStream: the metadata event's usage is parsed", async () => {
    await quarry.converse({ model: HAIKU_35, ...cachedRequest(2, "Warm up.") });
    const stream = quarry.converseStream({ model: HAIKU_35, ...cachedRequest(2, "Stream.") });
    const outcome = await stream.result();
    expect(outcome.usage).toMatchObject({ cacheReadInputTokens: 2_200, cacheWriteInputTokens: 0 });
  });

  it("Claude InvokeModel: cache_control on the system block; usage from the body", async () => {
    const first = await quarry.invoke({ model: HAIKU_35, ...cachedRequest(3, "One?") });
    expect(first.usage).toMatchObject({ cacheWriteInputTokens: 2_200, cacheReadInputTokens: 0 });
    const second = await quarry.invoke({ model: HAIKU_35, ...cachedRequest(3, "Two?") });
    expect(second.usage).toMatchObject({ cacheReadInputTokens: 2_200, cacheWriteInputTokens: 0 });
  });

  it("Claude InvokeModelWithResponseStream: usage from the stream's invocation metrics", async () => {
    await quarry.invoke({ model: HAIKU_35, ...cachedRequest(4, "Warm up.") });
    const outcome = await quarry
      .stream({ model: HAIKU_35, ...cachedRequest(4, "Stream.") })
      .result();
    expect(outcome.usage).toMatchObject({ cacheReadInputTokens: 2_200, cacheWriteInputTokens: 0 });
  });

  it("Nova InvokeModel: a cache point in the user message; Nova's own usage names are read", async () => {
    const request = (question: string) => ({
      model: NOVA_PRO,
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: words(1_500, 5) },
            { type: "cache-point" },
            { type: "text", text: question },
          ],
        },
      ] as Message[],
      maxTokens: 60,
    });
    const first = await quarry.invoke(request("One?"));
    expect(first.usage).toMatchObject({ cacheWriteInputTokens: 1_500, cacheReadInputTokens: 0 });
    const second = await quarry.invoke(request("Two?"));
    expect(second.usage).toMatchObject({ cacheReadInputTokens: 1_500, cacheWriteInputTokens: 0 });
    const streamed = await quarry.stream(request("Three?")).result();
    expect(streamed.usage).toMatchObject({ cacheReadInputTokens: 1_500 });
  });
});

describe("the model catalog's prompt-caching capability", () => {
  it("says which models cache, and from how many tokens per checkpoint", () => {
    const caching = (id: string) => {
      const { promptCaching, promptCacheMinimumTokens } = resolveModel(id).capabilities;
      return { promptCaching, promptCacheMinimumTokens };
    };
    expect(caching(HAIKU_35)).toEqual({ promptCaching: true, promptCacheMinimumTokens: 2048 });
    expect(caching("us.anthropic.claude-3-7-sonnet-20250219-v1:0")).toEqual({
      promptCaching: true,
      promptCacheMinimumTokens: 1024,
    });
    expect(
      caching("global.anthropic.claude-haiku-4-5-20251001-v1:0").promptCacheMinimumTokens,
    ).toBe(4096);
    expect(caching(NOVA_PRO)).toEqual({ promptCaching: true, promptCacheMinimumTokens: 1000 });
    for (const id of [
      "anthropic.claude-3-haiku-20240307-v1:0",
      "meta.llama3-8b-instruct-v1:0",
      "amazon.titan-text-express-v1",
      "amazon.titan-embed-text-v2:0",
    ])
      expect(caching(id)).toEqual({ promptCaching: false, promptCacheMinimumTokens: 0 });
  });

  it("assumes no caching for a model known only by a family where some members lack it", () => {
    const hidden = resolveModel(
      "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/abc123",
      { family: "anthropic-claude" },
    );
    expect(hidden.capabilities.promptCaching).toBe(false);
  });
});

describe("cache counts parsed from every place Bedrock reports them", () => {
  it("falls back to the X-Amzn-Bedrock-Cache-* headers when the body has no counts", () => {
    const result = anthropicClaudeCodec.parseResponse(
      JSON.stringify({
        content: [{ type: "text", text: "Hi." }],
        stop_reason: "end_turn",
        usage: { input_tokens: 12, output_tokens: 3 },
      }),
      {
        "x-amzn-bedrock-cache-read-input-token-count": "2048",
        "x-amzn-bedrock-cache-write-input-token-count": "0",
      },
    );
    expect(result.usage).toEqual({
      inputTokens: 12,
      outputTokens: 3,
      cacheReadInputTokens: 2048,
      cacheWriteInputTokens: 0,
    });
  });

  it("reads the stream's amazon-bedrock-invocationMetrics cache counts", () => {
    const parser = anthropicClaudeCodec.createStreamParser();
    parser.parse({
      type: "message_start",
      message: { usage: { input_tokens: 9, output_tokens: 1 } },
    });
    parser.parse({
      type: "message_delta",
      delta: { stop_reason: "end_turn" },
      usage: { output_tokens: 4 },
    });
    parser.parse({
      type: "message_stop",
      "amazon-bedrock-invocationMetrics": {
        inputTokenCount: 9,
        outputTokenCount: 4,
        cacheReadInputTokenCount: 3000,
        cacheWriteInputTokenCount: 0,
      },
    });
    const [finish] = parser.finish();
    expect(finish).toMatchObject({
      type: "finish",
      usage: {
        inputTokens: 9,
        outputTokens: 4,
        cacheReadInputTokens: 3000,
        cacheWriteInputTokens: 0,
      },
    });
  });
});
