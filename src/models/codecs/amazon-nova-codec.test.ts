import { describe, expect, it } from "vitest";
import type { CodecModel, StreamPart } from "../model-codec.js";
import { amazonNova2Codec, amazonNovaCodec } from "./amazon-nova-codec.js";
import { readChunks, readFixture } from "./read-fixture.js";

const NOVA_2_LITE: CodecModel = {
  baseModelId: "amazon.nova-2-lite-v1:0",
  maxOutputTokens: 65535,
  defaultMaxTokens: 4096,
};
const NOVA_MICRO: CodecModel = {
  baseModelId: "amazon.nova-micro-v1:0",
  maxOutputTokens: 10000,
  defaultMaxTokens: 5000,
  imageInput: false,
};

describe("Nova buildRequest", () => {
  it("builds the documented Nova 2 Invoke body", () => {
    const body = amazonNova2Codec.buildRequest(
      {
        messages: [{ role: "user", content: "What is machine learning?" }],
        maxTokens: 512,
        temperature: 0.7,
      },
      NOVA_2_LITE,
    );
    expect(body).toEqual(readFixture("amazon-nova-2-request.json"));
  });

  it("adds messages-v1 for Nova 1, with system cache points, images, tools and reasoning", () => {
    const body = amazonNovaCodec.buildRequest(
      {
        system: [{ type: "text", text: "Be brief." }, { type: "cache-point" }],
        messages: [
          {
            role: "user",
            content: [
              { type: "image", format: "jpeg", bytes: new Uint8Array([255, 216]) },
              { type: "text", text: "Song?" },
            ],
          },
          {
            role: "assistant",
            content: [
              {
                type: "tool-call",
                toolCallId: "t1",
                toolName: "top_song",
                input: { sign: "WZPZ" },
              },
            ],
          },
          {
            role: "user",
            content: [
              {
                type: "tool-result",
                toolCallId: "t1",
                content: { type: "json", value: { song: "Elemental Hotel" } },
              },
            ],
          },
        ],
        tools: [{ name: "top_song", description: "Top song", inputSchema: { type: "object" } }],
        toolChoice: { type: "any" },
        topK: 20,
        stopSequences: ["END"],
        reasoning: { effort: "low" },
      },
      { ...NOVA_MICRO, imageInput: true },
    ) as any;
    expect(body.schemaVersion).toBe("messages-v1");
    expect(body.system).toEqual([{ text: "Be brief." }, { cachePoint: { type: "default" } }]);
    expect(body.messages[0].content[0]).toEqual({
      image: { format: "jpeg", source: { bytes: "/9g=" } },
    });
    expect(body.messages[1].content[0]).toEqual({
      toolUse: { toolUseId: "t1", name: "top_song", input: { sign: "WZPZ" } },
    });
    expect(body.messages[2].content[0]).toEqual({
      toolResult: { toolUseId: "t1", content: [{ json: { song: "Elemental Hotel" } }] },
    });
    expect(body.inferenceConfig).toEqual({
      maxTokens: 5000,
      topK: 20,
      stopSequences: ["END"],
      reasoningConfig: { type: "enabled", maxReasoningEffort: "low" },
    });
    expect(body.toolConfig).toEqual({
      tools: [
        {
          toolSpec: {
            name: "top_song",
            description: "Top song",
            inputSchema: { json: { type: "object" } },
          },
        },
      ],
      toolChoice: { any: {} },
    });
  });

  it("refuses what Nova cannot take, naming the field", () => {
    const base = { messages: [{ role: "user" as const, content: "hi" }] };
    expect(() =>
      amazonNovaCodec.buildRequest({ ...base, reasoning: { budgetTokens: 2000 } }, NOVA_MICRO),
    ).toThrow(expect.objectContaining({ code: "input.reasoning.budgetTokens" }));
    expect(() =>
      amazonNovaCodec.buildRequest(
        {
          messages: [
            { role: "user", content: [{ type: "image", format: "png", bytes: new Uint8Array() }] },
          ],
        },
        NOVA_MICRO,
      ),
    ).toThrow(/does not read images/);
    expect(() =>
      amazonNovaCodec.buildRequest(
        { ...base, tools: [{ name: "a", inputSchema: {} }], toolChoice: { type: "none" } },
        NOVA_MICRO,
      ),
    ).toThrow(expect.objectContaining({ code: "input.toolChoice" }));
    expect(() => amazonNovaCodec.buildRequest({ ...base, maxTokens: 10001 }, NOVA_MICRO)).toThrow(
      expect.objectContaining({ code: "input.maxTokens" }),
    );
  });
});

