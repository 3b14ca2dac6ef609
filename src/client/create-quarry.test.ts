import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../clock/manual-clock.js";
import { type Emulator, startEmulator } from "../emulator/start-emulator.js";
import { RetryError } from "../errors/retry-error.js";
import { createQuarry } from "./create-quarry.js";
import { outcomesOf, testQuarry } from "./test-quarry.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";

describe("createQuarry configuration against the emulator", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterAll(() => emulator.close());
  afterEach(() => {
    emulator.configure({ auth: { bearerTokens: [] } });
    emulator.reset();
  });

  it("by default sends every call over keep-alive HTTP/1.1 with the SDK's middleware cached", async () => {
    const quarry = testQuarry(emulator, { model: HAIKU });
    expect(quarry.client.config.requestHandler.metadata?.handlerProtocol).toBe("http/1.1");
    expect(quarry.client.config.cacheMiddleware).toBe(true);
    const [invoked, streamed] = await Promise.all([
      quarry.invoke({ prompt: "Lake", maxTokens: 200 }),
      quarry.stream({ prompt: "Lake", maxTokens: 200 }).result(),
    ]);
    expect(!invoked.blocked && invoked.text.length).toBeGreaterThan(0);
    expect(!streamed.blocked && streamed.text.length).toBeGreaterThan(0);
    quarry.destroy();
    const proxied = testQuarry(emulator, { proxy: { httpProxy: "http://127.0.0.1:9" } });
    expect(proxied.client.config.requestHandler.metadata?.handlerProtocol).toBe("http/1.1");
    proxied.destroy();
  });

  it("speaks multiplexed HTTP/2 when asked", async () => {
    const quarry = testQuarry(emulator, { model: HAIKU, http: { protocol: "http2" } });
    expect(quarry.client.config.requestHandler.metadata?.handlerProtocol).toBe("h2");
    const replies = await Promise.all(
      [1, 2, 3].map((i) => quarry.invoke({ prompt: `River ${i}`, maxTokens: 200 })),
    );
    expect(replies.every((reply) => !reply.blocked && reply.text.length > 0)).toBe(true);
    const streamed = await quarry.stream({ prompt: "Lake", maxTokens: 200 }).result();
    expect(!streamed.blocked && streamed.text.length).toBeGreaterThan(0);
    quarry.destroy();
  });

  it("signs with a Bedrock API key (bearer token) when one is given", async () => {
    emulator.configure({ auth: { bearerTokens: ["bedrock-api-key-test"] } });
    const good = createQuarry({
      endpoint: emulator.url,
      region: "us-east-1",
      apiKey: "bedrock-api-key-test",
      model: HAIKU,
      proxy: false,
    });
    const reply = await good.invoke({ prompt: "hi", maxTokens: 100 });
    expect(reply.blocked).toBe(false);
    good.destroy();
    const wrong = createQuarry({
      endpoint: emulator.url,
      region: "us-east-1",
      apiKey: "not-the-key",
      model: HAIKU,
      proxy: false,
    });
    const error = await wrong
      .invoke({ prompt: "hi", maxTokens: 100 })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: "BedrockCallError", isRetryable: false });
    // The wrong key was refused once and not retried.
    expect(outcomesOf(emulator, "InvokeModel")).toEqual({ ok: 1, AccessDeniedException: 1 });
    wrong.destroy();
  });

  it("needs a model, and says where to give one; tells its Region", async () => {
    const quarry = testQuarry(emulator);
    await expect(quarry.region()).resolves.toBe("us-east-1");
    await expect(quarry.invoke({ prompt: "hi" })).rejects.toThrow(
      /invoke needs a model: pass model in the call, or a default model to createQuarry/,
    );
    quarry.destroy();
  });

  it("shares one scheduler between clients", async () => {
    const first = testQuarry(emulator, { model: HAIKU });
    const second = createQuarry({
      endpoint: emulator.url,
      region: "us-east-1",
      credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "x" },
      scheduler: first.scheduler,
      model: HAIKU,
      proxy: false,
    });
    expect(second.scheduler).toBe(first.scheduler);
    await first.invoke({ prompt: "a", maxTokens: 100 });
    await second.invoke({ prompt: "b", maxTokens: 100 });
    expect(first.scheduler.stats().completed).toBe(2);
    first.destroy();
    second.destroy();
  });
});

describe("stream idle timeout on injected clocks", () => {
  it("abandons a stream that falls silent, as a retryable timeout", async () => {
    const emulatorClock = new ManualClock();
    const emulator = await startEmulator({
      port: 0,
      clock: emulatorClock,
      config: { latency: { firstTokenMs: 0, perOutputTokenMs: 60_000 } },
    });
    const clientClock = new ManualClock();
    let markStarted!: () => void;
    const idleTimerStarted = new Promise<void>((resolve) => {
      markStarted = resolve;
    });
    const sleep = clientClock.sleep.bind(clientClock);
    clientClock.sleep = (ms, signal) => {
      const sleeping = sleep(ms, signal);
      markStarted();
      return sleeping;
    };
    const quarry = testQuarry(emulator, {
      model: HAIKU,
      clock: clientClock,
      timeouts: { idleMs: 5_000 },
      scheduler: {
        retry: { maxAttempts: { timeout: 1 } },
        limits: { "*": { concurrency: 4, tpm: 1e9, rpm: 1e7 } },
      },
    });
    const pending = quarry
      .stream({ prompt: "Write 50 words.", maxTokens: 300 })
      .result()
      .catch((caught: unknown) => caught);
    // The idle timer starts once the response headers are in; then five silent seconds pass.
    await idleTimerStarted;
    expect(clientClock.pendingTimers).toBe(1);
    await clientClock.advance(5_000);
    const error = await pending;
    expect(error).toMatchObject({ name: "BedrockCallError", reason: "timeout" });
    const retry = (error as Error).cause as RetryError;
    expect(retry).toBeInstanceOf(RetryError);
    expect(retry.lastError).toMatchObject({ name: "TimeoutError" });
    expect((error as Error).message).toMatch(/silent for 5000 ms/);
    quarry.destroy();
    await emulator.close();
  });
});
