import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Emulator } from "../../src/emulator/start-emulator.js";
import { startEmulator } from "../../src/emulator/start-emulator.js";
import { drainQuota, textOfTokens } from "./drain-quota.js";
import { subtractStats } from "./measure-row.js";

const MODEL = "anthropic.claude-3-haiku-20240307-v1:0";

async function invokeStatus(url: string, maxTokens: number): Promise<number> {
  const response = await fetch(`${url}/model/${encodeURIComponent(MODEL)}/invoke`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: maxTokens,
      messages: [{ role: "user", content: "Name a river." }],
    }),
  });
  await response.arrayBuffer();
  return response.status;
}

describe("drainQuota against the emulator", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterAll(() => emulator.close());

  it("writes text of exactly the tokens asked for", () => {
    expect(textOfTokens(5).split(" ")).toHaveLength(5);
  });

  it("spends the request bucket and, where tokens can bind, the token bucket", async () => {
    const quota = { tpm: 600, rpm: 6 };
    emulator.configure({ quotas: { [MODEL]: quota } });
    emulator.reset();
    const statuses = await drainQuota(emulator.url, MODEL, quota, 1, 200);
    expect(statuses).toEqual({ 200: 5 + 1 });
    const before = emulator.stats();
    // 5 tiny requests, then the rest of the 600-token bucket in one: all of it charged. The
    // buckets refill a request in 10 s, so the probe right after cannot fit.
    expect(before.inputTokens + before.outputTokens).toBe(600);
    expect(await invokeStatus(emulator.url, 100)).toBe(429);
    const run = subtractStats(emulator.stats(), before);
    expect(run.requests).toBe(1);
    expect(Object.keys(run.byOutcome)).toEqual([expect.stringMatching(/^throttled:/)]);
  });

  it("leaves a token bucket alone that the request limit keeps from binding", async () => {
    const quota = { tpm: 6_000_000, rpm: 30 };
    emulator.configure({ quotas: { [MODEL]: quota } });
    emulator.reset();
    const statuses = await drainQuota(emulator.url, MODEL, quota, 1, 200);
    expect(statuses).toEqual({ 200: 29 });
  });
});
