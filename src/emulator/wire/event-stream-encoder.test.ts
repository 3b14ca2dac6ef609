import { describe, expect, it } from "vitest";
import { awsErrors } from "../emulator-error.js";
import { decodeEvents, encodeEvent, encodeException, splitFrames } from "./event-stream-encoder.js";

describe("event-stream encoding", () => {
  it("round-trips several frames in one buffer, events and exceptions alike", () => {
    const bytes = Buffer.concat([
      encodeEvent("messageStart", { role: "assistant" }),
      encodeEvent("contentBlockDelta", { contentBlockIndex: 0, delta: { text: "hi" } }),
      encodeException(awsErrors.throttling()),
    ]);
    const events = decodeEvents(bytes);
    expect(events.map((e) => e.headers[":message-type"])).toEqual(["event", "event", "exception"]);
    expect(events[1]!.headers[":event-type"]).toBe("contentBlockDelta");
    expect(events[2]!.headers[":exception-type"]).toBe("throttlingException");
    expect(JSON.parse(events[2]!.body)).toEqual({
      message: "Too many requests, please wait before trying again.",
    });
  });

  it("drops a torn tail instead of misreading it", () => {
    const whole = Buffer.concat([encodeEvent("a", {}), encodeEvent("b", { x: 1 })]);
    expect(splitFrames(whole.subarray(0, whole.length - 3))).toHaveLength(1);
  });

  it("rejects a frame whose checksum does not match", () => {
    const frame = Buffer.from(encodeEvent("a", { text: "hello" }));
    frame.writeUInt8(frame.readUInt8(frame.length - 6) ^ 0xff, frame.length - 6);
    expect(() => decodeEvents(frame)).toThrow();
  });
});
