import { describe, expect, it } from "vitest";
import type { CodecModel } from "../model-codec.js";
import { cohereCommandRCodec as codec } from "./cohere-command-r-codec.js";
import { readChunks, readFixture } from "./read-fixture.js";

const COMMAND_R: CodecModel = {
  baseModelId: "cohere.command-r-v1:0",
  maxOutputTokens: 4000,
  defaultMaxTokens: 4000,
  imageInput: false,
};
const docTools = readFixture("cohere-command-r-tools.json");

describe("Command R codec", () => {
  it("builds the documented chat body: last user turn as message, the rest as chat_history", () => {
    const body = codec.buildRequest(
      {
        messages: [
          {
            role: "user",
            content: "What is an interesting new role in AI if I don't have an ML background?",
          },
          { role: "assistant", content: "You could explore being a prompt engineer!" },
          { role: "user", content: "What are some skills I should have?" },
        ],
        maxTokens: 2000,
        temperature: 0.6,
        topP: 0.5,
        topK: 250,
      },
      COMMAND_R,
    );
    expect(body).toEqual(readFixture("cohere-command-r-request.json"));
  });

  it("turns JSON Schema tools into the documented parameter_definitions, and results into tool_results", () => {
    const tool = docTools.tools[0];
    const body = codec.buildRequest(
      {
        system: "You know radio.",
        messages: [
          { role: "user", content: "What's the most popular song on WZPZ?" },
          {
            role: "assistant",
            content: [
              {
                type: "tool-call",
                toolCallId: "cohere-call-0",
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
                toolCallId: "cohere-call-0",
                content: { type: "json", value: { song: "Elemental Hotel" } },
              },
            ],
          },
        ],
        tools: [
          {
            name: "top_song",
            description: tool.description,
            inputSchema: {
              type: "object",
              properties: {
                sign: { type: "string", description: tool.parameter_definitions.sign.description },
              },
              required: ["sign"],
            },
          },
        ],
      },
      COMMAND_R,
    ) as any;
    expect(body.tools).toEqual(docTools.tools);
    expect(body.tool_results).toEqual(docTools.tool_results);
    expect(body.preamble).toBe("You know radio.");
    expect(body.message).toBe("");
    expect(body.chat_history).toEqual([
      { role: "USER", message: "What's the most popular song on WZPZ?" },
      { role: "CHATBOT", message: "", tool_calls: docTools.tool_calls },
    ]);
  });

  it("parses text with billed units, and tool_calls as a tool_use stop", () => {
    const result = codec.parseResponse(readFixture("cohere-command-r-response.json"));
    expect(result).toMatchObject({
      text: "Prompt engineers need clear writing and curiosity.",
      stopReason: "end_turn",
      usage: { inputTokens: 57, outputTokens: 9 },
    });
    const withTools = codec.parseResponse({
      text: "",
      finish_reason: "COMPLETE",
      tool_calls: docTools.tool_calls,
    });
    expect(withTools.stopReason).toBe("tool_use");
    expect(withTools.toolCalls).toEqual([
      { toolCallId: "cohere-call-0", toolName: "top_song", input: { sign: "WZPZ" } },
    ]);
    expect(codec.parseResponse({ text: "", finish_reason: "error_toxic" }).stopReason).toBe(
      "content_filtered",
    );
  });

  it("streams text-generation events and ends on stream-end", () => {
    const parser = codec.createStreamParser();
    const parts = readChunks("cohere-command-r.chunks.txt").flatMap((chunk) => parser.parse(chunk));
    expect(parts).toEqual([
      { type: "text-start", id: "text" },
      { type: "text-delta", id: "text", delta: "Clear writing" },
      { type: "text-delta", id: "text", delta: " and curiosity." },
      { type: "text-end", id: "text" },
    ]);
    expect(parser.finish()[0]).toMatchObject({
      stopReason: "end_turn",
      usage: { inputTokens: 57, outputTokens: 5 },
    });
    const cut = codec.createStreamParser();
    for (const chunk of readChunks("cohere-command-r.chunks.txt").slice(0, 3)) cut.parse(chunk);
    expect(() => cut.finish()).toThrow(expect.objectContaining({ name: "StreamTruncatedError" }));
  });

  it("refuses a conversation that does not end with the user", () => {
    expect(() =>
      codec.buildRequest(
        {
          messages: [
            { role: "user", content: "a" },
            { role: "assistant", content: "b" },
          ],
        },
        COMMAND_R,
      ),
    ).toThrow(expect.objectContaining({ code: "input.messages[1].role" }));
  });
});
