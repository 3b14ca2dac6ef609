import { describe, expect, it } from "vitest";
import type { CodecModel } from "../model-codec.js";
import { mistralChatCodec as codec } from "./mistral-chat-codec.js";
import { readFixture } from "./read-fixture.js";

const LARGE: CodecModel = {
  baseModelId: "mistral.mistral-large-2407-v1:0",
  maxOutputTokens: 8192,
  defaultMaxTokens: 512,
  imageInput: false,
};

describe("Mistral chat codec", () => {
  it("sends the documented tool-call and tool-result messages", () => {
    const body = codec.buildRequest(
      {
        system: "You answer about radio.",
        messages: [
          { role: "user", content: "What is the most popular song on WZPZ?" },
          {
            role: "assistant",
            content: [
              {
                type: "tool-call",
                toolCallId: "v6RMMiRlT7ygYkT4uULjtg",
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
                toolCallId: "v6RMMiRlT7ygYkT4uULjtg",
                content: '{"song": "Elemental Hotel", "artist": "8 Storey Hike"}',
              },
            ],
          },
        ],
        tools: [
          {
            name: "top_song",
            description: "Top song",
            inputSchema: { type: "object", properties: { sign: { type: "string" } } },
          },
        ],
        toolChoice: { type: "auto" },
      },
      LARGE,
    ) as any;
    expect(body.messages[0]).toEqual({ role: "system", content: "You answer about radio." });
    expect(body.messages.slice(1)).toEqual(
      readFixture("mistral-chat-tool-result-request.json").messages,
    );
    expect(body.tools).toEqual([
      {
        type: "function",
        function: {
          name: "top_song",
          description: "Top song",
          parameters: { type: "object", properties: { sign: { type: "string" } } },
        },
      },
    ]);
    expect(body.tool_choice).toBe("auto");
    expect(body.max_tokens).toBe(512);
  });

  it("parses a tool call, arguments given as JSON text", () => {
    const result = codec.parseResponse(readFixture("mistral-chat-tool-call-response.json"));
    expect(result.stopReason).toBe("tool_use");
    expect(result.toolCalls).toEqual([
      { toolCallId: "v6RMMiRlT7ygYkT4uULjtg", toolName: "top_song", input: { sign: "WZPZ" } },
    ]);
    expect(result.text).toBe("");
  });

  it("refuses a forced single tool, which the body cannot say", () => {
    expect(() =>
      codec.buildRequest(
        {
          messages: [{ role: "user", content: "x" }],
          tools: [{ name: "t", inputSchema: {} }],
          toolChoice: { type: "tool", name: "t" },
        },
        LARGE,
      ),
    ).toThrow(expect.objectContaining({ code: "input.toolChoice" }));
  });

  it("streams content pieces and tool calls, then finishes", () => {
    const parser = codec.createStreamParser();
    const parts = [
      {
        choices: [{ index: 0, message: { role: "assistant", content: "Sure" }, stop_reason: null }],
      },
      {
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: "",
              tool_calls: [{ id: "c1", function: { name: "t", arguments: '{"a":1}' } }],
            },
            stop_reason: "tool_calls",
          },
        ],
      },
    ].flatMap((chunk) => parser.parse(chunk));
    expect(parts.map((part) => part.type)).toEqual([
      "text-start",
      "text-delta",
      "tool-use-start",
      "tool-use-delta",
      "tool-use-end",
      "text-end",
    ]);
    expect(parts[4]).toMatchObject({ input: { a: 1 }, toolCallId: "c1" });
    expect(parser.finish()[0]).toMatchObject({ stopReason: "tool_use" });
    expect(() => codec.createStreamParser().finish()).toThrow(
      expect.objectContaining({ name: "StreamTruncatedError" }),
    );
  });
});
