import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/start-emulator.js";
import { BedrockCallError } from "../errors/bedrock-call-error.js";
import { RetryError } from "../errors/retry-error.js";
import type { Quarry } from "./create-quarry.js";
import { outcomesOf, testQuarry } from "./test-quarry.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";

// One model per text family the emulator serves, with the operations each supports.
const FAMILIES = [
  { model: HAIKU, stream: true },
  { model: "us.anthropic.claude-sonnet-4-20250514-v1:0", stream: true },
  { model: "amazon.nova-lite-v1:0", stream: true },
  { model: "meta.llama3-8b-instruct-v1:0", stream: true },
  { model: "mistral.mistral-7b-instruct-v0:2", stream: true },
  { model: "mistral.mistral-large-2407-v1:0", stream: true },
  { model: "amazon.titan-text-express-v1", stream: true },
  { model: "cohere.command-r-v1:0", stream: true },
  { model: "cohere.command-text-v14", stream: true },
] as const;

const NO_FAULTS = {
  internalServerError: 0,
  serviceUnavailable: 0,
  modelNotReady: 0,
  modelTimeout: 0,
  connectionReset: 0,
};

describe("every text family through invoke, stream and converse", () => {
  let emulator: Emulator;
  let quarry: Quarry;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    quarry = testQuarry(emulator);
  });
  afterAll(async () => {
    quarry.destroy();
    await emulator.close();
  });

  it.each(FAMILIES)("$model", async ({ model, stream }) => {
    const prompt = "Describe a mountain lake in about 30 words.";
    const invoked = await quarry.invoke({ model, prompt, maxTokens: 400, system: "Be vivid." });
    if (invoked.blocked) throw new Error("unexpected block");
    expect(invoked.text.length).toBeGreaterThan(10);
    expect(invoked.stopReason).toBe("end_turn");
    expect(invoked.usage.outputTokens).toBeGreaterThan(0);
    if (stream) {
      const streamed = await quarry.stream({ model, prompt, maxTokens: 400 }).result();
      if (streamed.blocked) throw new Error("unexpected block");
      expect(streamed.text.length).toBeGreaterThan(10);
      expect(streamed.stopReason).toBe("end_turn");
    }
    const conversed = await quarry.converse({ model, prompt, maxTokens: 400 });
    expect(!conversed.blocked && conversed.text.length).toBeGreaterThan(10);
  });
});

describe("faults and final errors", () => {
  let emulator: Emulator;
  let quarry: Quarry;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, config: { deniedModels: ["amazon.nova-pro-v1:0"] } });
    quarry = testQuarry(emulator, { model: HAIKU });
  });
  afterAll(async () => {
    quarry.destroy();
    await emulator.close();
  });
  beforeEach(() => {
    emulator.configure({ seed: 11, faults: NO_FAULTS });
    emulator.reset();
  });

  it.each([
    ["internalServerError", "InternalServerException"],
    ["serviceUnavailable", "ServiceUnavailableException"],
    ["modelNotReady", "ModelNotReadyException"],
    ["modelTimeout", "ModelTimeoutException"],
    ["connectionReset", "connectionReset"],
  ] as const)("recovers from %s faults and loses nothing", async (fault, _name) => {
    emulator.configure({ faults: { [fault]: 0.3 } });
    const calls = 8;
    const prompts = Array.from({ length: calls }, (_, i) => `Question ${i}: describe a valley.`);
    const replies = [];
    for (const prompt of prompts) replies.push(await quarry.invoke({ prompt, maxTokens: 300 }));
    expect(replies).toHaveLength(calls);
    expect(replies.every((reply) => !reply.blocked && reply.text.length > 0)).toBe(true);
    const outcomes = outcomesOf(emulator, "InvokeModel");
    expect(outcomes.ok).toBe(calls);
    const faults = Object.entries(outcomes)
      .filter(([outcome]) => outcome !== "ok")
      .reduce((sum, [, count]) => sum + count, 0);
    expect(faults).toBeGreaterThan(0);
  });

  it("does not retry a ValidationException, and says what the service said", async () => {
    const error = await quarry
      .invoke({ prompt: "hi", maxTokens: 50, additionalFields: { not_a_field: true } })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BedrockCallError);
    const described = error as BedrockCallError;
    expect(described.reason).toBe("invalid-body");
    expect(described.isRetryable).toBe(false);
    expect(described.extraneousFields).toEqual(["not_a_field"]);
    expect(described.message).toMatch(
      /ValidationException, HTTP 400; model anthropic\.claude-3-haiku/,
    );
    expect(described.cause).toBeInstanceOf(RetryError);
    expect((described.cause as RetryError).reason).toBe("final");
    expect(emulator.stats().requests).toBe(1);
  });

  it("does not retry AccessDenied for a model without access", async () => {
    const error = await quarry
      .converse({ model: "amazon.nova-pro-v1:0", prompt: "hi", maxTokens: 50 })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ reason: "access-denied", isRetryable: false });
    expect((error as Error).message).toMatch(
      /AccessDeniedException, HTTP 403; model amazon\.nova-pro-v1:0/,
    );
    expect((error as BedrockCallError).hint).toBeTruthy();
    expect(emulator.stats().requests).toBe(1);
  });

  it("does not retry an unknown model that only a hint let through", async () => {
    const error = await quarry
      .invoke({
        model: "anthropic.claude-9-imaginary-v1:0",
        modelHint: { family: "anthropic-claude" },
        prompt: "hi",
        maxTokens: 50,
      })
      .catch((caught: unknown) => caught);
    expect((error as BedrockCallError).isRetryable).toBe(false);
    expect((error as BedrockCallError).exceptionName).toMatch(
      /ResourceNotFoundException|ValidationException/,
    );
    expect((error as Error).message).toContain("anthropic.claude-9-imaginary-v1:0");
    expect(emulator.stats().requests).toBe(1);
  });

  it("refuses an id it cannot place before sending, naming the closest known id", async () => {
    const error = await quarry
      .invoke({ model: "anthropic.claude-3-haiku-20240307", prompt: "hi", maxTokens: 50 })
      .catch((caught: unknown) => caught);
    expect((error as Error).message).toMatch(/anthropic\.claude-3-haiku-20240307-v1:0/);
    expect(emulator.stats().requests).toBe(0);
  });
});
