import { InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/start-emulator.js";
import { responseHeadersOf } from "./response-headers.js";
import { outcomesOf, testQuarry } from "./test-quarry.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";

describe("invoke through the real SDK against the emulator", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterAll(() => emulator.close());
  afterEach(() => {
    emulator.configure({ faults: { internalServerError: 0 } });
    emulator.reset();
  });

  it("returns Claude's text, stop reason and usage", async () => {
    const quarry = testQuarry(emulator, { model: HAIKU });
    const reply = await quarry.invoke({ prompt: "Describe a river in 30 words.", maxTokens: 200 });
    expect(reply.blocked).toBe(false);
    if (reply.blocked) return;
    expect(reply.text.split(" ").length).toBeGreaterThan(10);
    expect(reply.stopReason).toBe("end_turn");
    expect(reply.usage.inputTokens).toBeGreaterThan(0);
    expect(reply.usage.outputTokens).toBeGreaterThan(10);
    expect(reply.modelId).toBe(HAIKU);
    expect(outcomesOf(emulator, "InvokeModel")).toEqual({ ok: 1 });
    quarry.destroy();
  });

  it("keeps the raw token-count headers the SDK does not model", async () => {
    const quarry = testQuarry(emulator);
    const output = await quarry.client.send(
      new InvokeModelCommand({
        modelId: HAIKU,
        body: JSON.stringify({
          anthropic_version: "bedrock-2023-05-31",
          max_tokens: 50,
          messages: [{ role: "user", content: "hi" }],
        }),
      }),
    );
    const headers = responseHeadersOf(output);
    expect(Number(headers["x-amzn-bedrock-input-token-count"])).toBeGreaterThan(0);
    expect(Number(headers["x-amzn-bedrock-output-token-count"])).toBeGreaterThan(0);
    quarry.destroy();
  });
});
