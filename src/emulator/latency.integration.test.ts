import { performance } from "node:perf_hooks";
import {
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock/manual-clock.js";
import { jsonBody, runtimeClient } from "../test-support/sdk-clients.js";
import type { EmulatorConfigInput } from "./config/emulator-config.js";
import { type Emulator, startEmulator } from "./start-emulator.js";
import { countTokens } from "./state/count-tokens.js";

// The latency model through the real AWS SDK on a manual clock: a reply is sent only when the
// test has advanced the clock by exactly the planned time, so every assertion is about manual
// time and none about how fast the machine runs.

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const SONNET_3 = "anthropic.claude-3-sonnet-20240229-v1:0";
const FIRST_TOKEN_MS = 200;
const PER_TOKEN_MS = 10;
// The synthetic responder answers "N tokens" prompts with exactly N tokens.
const PROMPT = "Answer in 30 tokens.";
const OUTPUT_TOKENS = 30;

const body = JSON.stringify({
  anthropic_version: "bedrock-2023-05-31",
  max_tokens: 100,
  messages: [{ role: "user", content: PROMPT }],
});

/** Waits (on the event loop, not on a timer) until the emulator has done something. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Lets pending I/O callbacks run, so that a reply sent too early would have arrived. */
async function settle(turns = 50): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

describe("latency through the real AWS SDK on a manual clock", () => {
  const started: Emulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((emulator) => emulator.close()));
  });

  async function start(config: EmulatorConfigInput = {}) {
    const clock = new ManualClock();
    const emulator = await startEmulator({
      port: 0,
      clock,
      config: {
        latency: { firstTokenMs: FIRST_TOKEN_MS, perOutputTokenMs: PER_TOKEN_MS, jitter: 0 },
        ...config,
      },
    });
    started.push(emulator);
    return { clock, emulator, client: runtimeClient(emulator.url) };
  }

  for (const http1 of [false, true]) {
    it(`sends a reply only after firstTokenMs + outputTokens × perOutputTokenMs (${http1 ? "HTTP/1.1" : "HTTP/2"})`, async () => {
      const { clock, emulator } = await start();
      const client = runtimeClient(emulator.url, { http1 });
      let settled = false;
      const reply = client.send(new InvokeModelCommand({ modelId: HAIKU, body }));
      void reply.then(() => {
        settled = true;
      });
      await until(() => clock.pendingTimers === 1, "the reply to be planned");
      const planned = FIRST_TOKEN_MS + OUTPUT_TOKENS * PER_TOKEN_MS;
      expect(clock.nextDueAt).toBe(planned);

      await clock.advance(planned - 1);
      await settle();
      expect(settled).toBe(false);
      expect(emulator.stats().inFlight).toBe(1);

      await clock.advance(1);
      const response = await reply;
      expect(jsonBody(response.body).usage.output_tokens).toBe(OUTPUT_TOKENS);
      expect(emulator.stats().inFlight).toBe(0);
    });
  }

  it("reports the planned latency in the x-amzn-bedrock-invocation-latency header", async () => {
    const { clock, emulator } = await start();
    const pending = fetch(`${emulator.url}/model/${encodeURIComponent(HAIKU)}/invoke`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    await until(() => clock.pendingTimers === 1, "the reply to be planned");
    await clock.advance(clock.nextDueAt!);
    const response = await pending;
    expect(response.headers.get("x-amzn-bedrock-invocation-latency")).toBe("500");
    expect(response.headers.get("x-amzn-bedrock-output-token-count")).toBe("30");
  });

  it("paces a stream: nothing before the first token, then each delta after its tokens' time", async () => {
    const { clock, client } = await start();
    const events: any[] = [];
    let finished = false;
    // The response may only begin when the first chunk is due, so read in the background.
    const reading = (async () => {
      const response = await client.send(
        new InvokeModelWithResponseStreamCommand({ modelId: HAIKU, body }),
      );
      for await (const event of response.body!) {
        if (event.chunk?.bytes) events.push(JSON.parse(Buffer.from(event.chunk.bytes).toString()));
      }
      finished = true;
    })();

    // Walk manual time from one planned sleep of the emulator to the next.
    const dueTimes: number[] = [];
    for (;;) {
      await until(() => clock.pendingTimers === 1 || finished, "the next planned chunk");
      if (clock.pendingTimers === 0) break;
      if (dueTimes.length === 0) expect(events).toEqual([]);
      dueTimes.push(clock.nextDueAt!);
      expect(events.some((e) => e.type === "message_stop")).toBe(false);
      await clock.advance(clock.nextDueAt! - clock.now());
    }
    await reading;

    const deltas = events.filter((e) => e.type === "content_block_delta");
    const tokens = deltas.map((e) => countTokens(e.delta.text));
    expect(tokens.reduce((a, b) => a + b, 0)).toBe(OUTPUT_TOKENS);
    // The first sleep is the time to first token; each later one is its delta's tokens' time.
    const expected = [FIRST_TOKEN_MS];
    for (const count of tokens) expected.push(expected.at(-1)! + count * PER_TOKEN_MS);
    expect(dueTimes).toEqual(expected);
    expect(clock.now()).toBe(FIRST_TOKEN_MS + OUTPUT_TOKENS * PER_TOKEN_MS);

    const metrics = events.at(-1)["amazon-bedrock-invocationMetrics"];
    expect(events.at(-1).type).toBe("message_stop");
    expect(metrics.firstByteLatency).toBe(FIRST_TOKEN_MS);
    expect(metrics.invocationLatency).toBe(FIRST_TOKEN_MS + OUTPUT_TOKENS * PER_TOKEN_MS);
  });

  it("uses a per-model latency for the model it names, under any of its ids", async () => {
    const { clock, client } = await start({
      modelLatency: { [HAIKU]: { firstTokenMs: 1_000, perOutputTokenMs: 0 } },
    });
    for (const [modelId, planned] of [
      [HAIKU, 1_000],
      [`us.${HAIKU}`, 1_000],
      [SONNET_3, FIRST_TOKEN_MS + OUTPUT_TOKENS * PER_TOKEN_MS],
    ] as const) {
      const reply = client.send(new InvokeModelCommand({ modelId, body }));
      await until(() => clock.pendingTimers === 1, "the reply to be planned");
      expect(clock.nextDueAt! - clock.now()).toBe(planned);
      await clock.advance(planned);
      await reply;
    }
  });

  it("jitters within the configured band and replays the jitter after reset()", async () => {
    const { clock, client, emulator } = await start({
      latency: { firstTokenMs: 1_000, perOutputTokenMs: 0, jitter: 0.5 },
    });
    const waits = async () => {
      const planned: number[] = [];
      for (let i = 0; i < 8; i++) {
        const reply = client.send(new InvokeModelCommand({ modelId: HAIKU, body }));
        await until(() => clock.pendingTimers === 1, "the reply to be planned");
        planned.push(clock.nextDueAt! - clock.now());
        await clock.advance(clock.nextDueAt! - clock.now());
        await reply;
      }
      return planned;
    };
    const first = await waits();
    for (const wait of first) {
      expect(wait).toBeGreaterThanOrEqual(500);
      expect(wait).toBeLessThanOrEqual(1_500);
    }
    expect(new Set(first).size).toBeGreaterThan(4);
    emulator.reset();
    expect(await waits()).toEqual(first);
  });

  it("abandons the wait when the client goes away, counting the request as aborted", async () => {
    const { clock, emulator } = await start();
    const controller = new AbortController();
    const pending = fetch(`${emulator.url}/model/${encodeURIComponent(HAIKU)}/invoke`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
      signal: controller.signal,
    }).catch((error: unknown) => error);
    await until(() => clock.pendingTimers === 1, "the reply to be planned");
    controller.abort();
    await pending;
    await until(() => clock.pendingTimers === 0, "the emulator to drop the wait");
    await until(() => emulator.stats().requests === 1, "the request to be counted");
    expect(emulator.stats().byOutcome).toEqual({ "client-aborted": 1 });
    expect(emulator.stats().inFlight).toBe(0);
  });
});
