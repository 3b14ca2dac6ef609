import { describe, expect, it } from "vitest";
import { StreamTruncatedError } from "../errors/stream-truncated-error.js";
import { ConverseStreamParser } from "./converse-stream-parser.js";

describe("ConverseStreamParser", () => {
  it("turns text and tool-use events into parts closed by one finish, metadata after messageStop", () => {
    const parser = new ConverseStreamParser();
    const events = [
      { messageStart: { role: "assistant" } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { text: "Let me " } } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { text: "check." } } },
      { contentBlockStop: { contentBlockIndex: 0 } },
      {
        contentBlockStart: {
          contentBlockIndex: 1,
          start: { toolUse: { toolUseId: "tooluse_1", name: "weather" } },
        },
      },
      { contentBlockDelta: { contentBlockIndex: 1, delta: { toolUse: { input: '{"city":' } } } },
      { contentBlockDelta: { contentBlockIndex: 1, delta: { toolUse: { input: '"Oslo"}' } } } },
      { contentBlockStop: { contentBlockIndex: 1 } },
      { messageStop: { stopReason: "tool_use" } },
      { metadata: { usage: { inputTokens: 12, outputTokens: 30, totalTokens: 42 } } },
    ];
    const parts = events.flatMap((event) => parser.parse(event));
    parts.push(...parser.finish());
    expect(parts.map((part) => part.type)).toEqual([
      "text-start",
      "text-delta",
      "text-delta",
      "text-end",
      "tool-use-start",
      "tool-use-delta",
      "tool-use-delta",
      "tool-use-end",
      "finish",
    ]);
    expect(parts[7]).toMatchObject({
      toolCallId: "tooluse_1",
      toolName: "weather",
      input: { city: "Oslo" },
    });
    expect(parts[8]).toEqual({
      type: "finish",
      stopReason: "tool_use",
      rawStopReason: "tool_use",
      usage: { inputTokens: 12, outputTokens: 30 },
    });
  });

  it("accepts metadata before messageStop", () => {
    const parser = new ConverseStreamParser();
    parser.parse({ contentBlockDelta: { contentBlockIndex: 0, delta: { text: "hi" } } });
    parser.parse({ metadata: { usage: { inputTokens: 1, outputTokens: 1 } } });
    parser.parse({ messageStop: { stopReason: "end_turn" } });
    expect(parser.finish()).toEqual([
      { type: "text-end", id: "0" },
      {
        type: "finish",
        stopReason: "end_turn",
        rawStopReason: "end_turn",
        usage: { inputTokens: 1, outputTokens: 1 },
      },
    ]);
  });

  it("fails a stream that ends without messageStop as a retryable StreamTruncatedError", () => {
    const parser = new ConverseStreamParser();
    parser.parse({ messageStart: { role: "assistant" } });
    parser.parse({ contentBlockDelta: { contentBlockIndex: 0, delta: { text: "cut" } } });
    let error: unknown;
    try {
      parser.finish();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StreamTruncatedError);
    expect((error as StreamTruncatedError).isRetryable).toBe(true);
    expect((error as StreamTruncatedError).lastEvent).toBe("contentBlockDelta");
  });
});
