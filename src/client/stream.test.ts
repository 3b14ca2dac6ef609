import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/start-emulator.js";
import { RetryError } from "../errors/retry-error.js";
import type { StreamPart } from "../models/model-codec.js";
import { outcomesOf, testQuarry } from "./test-quarry.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const NO_FAULTS = {
  streamTruncated: 0,
  midStreamThrottling: 0,
  connectionReset: 0,
  modelStreamError: 0,
};

describe("stream (InvokeModelWithResponseStream) against the emulator", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterAll(() => emulator.close());
  afterEach(() => {
    emulator.configure({ faults: NO_FAULTS, latency: { firstTokenMs: 0, perOutputTokenMs: 0 } });
    emulator.reset();
  });

  it("yields text parts in order, closed by one finish carrying stop reason and usage", async () => {
    const quarry = testQuarry(emulator, { model: HAIKU });
    const stream = quarry.stream({ prompt: "Write 40 words about stone.", maxTokens: 200 });
    const parts: StreamPart[] = [];
    for await (const part of stream) parts.push(part);
    const types = parts.map((part) => part.type);
    expect(types[0]).toBe("text-start");
    expect(types.at(-2)).toBe("text-end");
    expect(types.at(-1)).toBe("finish");
    expect(types.filter((type) => type === "finish")).toHaveLength(1);
    expect(types.filter((type) => type === "text-delta").length).toBeGreaterThan(3);
    const finish = parts.at(-1) as Extract<StreamPart, { type: "finish" }>;
    expect(finish.stopReason).toBe("end_turn");
    expect(finish.usage.outputTokens).toBeGreaterThan(20);
    const result = await stream.result();
    if (result.blocked) throw new Error("unexpected block");
    const joined = parts.map((part) => (part.type === "text-delta" ? part.delta : "")).join("");
    expect(result.text).toBe(joined);
    expect(result.usage).toEqual(finish.usage);
    quarry.destroy();
  });

  it("retries a truncated stream read with result(), and succeeds", async () => {
    emulator.configure({ seed: 7, faults: { streamTruncated: 0.5 } });
    const quarry = testQuarry(emulator, { model: HAIKU });
    const replies = [];
    for (let i = 0; i < 6; i++)
      replies.push(await quarry.stream({ prompt: `Stone ${i}`, maxTokens: 100 }).result());
    expect(replies.every((reply) => !reply.blocked && reply.stopReason === "end_turn")).toBe(true);
    const outcomes = outcomesOf(emulator, "InvokeModelWithResponseStream");
    expect(outcomes.ok).toBe(6);
    expect(outcomes["fault:streamTruncated"]).toBeGreaterThan(0);
    quarry.destroy();
  });

  it("gives up with a RetryError when every stream is truncated", async () => {
    emulator.configure({ faults: { streamTruncated: 1 } });
    const quarry = testQuarry(emulator, { model: HAIKU });
    const error = await quarry
      .stream({ prompt: "Stone", maxTokens: 50 })
      .result()
      .catch((caught: unknown) => caught);
    // Described for the user, with the scheduler's RetryError (every attempt) as the cause.
    expect(error).toMatchObject({ name: "BedrockCallError", reason: "stream-truncated" });
    const retry = (error as Error).cause as RetryError;
    expect(retry).toBeInstanceOf(RetryError);
    expect(retry.reason).toBe("max-attempts");
    // The codec's own truncation error: a QuarryError named StreamTruncatedError, retryable.
    expect(retry.lastError).toMatchObject({ name: "StreamTruncatedError" });
    expect(outcomesOf(emulator, "InvokeModelWithResponseStream")["fault:streamTruncated"]).toBe(
      retry.failures.length,
    );
    quarry.destroy();
  });

  it("surfaces a truncation after parts were yielded, without retrying", async () => {
    emulator.configure({ faults: { streamTruncated: 1 } });
    const quarry = testQuarry(emulator, { model: HAIKU });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const part of quarry.stream({ prompt: "Stone", maxTokens: 50 }))
        seen.push(part.type);
    })().catch((caught: unknown) => caught);
    expect(seen).toContain("text-delta");
    expect(seen).not.toContain("finish");
    expect(error).toMatchObject({ name: "BedrockCallError", reason: "stream-truncated" });
    expect((error as Error).cause).toMatchObject({ name: "StreamTruncatedError" });
    expect(emulator.stats().requests).toBe(1);
    quarry.destroy();
  });

  it("recovers from mid-stream throttling and connection resets when read whole", async () => {
    emulator.configure({ seed: 3, faults: { midStreamThrottling: 0.15, connectionReset: 0.15 } });
    const quarry = testQuarry(emulator, { model: HAIKU });
    for (let i = 0; i < 6; i++) {
      const reply = await quarry.stream({ prompt: `River ${i}`, maxTokens: 400 }).result();
      expect(!reply.blocked && reply.stopReason).toBe("end_turn");
    }
    const outcomes = outcomesOf(emulator, "InvokeModelWithResponseStream");
    expect(outcomes.ok).toBe(6);
    expect(
      (outcomes["fault:midStreamThrottling"] ?? 0) + (outcomes["fault:connectionReset"] ?? 0),
    ).toBeGreaterThan(0);
    quarry.destroy();
  });

  it("stops mid-stream when the caller aborts", async () => {
    emulator.configure({ latency: { firstTokenMs: 0, perOutputTokenMs: 2 } });
    const quarry = testQuarry(emulator, { model: HAIKU });
    const controller = new AbortController();
    const seen: string[] = [];
    const error = await (async () => {
      for await (const part of quarry.stream({
        prompt: "Write 100 words about rain.",
        maxTokens: 300,
        signal: controller.signal,
      })) {
        seen.push(part.type);
        if (part.type === "text-delta") controller.abort(new Error("enough"));
      }
    })().catch((caught: unknown) => caught);
    expect((error as Error).message).toBe("enough");
    expect(seen).not.toContain("finish");
    quarry.destroy();
  });

  it("ends the request when the reader breaks off", async () => {
    emulator.configure({ latency: { firstTokenMs: 0, perOutputTokenMs: 2 } });
    const quarry = testQuarry(emulator, { model: HAIKU });
    let deltas = 0;
    for await (const part of quarry.stream({
      prompt: "Write 100 words about rain.",
      maxTokens: 300,
    })) {
      if (part.type === "text-delta" && ++deltas === 2) break;
    }
    expect(deltas).toBe(2);
    quarry.destroy();
  });
});
