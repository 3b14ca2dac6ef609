import {
  InternalServerException,
  InvokeModelCommand,
  ThrottlingException,
} from "@aws-sdk/client-bedrock-runtime";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../clock/manual-clock.js";
import { jsonBody, runtimeClient } from "../../test-support/sdk-clients.js";
import { recordUsageHeaders } from "../families/__fixtures__/fixture-kit.js";
import { type Emulator, startEmulator } from "../start-emulator.js";

const TITAN_EMBED = "amazon.titan-embed-text-v2:0";
const TITAN_IMAGE = "amazon.titan-image-generator-v1";
const SIX_TOKENS = { inputText: "one two three four five six" };
const IMAGE = {
  taskType: "TEXT_IMAGE",
  textToImageParams: { text: "a small stone" },
  imageGenerationConfig: { width: 512, height: 512 },
};

/** Lets the emulator's handlers run until a sleep is pending on the manual clock. */
async function untilSleeping(clock: ManualClock): Promise<void> {
  for (let turn = 0; turn < 10_000 && clock.pendingTimers === 0; turn++)
    await new Promise((resolve) => setImmediate(resolve));
  expect(clock.pendingTimers).toBeGreaterThan(0);
}

describe("InvokeModel for embedding and image models", () => {
  let emulator: Emulator;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock();
    emulator = await startEmulator({ port: 0, clock });
  });
  afterEach(() => emulator.close());

  it("admits against the quota with the input tokens only (no output reservation)", async () => {
    emulator.configure({ quotas: { [TITAN_EMBED]: { tpm: 10 } } });
    const client = runtimeClient(emulator.url);
    const body = JSON.stringify(SIX_TOKENS);
    // Six tokens fit a 10-token minute; a text model would also have reserved its max tokens.
    const first = jsonBody(
      (await client.send(new InvokeModelCommand({ modelId: TITAN_EMBED, body }))).body,
    );
    expect(first.inputTextTokenCount).toBe(6);
    const second = await client
      .send(new InvokeModelCommand({ modelId: TITAN_EMBED, body }))
      .catch((error: unknown) => error);
    expect(second).toBeInstanceOf(ThrottlingException);
    expect((second as ThrottlingException).$metadata.httpStatusCode).toBe(429);
    // A minute refills the bucket.
    await clock.advance(60_000);
    await client.send(new InvokeModelCommand({ modelId: TITAN_EMBED, body }));
    const stats = emulator.stats();
    expect(stats.byOperation.InvokeModel).toMatchObject({ ok: 2 });
    expect(stats.inputTokens).toBe(12);
    expect(stats.outputTokens).toBe(0);
    client.destroy();
  });

  it("waits out the latency model on the injected clock and reports it in the headers", async () => {
    emulator.configure({ latency: { firstTokenMs: 1500 } });
    const client = runtimeClient(emulator.url, { http1: true });
    const usage = recordUsageHeaders(client);
    let settled = false;
    const pending = client
      .send(new InvokeModelCommand({ modelId: TITAN_IMAGE, body: JSON.stringify(IMAGE) }))
      .finally(() => {
        settled = true;
      });
    await untilSleeping(clock);
    await clock.advance(1000);
    expect(settled).toBe(false);
    await clock.advance(500);
    const body = jsonBody((await pending).body);
    expect(body.images).toHaveLength(1);
    expect(usage()).toEqual({ input: 3, output: 0, latency: 1500 });
    client.destroy();
  });

  it("draws faults for embedding and image calls, and releases their lease", async () => {
    emulator.configure({
      faults: { internalServerError: 1, operations: ["InvokeModel"] },
      quotas: { [TITAN_EMBED]: { concurrency: 1 } },
    });
    const client = runtimeClient(emulator.url);
    for (const [modelId, body] of [
      [TITAN_EMBED, SIX_TOKENS],
      [TITAN_IMAGE, IMAGE],
    ] as const) {
      const error = await client
        .send(new InvokeModelCommand({ modelId, body: JSON.stringify(body) }))
        .catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(InternalServerException);
      expect((error as InternalServerException).$metadata.httpStatusCode).toBe(500);
    }
    // The failed call left the one concurrency slot free again.
    emulator.configure({ faults: { internalServerError: 0 } });
    const body = JSON.stringify(SIX_TOKENS);
    await client.send(new InvokeModelCommand({ modelId: TITAN_EMBED, body }));
    expect(emulator.stats().inFlight).toBe(0);
    expect(emulator.stats().byOutcome["fault:internalServerError"]).toBe(2);
    client.destroy();
  });

  it("drops the connection mid-body on a connection-reset fault", async () => {
    emulator.configure({ faults: { connectionReset: 1, operations: ["InvokeModel"] } });
    const client = runtimeClient(emulator.url, { http1: true });
    const error = await client
      .send(new InvokeModelCommand({ modelId: TITAN_EMBED, body: JSON.stringify(SIX_TOKENS) }))
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(Error);
    expect(emulator.stats().byOutcome["fault:connectionReset"]).toBe(1);
    client.destroy();
  });
});