describe("Nova parseResponse", () => {
  it("parses the documented response structure", () => {
    const result = amazonNovaCodec.parseResponse(readFixture("amazon-nova-response.json"));
    expect(result.stopReason).toBe("tool_use");
    expect(result.text).toBe("Let me look that up.");
    expect(result.reasoning).toBe("[REDACTED]");
    expect(result.toolCalls).toEqual([
      { toolCallId: "tooluse_1", toolName: "top_song", input: { sign: "WZPZ" } },
    ]);
    expect(result.usage).toEqual({ inputTokens: 125, outputTokens: 60 });
  });

  it("reads cache counters and a guardrail intervention", () => {
    const result = amazonNovaCodec.parseResponse({
      output: { message: { content: [{ text: "Sorry." }] } },
      stopReason: "end_turn",
      usage: {
        inputTokens: 3,
        outputTokens: 2,
        cacheReadInputTokenCount: 100,
        cacheWriteInputTokenCount: 7,
      },
      "amazon-bedrock-guardrailAction": "INTERVENED",
    });
    expect(result.stopReason).toBe("guardrail_intervened");
    expect(result.usage).toEqual({
      inputTokens: 3,
      outputTokens: 2,
      cacheReadInputTokens: 100,
      cacheWriteInputTokens: 7,
    });
  });
});

describe("Nova stream parser", () => {
  it("opens text on its first delta, closes it, and finishes with metadata usage", () => {
    const parser = amazonNovaCodec.createStreamParser();
    const parts: StreamPart[] = readChunks("amazon-nova-text.chunks.txt").flatMap((chunk) =>
      parser.parse(chunk),
    );
    expect(parts).toEqual([
      { type: "text-start", id: "0" },
      { type: "text-delta", id: "0", delta: "Quantum computers" },
      { type: "text-delta", id: "0", delta: " use qubits." },
      { type: "text-end", id: "0" },
    ]);
    expect(parser.finish()).toEqual([
      {
        type: "finish",
        stopReason: "end_turn",
        rawStopReason: "end_turn",
        usage: { inputTokens: 5, outputTokens: 6 },
      },
    ]);
  });

  it("assembles a streamed tool call", () => {
    const parser = amazonNovaCodec.createStreamParser();
    const parts = [
      {
        contentBlockStart: {
          start: { toolUse: { toolUseId: "t9", name: "top_song" } },
          contentBlockIndex: 1,
        },
      },
      { contentBlockDelta: { delta: { toolUse: { input: '{"sign":' } }, contentBlockIndex: 1 } },
      { contentBlockDelta: { delta: { toolUse: { input: '"WZPZ"}' } }, contentBlockIndex: 1 } },
      { contentBlockStop: { contentBlockIndex: 1 } },
      { messageStop: { stopReason: "tool_use" } },
    ].flatMap((chunk) => parser.parse(chunk));
    expect(parts.at(-1)).toEqual({
      type: "tool-use-end",
      id: "1",
      toolCallId: "t9",
      toolName: "top_song",
      input: { sign: "WZPZ" },
    });
    expect(parser.finish()[0]).toMatchObject({ stopReason: "tool_use" });
  });

  it("throws when messageStop never came", () => {
    const parser = amazonNovaCodec.createStreamParser();
    for (const chunk of readChunks("amazon-nova-text.chunks.txt").slice(0, 3)) parser.parse(chunk);
    expect(() => parser.finish()).toThrow(
      expect.objectContaining({ name: "StreamTruncatedError" }),
    );
  });
});
