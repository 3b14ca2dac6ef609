import { describe, expect, it } from "vitest";
import type { CodecModel } from "../model-codec.js";
import { cohereCommandCodec as codec } from "./cohere-command-codec.js";

const COMMAND: CodecModel = {
  baseModelId: "cohere.command-text-v14",
  maxOutputTokens: 4096,
  defaultMaxTokens: 20,
  imageInput: false,
};

// The legacy Command page (model-parameters-cohere-command.html) documents these fields:
// request {prompt, temperature, p, k, max_tokens, stop_sequences, ...}, response
// {generations: [{finish_reason, id, text}], id, prompt}, stream chunks {text, is_finished, finish_reason}.
describe("Cohere Command (legacy) codec", () => {
  it("sends one user message as the prompt, with Bedrock's default of 20 tokens", () => {
    expect(
      codec.buildRequest(
        { messages: [{ role: "user", content: "Write a haiku." }], topK: 0 },
        COMMAND,
      ),
    ).toEqual({
      prompt: "Write a haiku.",
      max_tokens: 20,
      k: 0,
    });
  });

  it("lays out a conversation and parses generations", () => {
    const body = codec.buildRequest(
      {
        system: "Be kind.",
        messages: [
          { role: "user", content: "Hi" },
          { role: "assistant", content: "Hello" },
          { role: "user", content: "Bye" },
        ],
      },
      COMMAND,
    ) as { prompt: string };
    expect(body.prompt).toBe("Be kind.\nUser: Hi\nChatbot: Hello\nUser: Bye\nChatbot:");
    const result = codec.parseResponse(
      {
        generations: [{ finish_reason: "MAX_TOKENS", id: "g1", text: "Goodbye, friend" }],
        id: "r1",
        prompt: "Bye",
      },
      { "x-amzn-bedrock-input-token-count": "5", "x-amzn-bedrock-output-token-count": "20" },
    );
    expect(result).toMatchObject({
      text: "Goodbye, friend",
      stopReason: "max_tokens",
      usage: { inputTokens: 5, outputTokens: 20 },
    });
  });

  it("takes temperatures up to 5, as the page allows", () => {
    const request = { messages: [{ role: "user" as const, content: "Hi" }] };
    expect(codec.buildRequest({ ...request, temperature: 4.5 }, COMMAND)).toMatchObject({
      temperature: 4.5,
    });
    expect(() => codec.buildRequest({ ...request, temperature: 5.5 }, COMMAND)).toThrow(
      /from 0 to 5/,
    );
  });

  it("asks for a stream in the body when the body is for streaming", () => {
    const request = { messages: [{ role: "user" as const, content: "Hi" }] };
    expect(codec.buildRequest(request, COMMAND, { stream: true })).toMatchObject({ stream: true });
    expect(codec.buildRequest(request, COMMAND)).not.toHaveProperty("stream");
    expect(() =>
      codec.buildRequest({ ...request, stopSequences: ["a", "b", "c", "d", "e"] }, COMMAND),
    ).toThrow(/at most 4 sequences/);
  });

  it("streams the documented generations chunks until is_finished", () => {
    const parser = codec.createStreamParser();
    const parts = [
      { generations: [{ id: "g1", text: "Good", is_finished: false }] },
      {
        generations: [{ id: "g1", text: "bye", is_finished: true, finish_reason: "MAX_TOKENS" }],
        id: "r1",
      },
    ].flatMap((chunk) => parser.parse(chunk));
    expect(parts.map((part) => part.type)).toEqual([
      "text-start",
      "text-delta",
      "text-delta",
      "text-end",
    ]);
    expect(parser.finish()[0]).toMatchObject({
      stopReason: "max_tokens",
      rawStopReason: "MAX_TOKENS",
    });
  });

  it("streams flat chunks until is_finished", () => {
    const parser = codec.createStreamParser();
    const parts = [
      { text: "Good", is_finished: false },
      { text: "bye", is_finished: false },
      { is_finished: true, finish_reason: "COMPLETE" },
    ].flatMap((chunk) => parser.parse(chunk));
    expect(parts.map((part) => part.type)).toEqual([
      "text-start",
      "text-delta",
      "text-delta",
      "text-end",
    ]);
    expect(parser.finish()[0]).toMatchObject({ stopReason: "end_turn", rawStopReason: "COMPLETE" });
    const cut = codec.createStreamParser();
    cut.parse({ text: "Good", is_finished: false });
    expect(() => cut.finish()).toThrow(expect.objectContaining({ name: "StreamTruncatedError" }));
  });
});
