import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_MODELS } from "../../src/emulator/catalog/builtin-models.js";
import type { Emulator } from "../../src/emulator/start-emulator.js";
import { startEmulator } from "../../src/emulator/start-emulator.js";
import { emulatorConfig, LATENCY, makeScenarios } from "./scenarios.js";

const scenarios = makeScenarios(1);
const long = scenarios.find((scenario) => scenario.name === "tpm-max-tokens")!;

describe("the scenarios", () => {
  it("configure Quarry with maxTokens auto everywhere", () => {
    for (const scenario of scenarios) expect(scenario.quarryMaxTokens).toBe("auto");
  });

  it("give the long-generation scenario its own latency, the rest the default", () => {
    expect(long.latency).toEqual({ firstTokenMs: 400, perOutputTokenMs: 20, jitter: 0.25 });
    expect(emulatorConfig(long).latency).toEqual(long.latency);
    expect(long.expectedReplySeconds).toBeCloseTo(18.4, 9);
    for (const scenario of scenarios.filter((each) => each !== long)) {
      expect(emulatorConfig(scenario).latency).toEqual(LATENCY);
      expect(scenario.expectedReplySeconds).toBeCloseTo(2.2, 9);
    }
  });

  it("size the long-generation scenario at about 220 records a minute of 1M TPM", () => {
    expect(long.maxTokens).toBe(32_000);
    expect(long.quota).toEqual({ tpm: 1_000_000 });
    expect(long.estimatedCharge).toBeGreaterThan(4_500);
    expect(long.estimatedCharge).toBeLessThan(4_600);
    expect(long.records).toBeGreaterThanOrEqual(215);
    expect(long.records).toBeLessThanOrEqual(225);
  });

  it("never ask for more max_tokens than the emulator's catalog allows the model", () => {
    for (const scenario of scenarios) {
      const base = scenario.modelId.replace(/^(us|eu|apac|global)\./, "");
      const model = BUILTIN_MODELS.find((each) => each.modelId === base);
      expect(model, base).toBeDefined();
      expect(scenario.maxTokens).toBeLessThanOrEqual(model!.maxOutputTokens);
    }
  });
});

describe("the long-generation scenario against the emulator", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    // The scenario's configuration without its latency, so the test takes no 18 s.
    emulator.configure({
      ...emulatorConfig(long),
      latency: { firstTokenMs: 0, perOutputTokenMs: 0, jitter: 0 },
    });
  });
  afterAll(() => emulator.close());

  it("accepts max_tokens 32,000 on the profile and replies with 800–1,000 tokens", async () => {
    const response = await fetch(
      `${emulator.url}/model/${encodeURIComponent(long.modelId)}/invoke`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          anthropic_version: "bedrock-2023-05-31",
          max_tokens: long.maxTokens,
          messages: [{ role: "user", content: "Write a product description for Aurora 1." }],
        }),
      },
    );
    const body = (await response.json()) as {
      usage: { output_tokens: number };
      stop_reason: string;
    };
    expect(response.status).toBe(200);
    expect(body.stop_reason).toBe("end_turn");
    expect(body.usage.output_tokens).toBeGreaterThanOrEqual(800);
    expect(body.usage.output_tokens).toBeLessThanOrEqual(1_000);
  });
});
