import { describe, expect, it } from "vitest";
import type { CodecModel } from "../model-codec.js";
import { amazonTitanTextCodec as codec, titanInputText } from "./amazon-titan-text-codec.js";
import { readChunks, readFixture } from "./read-fixture.js";

const EXPRESS: CodecModel = {
  baseModelId: "amazon.titan-text-express-v1",
  maxOutputTokens: 8192,
  defaultMaxTokens: 512,
  imageInput: false,
};

describe("Titan Text codec", () => {
  it("builds the documented body in the conversational format", () => {
    const body = codec.buildRequest(
      {
        messages: [{ role: "user", content: "Create a list of action items for each person." }],
        maxTokens: 4096,
        temperature: 0,
        topP: 1,
      },
      EXPRESS,
    );
    expect(body).toEqual(readFixture("amazon-titan-text-request.json"));
  });

  it("lays out a conversation with its system prompt", () => {
    expect(
      titanInputText({
        system: "You are a scheduler.",
        messages: [
          { role: "user", content: "Plan Monday." },
          { role: "assistant", content: "Done." },
          { role: "user", content: "And Tuesday?" },
        ],
      }),
    ).toBe("You are a scheduler.\nUser: Plan Monday.\nBot: Done.\nUser: And Tuesday?\nBot:");
  });

  it("validates maxTokenCount against the model and refuses topP 0", () => {
    const base = { messages: [{ role: "user" as const, content: "x" }] };
    expect(() => codec.buildRequest({ ...base, maxTokens: 9000 }, EXPRESS)).toThrow(
      /maxTokens must be an integer from 1 to 8192 for amazon\.titan-text-express-v1/,
    );
    expect(() => codec.buildRequest({ ...base, topP: 0 }, EXPRESS)).toThrow(
      expect.objectContaining({ code: "input.topP" }),
    );
  });

  it("parses the documented response; FINISH and FINISHED both end the turn", () => {
    const result = codec.parseResponse(readFixture("amazon-titan-text-response.json"));
    expect(result).toMatchObject({
      stopReason: "end_turn",
      rawStopReason: "FINISH",
      usage: { inputTokens: 9, outputTokens: 12 },
    });
    const finished = {
      inputTextTokenCount: 1,
      results: [{ tokenCount: 1, outputText: "a", completionReason: "FINISHED" }],
    };
    expect(codec.parseResponse(finished).stopReason).toBe("end_turn");
    const filtered = {
      ...finished,
      results: [{ ...finished.results[0], completionReason: "CONTENT_FILTERED" }],
    };
    expect(codec.parseResponse(filtered).stopReason).toBe("content_filtered");
  });

  it("streams outputText chunks to a finish", () => {
    const parser = codec.createStreamParser();
    const parts = readChunks("amazon-titan-text.chunks.txt").flatMap((chunk) =>
      parser.parse(chunk),
    );
    expect(
      parts
        .filter((part) => part.type === "text-delta")
        .map((part) => (part as { delta: string }).delta),
    ).toEqual(["Miguel: document", " concerns."]);
    expect(parts.at(-1)).toEqual({ type: "text-end", id: "0" });
    expect(parser.finish()[0]).toMatchObject({
      stopReason: "end_turn",
      usage: { inputTokens: 9, outputTokens: 5 },
    });
    const cut = codec.createStreamParser();
    cut.parse(readChunks("amazon-titan-text.chunks.txt")[0]);
    expect(() => cut.finish()).toThrow(expect.objectContaining({ name: "StreamTruncatedError" }));
  });
});
