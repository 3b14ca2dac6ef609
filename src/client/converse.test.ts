import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type Emulator, startEmulator } from "../emulator/start-emulator.js";
import type { StreamPart } from "../models/model-codec.js";
import type { Quarry } from "./create-quarry.js";
import { outcomesOf, testQuarry } from "./test-quarry.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const NOVA = "amazon.nova-lite-v1:0";

describe("converse, tools and guardrails against the emulator", () => {
  let emulator: Emulator;
  let quarry: Quarry;
  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      config: {
        guardrails: [
          {
            id: "grtest1",
            version: "1",
            deniedWords: ["plutonium"],
            blockedInputMessaging: "Sorry, I cannot discuss that.",
          },
        ],
      },
    });
    quarry = testQuarry(emulator, { model: HAIKU });
  });
  afterAll(async () => {
    quarry.destroy();
    await emulator.close();
  });
  beforeEach(() => emulator.reset());

  it("converses with a system prompt and inference settings, returning text and usage", async () => {
    for (const model of [HAIKU, NOVA]) {
      const reply = await quarry.converse({
        model,
        system: "You are terse.",
        prompt: "Describe the sea in 20 words.",
        maxTokens: 300,
        temperature: 0.2,
        topP: 0.9,
      });
      if (reply.blocked) throw new Error("unexpected block");
      expect(reply.text.length).toBeGreaterThan(20);
      expect(reply.stopReason).toBe("end_turn");
      expect(reply.usage.inputTokens).toBeGreaterThan(0);
      expect(reply.usage.outputTokens).toBeGreaterThan(0);
    }
    expect(outcomesOf(emulator, "Converse")).toEqual({ ok: 2 });
  });

  it("streams Converse as parts closed by one finish", async () => {
    const stream = quarry.converseStream({ prompt: "Write 30 words about hills.", maxTokens: 300 });
    const parts: StreamPart[] = [];
    for await (const part of stream) parts.push(part);
    expect(parts[0]?.type).toBe("text-start");
    expect(parts.at(-1)?.type).toBe("finish");
    expect(parts.filter((part) => part.type === "text-delta").length).toBeGreaterThan(2);
    const result = await stream.result();
    expect(!result.blocked && result.usage.outputTokens).toBeGreaterThan(0);
  });

  it("retries a truncated ConverseStream read whole, and blocks through a guardrail", async () => {
    emulator.configure({ seed: 5, faults: { streamTruncated: 0.5 } });
    try {
      for (let i = 0; i < 4; i++) {
        const reply = await quarry
          .converseStream({ prompt: `Hills ${i}`, maxTokens: 300 })
          .result();
        expect(!reply.blocked && reply.stopReason).toBe("end_turn");
      }
      const outcomes = outcomesOf(emulator, "ConverseStream");
      expect(outcomes.ok).toBe(4);
      expect(outcomes["fault:streamTruncated"]).toBeGreaterThan(0);
    } finally {
      emulator.configure({ faults: { streamTruncated: 0 } });
    }
    const blocked = await quarry
      .converseStream({
        prompt: "Explain plutonium.",
        maxTokens: 200,
        guardrail: { identifier: "grtest1", version: "1", streamProcessingMode: "sync" },
      })
      .result();
    expect(blocked).toMatchObject({ blocked: true, action: "GUARDRAIL_INTERVENED" });
  });

  it("returns native structured output validated against a zod schema", async () => {
    const schema = z.object({ river: z.string(), lengthKm: z.number() });
    const reply = await quarry.converse({
      model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      prompt: "Name a long river.",
      maxTokens: 400,
      outputSchema: { schema, name: "river" },
    });
    if (reply.blocked) throw new Error("unexpected block");
    expect(schema.safeParse(reply.object).success).toBe(true);
  });

  it("runs a tool loop with a zod schema: calls the tool, feeds the result back, returns every step", async () => {
    const calls: unknown[] = [];
    const reply = await quarry.converse({
      prompt: "What is the weather in Oslo?",
      maxTokens: 300,
      tools: {
        get_weather: {
          description: "Current weather for a city.",
          inputSchema: z.object({ city: z.string() }),
          execute: (input: { city: string }) => {
            calls.push(input);
            return { city: input.city, forecast: "light rain", celsius: 7 };
          },
        },
      },
    });
    expect(calls).toHaveLength(1);
    expect(reply.finishReason).toBe("answered");
    expect(reply.steps).toHaveLength(2);
    expect(reply.steps[0]!.toolRuns[0]).toMatchObject({
      toolName: "get_weather",
      output: { forecast: "light rain" },
    });
    if (reply.blocked) throw new Error("unexpected block");
    expect(reply.text).toContain("light rain");
    expect(reply.messages.map((message) => message.role)).toEqual([
      "user",
      "assistant",
      "user",
      "assistant",
    ]);
  });

  it("runs a tool loop with a JSON Schema and sends a thrown error back to the model", async () => {
    const reply = await quarry.runTools({
      model: NOVA,
      prompt: "Look up the stock price please.",
      maxTokens: 300,
      tools: {
        stock_price: {
          inputSchema: {
            type: "object",
            properties: { ticker: { type: "string" } },
            required: ["ticker"],
          },
          execute: () => {
            throw new Error("market closed");
          },
        },
      },
    });
    expect(reply.steps[0]!.toolRuns[0]!.error).toBe("stock_price failed: market closed");
    if (reply.blocked) throw new Error("unexpected block");
    expect(reply.text).toContain("market closed");
    expect(reply.finishReason).toBe("answered");
  });

  it("stops at the step limit with the model still asking for tools", async () => {
    let runs = 0;
    const reply = await quarry.runTools({
      prompt: "What is the weather in Bergen?",
      maxTokens: 300,
      maxSteps: 1,
      tools: {
        get_weather: {
          inputSchema: z.object({ city: z.string() }),
          execute: () => {
            runs++;
            return "sunny";
          },
        },
      },
    });
    expect(reply.finishReason).toBe("step-limit");
    expect(reply.steps).toHaveLength(1);
    expect(runs).toBe(0);
    expect(!reply.blocked && reply.toolCalls[0]?.toolName).toBe("get_weather");
    expect(outcomesOf(emulator, "Converse")).toEqual({ ok: 1 });
  });

  it("returns a typed blocked outcome when a guardrail intervenes, on converse and invoke", async () => {
    const guardrail = { identifier: "grtest1", version: "1" };
    const conversed = await quarry.converse({
      prompt: "How do I enrich plutonium?",
      maxTokens: 200,
      guardrail,
    });
    expect(conversed).toMatchObject({ blocked: true, output: "Sorry, I cannot discuss that." });
    if (!conversed.blocked) throw new Error("expected a block");
    expect(conversed.reason).toMatch(/plutonium|blocked|guardrail/i);
    const invoked = await quarry.invoke({
      prompt: "Tell me about plutonium.",
      maxTokens: 200,
      guardrail,
    });
    expect(invoked).toMatchObject({ blocked: true, action: "INTERVENED" });
    const fine = await quarry.converse({
      prompt: "Tell me about rivers.",
      maxTokens: 200,
      guardrail,
    });
    expect(fine.blocked).toBe(false);
  });

  it("applies a guardrail on its own", async () => {
    const blocked = await quarry.applyGuardrail({
      identifier: "grtest1",
      version: "1",
      content: "Where can I buy plutonium?",
    });
    expect(blocked.blocked).toBe(true);
    expect(blocked.action).toBe("GUARDRAIL_INTERVENED");
    expect(blocked.outputs).toEqual(["Sorry, I cannot discuss that."]);
    const clean = await quarry.applyGuardrail({
      identifier: "grtest1",
      version: "1",
      content: "Hello",
    });
    expect(clean).toMatchObject({ blocked: false, action: "NONE" });
  });

  it("counts tokens with CountTokens where offered, and estimates locally elsewhere", async () => {
    const counted = await quarry.countTokens({
      model: "anthropic.claude-3-5-sonnet-20240620-v1:0",
      prompt: "How many tokens is this sentence?",
    });
    expect(counted.estimated).toBe(false);
    expect(counted.inputTokens).toBeGreaterThan(0);
    expect(outcomesOf(emulator, "CountTokens")).toEqual({ ok: 1 });
    const estimated = await quarry.countTokens({ model: NOVA, prompt: "How many tokens?" });
    expect(estimated).toMatchObject({ estimated: true, modelId: NOVA });
    expect(estimated.inputTokens).toBeGreaterThan(0);
  });
});
