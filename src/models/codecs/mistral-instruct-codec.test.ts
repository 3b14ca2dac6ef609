import { describe, expect, it } from "vitest";
import type { CodecModel } from "../model-codec.js";
import { mistralInstructCodec as codec, mistralPrompt } from "./mistral-instruct-codec.js";
import { readFixture } from "./read-fixture.js";

const MISTRAL_7B: CodecModel = {
  baseModelId: "mistral.mistral-7b-instruct-v0:2",
  maxOutputTokens: 8192,
  defaultMaxTokens: 512,
  imageInput: false,
};

describe("Mistral [INST] codec", () => {
  it("renders the documented multi-turn prompt", () => {
    const body = codec.buildRequest(
      {
        messages: [
          { role: "user", content: "What is your favourite condiment?" },
          {
            role: "assistant",
            content:
              "Well, I'm quite partial to a good squeeze of fresh lemon juice. It adds just the right amount of zesty flavour to whatever I'm cooking up in the kitchen!",
          },
          { role: "user", content: "Do you have mayonnaise recipes?" },
        ],
      },
      MISTRAL_7B,
    );
    expect(body).toEqual(readFixture("mistral-instruct-multi-turn-request.json"));
  });

  it("puts the system prompt in the first instruction and maps sampling fields", () => {
    expect(
      mistralPrompt({ system: "Be terse.", messages: [{ role: "user", content: "Hi" }] }),
    ).toBe("<s>[INST] Be terse.\n\nHi [/INST]");
    const body = codec.buildRequest(
      {
        messages: [{ role: "user", content: "Hi" }],
        stopSequences: ["\n"],
        topK: 50,
        topP: 0.9,
        temperature: 0.1,
      },
      MISTRAL_7B,
    );
    expect(body).toMatchObject({
      stop: ["\n"],
      top_k: 50,
      top_p: 0.9,
      temperature: 0.1,
      max_tokens: 512,
    });
  });

  it("parses outputs and maps length to max_tokens; usage comes from headers", () => {
    const result = codec.parseResponse(readFixture("mistral-instruct-response.json"), {
      "x-amzn-bedrock-input-token-count": "30",
      "x-amzn-bedrock-output-token-count": "20",
    });
    expect(result).toMatchObject({
      stopReason: "max_tokens",
      usage: { inputTokens: 30, outputTokens: 20 },
    });
    expect(result.text).toMatch(/^ Yes: whisk/);
  });

  it("streams outputs chunks and requires the stop reason", () => {
    const parser = codec.createStreamParser();
    const parts = [
      { outputs: [{ text: "Hel", stop_reason: null }] },
      {
        outputs: [{ text: "lo", stop_reason: "stop" }],
        "amazon-bedrock-invocationMetrics": { inputTokenCount: 4, outputTokenCount: 2 },
      },
    ].flatMap((chunk) => parser.parse(chunk));
    expect(parts.map((part) => part.type)).toEqual([
      "text-start",
      "text-delta",
      "text-delta",
      "text-end",
    ]);
    expect(parser.finish()[0]).toMatchObject({
      stopReason: "end_turn",
      usage: { inputTokens: 4, outputTokens: 2 },
    });
    const cut = codec.createStreamParser();
    cut.parse({ outputs: [{ text: "Hel", stop_reason: null }] });
    expect(() => cut.finish()).toThrow(expect.objectContaining({ name: "StreamTruncatedError" }));
  });

  it("refuses tools", () => {
    expect(() =>
      codec.buildRequest(
        { messages: [{ role: "user", content: "x" }], tools: [{ name: "t", inputSchema: {} }] },
        MISTRAL_7B,
      ),
    ).toThrow(/Converse for tools/);
  });
});
