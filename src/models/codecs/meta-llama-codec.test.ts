import { describe, expect, it } from "vitest";
import type { CodecModel } from "../model-codec.js";
import { metaLlamaCodec as codec, llamaPrompt } from "./meta-llama-codec.js";
import { readChunks, readFixture } from "./read-fixture.js";

const LLAMA_3_70B: CodecModel = {
  baseModelId: "meta.llama3-70b-instruct-v1:0",
  maxOutputTokens: 2048,
  defaultMaxTokens: 512,
  imageInput: false,
};
const LLAMA_32_11B: CodecModel = {
  ...LLAMA_3_70B,
  baseModelId: "meta.llama3-2-11b-instruct-v1:0",
  imageInput: true,
};

describe("Llama buildRequest applies the Llama 3 chat template", () => {
  it("renders the documented multi-turn conversation", () => {
    const body = codec.buildRequest(
      {
        messages: [
          { role: "user", content: "What is the capital of France?" },
          { role: "assistant", content: "The capital of France is Paris!" },
          { role: "user", content: "What is the weather like in Paris?" },
        ],
        maxTokens: 512,
        temperature: 0.5,
      },
      LLAMA_3_70B,
    );
    expect(body).toEqual(readFixture("meta-llama-multi-turn-request.json"));
  });

  it("renders the documented system prompt template", () => {
    const body = codec.buildRequest(
      {
        system: "You are a helpful AI assistant for travel tips and recommendations",
        messages: [{ role: "user", content: "What can you help me with?" }],
      },
      LLAMA_3_70B,
    );
    expect(body).toEqual(readFixture("meta-llama-system-request.json"));
  });

  it("continues a last assistant turn instead of opening a new one", () => {
    const { prompt } = llamaPrompt({
      messages: [
        { role: "user", content: "Say a color." },
        { role: "assistant", content: "Blu" },
      ],
    });
    expect(prompt.endsWith("<|start_header_id|>assistant<|end_header_id|>\n\nBlu")).toBe(true);
  });

  it("sends Llama 3.2 vision images apart, marked where they stand", () => {
    const body = codec.buildRequest(
      {
        messages: [
          {
            role: "user",
            content: [
              { type: "image", format: "png", bytes: new Uint8Array([1, 2, 3]) },
              { type: "text", text: "Describe it." },
            ],
          },
        ],
      },
      LLAMA_32_11B,
    ) as any;
    expect(body.images).toEqual(["AQID"]);
    expect(body.prompt).toContain("user<|end_header_id|>\n\n<|image|>Describe it.<|eot_id|>");
  });

  it("refuses tools, images for text models, and fields the body lacks", () => {
    const base = { messages: [{ role: "user" as const, content: "hi" }] };
    expect(() =>
      codec.buildRequest({ ...base, tools: [{ name: "t", inputSchema: {} }] }, LLAMA_3_70B),
    ).toThrow(expect.objectContaining({ code: "input.tools" }));
    expect(() => codec.buildRequest({ ...base, topK: 5 }, LLAMA_3_70B)).toThrow(
      expect.objectContaining({ code: "input.topK" }),
    );
    expect(() => codec.buildRequest({ ...base, maxTokens: 4096 }, LLAMA_3_70B)).toThrow(
      /from 1 to 2048/,
    );
  });
});

describe("Llama responses", () => {
  it("parses the documented response fields", () => {
    const result = codec.parseResponse(readFixture("meta-llama-response.json"));
    expect(result).toMatchObject({
      text: "\n\nThe weather in Paris is mild in spring.",
      stopReason: "end_turn",
      rawStopReason: "stop",
      usage: { inputTokens: 43, outputTokens: 11 },
    });
    expect(codec.parseResponse({ generation: "x", stop_reason: "length" }).stopReason).toBe(
      "max_tokens",
    );
  });

  it("streams text and finishes with the invocation metrics", () => {
    const parser = codec.createStreamParser();
    const parts = readChunks("meta-llama.chunks.txt").flatMap((chunk) => parser.parse(chunk));
    expect(parts).toEqual([
      { type: "text-start", id: "0" },
      { type: "text-delta", id: "0", delta: "The" },
      { type: "text-delta", id: "0", delta: " weather is mild." },
      { type: "text-end", id: "0" },
    ]);
    expect(parser.finish()).toEqual([
      {
        type: "finish",
        stopReason: "end_turn",
        rawStopReason: "stop",
        usage: { inputTokens: 43, outputTokens: 5 },
      },
    ]);
  });

  it("throws when the stream ends before a stop reason", () => {
    const parser = codec.createStreamParser();
    for (const chunk of readChunks("meta-llama.chunks.txt").slice(0, 2)) parser.parse(chunk);
    expect(() => parser.finish()).toThrow(
      expect.objectContaining({ name: "StreamTruncatedError", isRetryable: true }),
    );
  });
});
