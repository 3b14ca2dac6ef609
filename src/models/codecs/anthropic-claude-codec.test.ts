import { describe, expect, it } from "vitest";
import { StreamTruncatedError } from "../../errors/stream-truncated-error.js";
import type { CodecModel, StreamPart, TextRequest } from "../model-codec.js";
import { anthropicClaudeCodec as codec } from "./anthropic-claude-codec.js";
import { readChunks, readFixture } from "./read-fixture.js";

const SONNET_3: CodecModel = {
  baseModelId: "anthropic.claude-3-sonnet-20240229-v1:0",
  maxOutputTokens: 4096,
  defaultMaxTokens: 4096,
};
const SONNET_45: CodecModel = {
  baseModelId: "anthropic.claude-sonnet-4-5-20250929-v1:0",
  maxOutputTokens: 64000,
  defaultMaxTokens: 4096,
  temperatureOrTopP: true,
};

const topSong = readFixture("anthropic-claude-tools-request.json");

describe("Claude buildRequest", () => {
  it("builds the documented fine-grained tool streaming body", () => {
    const expected = readFixture("anthropic-claude-fine-grained-tool-streaming-request.json");
    const body = codec.buildRequest(
      {
        maxTokens: 1024,
        messages: [{ role: "user", content: expected.messages[0].content }],
        tools: [
          {
            name: "make_file",
            description: "Write text to a file",
            inputSchema: expected.tools[0].input_schema,
          },
        ],
        additionalFields: { anthropic_beta: ["fine-grained-tool-streaming-2025-05-14"] },
      },
      SONNET_45,
    );
    expect(body).toEqual(expected);
  });

  it("builds the documented effort body from reasoning.effort", () => {
    const expected = readFixture("anthropic-claude-effort-request.json");
    const body = codec.buildRequest(
      {
        maxTokens: 4096,
        reasoning: { effort: "medium" },
        messages: [{ role: "user", content: "Analyze this complex dataset and provide insights" }],
      },
      SONNET_45,
    );
    expect(body).toEqual(expected);
  });

  it("sends the documented tools and tool_result shapes for a tool round trip", () => {
    const tool = topSong.tools[0];
    const request: TextRequest = {
      messages: [
        { role: "user", content: "What's the most popular song on WZPZ?" },
        {
          role: "assistant",
          content: [
            {
              type: "tool-call",
              toolCallId: "toolu_bdrk_01SnXQc6YVWD8Dom5jz7KhHy",
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
              toolCallId: "toolu_bdrk_01SnXQc6YVWD8Dom5jz7KhHy",
              content: "Elemental Hotel",
            },
          ],
        },
      ],
      tools: [{ name: tool.name, description: tool.description, inputSchema: tool.input_schema }],
      toolChoice: { type: "tool", name: "top_song" },
    };
    const body = codec.buildRequest(request, SONNET_3) as any;
    expect(body.anthropic_version).toBe("bedrock-2023-05-31");
    expect(body.max_tokens).toBe(4096);
    expect(body.tools).toEqual(topSong.tools);
    expect(body.tool_choice).toEqual({ type: "tool", name: "top_song" });
    expect(body.messages[1].content[0]).toEqual({
      type: "tool_use",
      id: "toolu_bdrk_01SnXQc6YVWD8Dom5jz7KhHy",
      name: "top_song",
      input: { sign: "WZPZ" },
    });
    expect(body.messages[2]).toEqual(topSong.toolResultMessage);
  });

  it("sends images as base64 source blocks, system with cache points as blocks", () => {
    const body = codec.buildRequest(
      {
        system: [{ type: "text", text: "You are terse." }, { type: "cache-point" }],
        messages: [
          {
            role: "user",
            content: [
              { type: "image", format: "png", bytes: new Uint8Array([137, 80, 78, 71]) },
              { type: "text", text: "What is this?" },
              { type: "cache-point", ttl: "1h" },
            ],
          },
        ],
        temperature: 0.2,
        topK: 40,
        stopSequences: ["\n\nHuman:"],
        maxTokens: 300,
      },
      SONNET_3,
    ) as any;
    expect(body.system).toEqual([
      { type: "text", text: "You are terse.", cache_control: { type: "ephemeral" } },
    ]);
    expect(body.messages[0].content).toEqual([
      { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw==" } },
      { type: "text", text: "What is this?", cache_control: { type: "ephemeral", ttl: "1h" } },
    ]);
    expect(body).toMatchObject({ temperature: 0.2, top_k: 40, stop_sequences: ["\n\nHuman:"] });
  });

  it("sends extended thinking and refuses a budget it cannot honour", () => {
    const request: TextRequest = {
      maxTokens: 8000,
      reasoning: { budgetTokens: 2000 },
      messages: [{ role: "user", content: "Prove it." }],
    };
    expect((codec.buildRequest(request, SONNET_45) as any).thinking).toEqual({
      type: "enabled",
      budget_tokens: 2000,
    });
    expect(() =>
      codec.buildRequest({ ...request, reasoning: { budgetTokens: 500 } }, SONNET_45),
    ).toThrow(/reasoning\.budgetTokens must be an integer from 1024/);
    expect(() => codec.buildRequest({ ...request, temperature: 0.5 }, SONNET_45)).toThrow(
      /temperature must be unset/,
    );
  });

  it("validates before sending, naming the field", () => {
    const base: TextRequest = { messages: [{ role: "user", content: "hi" }] };
    const error = (request: TextRequest, model = SONNET_3) => {
      try {
        codec.buildRequest(request, model);
      } catch (caught) {
        return caught as { code: string; message: string };
      }
      throw new Error("no error");
    };
    expect(error({ ...base, maxTokens: 5000 })).toMatchObject({
      code: "input.maxTokens",
      message: expect.stringContaining("from 1 to 4096 for anthropic.claude-3-sonnet"),
    });
    expect(error({ ...base, temperature: 0.5, topP: 0.9 }, SONNET_45).code).toBe("input.topP");
    expect(error({ ...base, temperature: 3 }).code).toBe("input.temperature");
    expect(error({ messages: [] }).code).toBe("input.messages");
    expect(error({ ...base, tools: [{ name: "a b", inputSchema: { type: "object" } }] }).code).toBe(
      "input.tools[0].name",
    );
    expect(
      error({
        ...base,
        tools: [{ name: "a", inputSchema: { type: "object" } }],
        toolChoice: { type: "tool", name: "b" },
      }).code,
    ).toBe("input.toolChoice.name");
    expect(
      error({
        messages: [
          {
            role: "user",
            content: [{ type: "document", format: "docx", name: "a", bytes: new Uint8Array() }],
          },
        ],
      }).code,
    ).toBe("input.messages[0].content[0].format");
  });
});

describe("Claude parseResponse", () => {
  it("parses the documented tool_use response", () => {
    const result = codec.parseResponse(readFixture("anthropic-claude-tool-use-response.json"));
    expect(result.stopReason).toBe("tool_use");
    expect(result.rawStopReason).toBe("tool_use");
    expect(result.toolCalls).toEqual([
      {
        toolCallId: "toolu_bdrk_01SnXQc6YVWD8Dom5jz7KhHy",
        toolName: "top_song",
        input: { sign: "WZPZ" },
      },
    ]);
    expect(result.usage).toEqual({ inputTokens: 375, outputTokens: 36 });
    expect(result.text).toBe("");
  });

  it("parses text plus tool use and cache counters", () => {
    const result = codec.parseResponse(readFixture("anthropic-claude-memory-tool-response.json"));
    expect(result.text).toMatch(/^I'll start by checking your memory/);
    expect(result.toolCalls[0]?.input).toEqual({ command: "view", path: "/memories" });
    expect(result.content.map((part) => part.type)).toEqual(["text", "tool-call"]);
    expect(result.usage).toEqual({
      inputTokens: 1403,
      outputTokens: 87,
      cacheReadInputTokens: 0,
      cacheWriteInputTokens: 0,
    });
  });

  it("takes usage from the token-count headers when the body has none, from bytes", () => {
    const body = new TextEncoder().encode(
      JSON.stringify(readFixture("anthropic-claude-tool-result-response.json")),
    );
    const result = codec.parseResponse(body, {
      "X-Amzn-Bedrock-Input-Token-Count": "412",
      "x-amzn-bedrock-output-token-count": "19",
    });
    expect(result.text).toContain('"Elemental Hotel"');
    expect(result.stopReason).toBe("end_turn");
    expect(result.usage).toEqual({ inputTokens: 412, outputTokens: 19 });
  });

  it("maps a refusal to content_filtered, keeping the raw reason", () => {
    const result = codec.parseResponse(readFixture("anthropic-claude-refusal-response.json"));
    expect(result.stopReason).toBe("content_filtered");
    expect(result.rawStopReason).toBe("refusal");
  });

  it("reads thinking blocks with their signature", () => {
    const result = codec.parseResponse({
      content: [
        { type: "thinking", thinking: "Let me see.", signature: "sig" },
        { type: "redacted_thinking", data: "opaque" },
        { type: "text", text: "42" },
      ],
      stop_reason: "end_turn",
      usage: { input_tokens: 1, output_tokens: 2 },
    });
    expect(result.reasoning).toBe("Let me see.");
    expect(result.content).toEqual([
      { type: "reasoning", text: "Let me see.", signature: "sig" },
      { type: "reasoning", text: "", redactedData: "opaque" },
      { type: "text", text: "42" },
    ]);
  });

  it("refuses a body that is not a Claude message", () => {
    expect(() => codec.parseResponse({ generation: "hi" })).toThrow(/has no content array/);
    expect(() => codec.parseResponse("not json")).toThrow(/is not JSON/);
  });
});

describe("Claude stream parser", () => {
  const run = (chunks: unknown[]) => {
    const parser = codec.createStreamParser();
    const parts: StreamPart[] = chunks.flatMap((chunk) => parser.parse(chunk));
    return { parts, parser };
  };

  it("turns the documented tool-use stream into tool parts and one finish", () => {
    const { parts, parser } = run(readChunks("anthropic-claude-tool-use.chunks.txt"));
    expect(parts).toEqual([
      { type: "tool-use-start", id: "0", toolCallId: "toolu_456", toolName: "data_analyzer" },
      { type: "tool-use-delta", id: "0", delta: '{"data": "sample' },
      { type: "tool-use-delta", id: "0", delta: ' data"}' },
      {
        type: "tool-use-end",
        id: "0",
        toolCallId: "toolu_456",
        toolName: "data_analyzer",
        input: { data: "sample data" },
      },
    ]);
    expect(parser.finish()).toEqual([
      {
        type: "finish",
        stopReason: "tool_use",
        rawStopReason: "tool_use",
        usage: { inputTokens: 0, outputTokens: 0 },
      },
    ]);
  });

  it("streams text and reasoning, and takes usage from the invocation metrics", () => {
    const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    const { parts, parser } = run([
      { type: "message_start", message: { usage: { input_tokens: 12, output_tokens: 1 } } },
      { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "" } },
      { type: "content_block_delta", index: 0, delta: { type: "thinking_delta", thinking: "Hm." } },
      {
        type: "content_block_delta",
        index: 0,
        delta: { type: "signature_delta", signature: "s1" },
      },
      { type: "content_block_stop", index: 0 },
      // The SDK's event shape, bytes still encoded.
      {
        chunk: {
          bytes: encode({
            type: "content_block_start",
            index: 1,
            content_block: { type: "text", text: "" },
          }),
        },
      },
      { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "Hello" } },
      { type: "content_block_stop", index: 1 },
      { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 5 } },
      {
        type: "message_stop",
        "amazon-bedrock-invocationMetrics": { inputTokenCount: 12, outputTokenCount: 5 },
      },
    ]);
    expect(parts).toEqual([
      { type: "reasoning-delta", id: "0", delta: "Hm." },
      { type: "reasoning-delta", id: "0", delta: "", signature: "s1" },
      { type: "text-start", id: "1" },
      { type: "text-delta", id: "1", delta: "Hello" },
      { type: "text-end", id: "1" },
    ]);
    expect(parser.finish()[0]).toMatchObject({
      stopReason: "end_turn",
      usage: { inputTokens: 12, outputTokens: 5 },
    });
  });

  it("throws a retryable StreamTruncatedError when message_stop never came", () => {
    const chunks = readChunks("anthropic-claude-tool-use.chunks.txt").slice(0, -1);
    const { parser } = run(chunks);
    expect(() => parser.finish()).toThrow(
      expect.objectContaining({ name: "StreamTruncatedError", isRetryable: true }),
    );
    expect(() => parser.finish()).toThrow(StreamTruncatedError);
    expect(() => parser.finish()).toThrow(/last event: anthropic-claude message_delta/);
  });
});
