import { performance } from "node:perf_hooks";
import {
  InvokeModelCommand,
  ServiceUnavailableException,
  ThrottlingException,
} from "@aws-sdk/client-bedrock-runtime";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock/manual-clock.js";
import { jsonBody, runtimeClient } from "../test-support/sdk-clients.js";
import type { EmulatorConfigInput } from "./config/emulator-config.js";
import { type Emulator, startEmulator } from "./start-emulator.js";

// Quotas through the real AWS SDK on a manual clock: requests are held in flight by a latency
// that only passes when the test advances the clock, so reservations, refunds and refills are
// exact and no test depends on how fast the machine is.

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const SONNET_4 = "us.anthropic.claude-sonnet-4-20250514-v1:0";
const HOLD_MS = 1_000;

const body = (maxTokens: number, text = "Answer in 10 tokens.") =>
  JSON.stringify({
    anthropic_version: "bedrock-2023-05-31",
    max_tokens: maxTokens,
    messages: [{ role: "user", content: text }],
  });

/** Waits (on the event loop, not on a timer) until the emulator has done something. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

describe("quotas through the real AWS SDK", () => {
  const started: Emulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((emulator) => emulator.close()));
  });

  /** An emulator on a manual clock; with `holdReplies`, each reply waits HOLD_MS of manual time. */
  async function start(config: EmulatorConfigInput, holdReplies = true) {
    const clock = new ManualClock();
    const emulator = await startEmulator({
      port: 0,
      clock,
      config: {
        ...config,
        latency: { firstTokenMs: holdReplies ? HOLD_MS : 0, perOutputTokenMs: 0 },
      },
    });
    started.push(emulator);
    const client = runtimeClient(emulator.url, { http1: true });
    const invoke = (maxTokens: number, modelId = HAIKU, text?: string) =>
      client.send(new InvokeModelCommand({ modelId, body: body(maxTokens, text) }));
    /**
     * Sends a request and waits until the emulator holds it (admitted, waiting on the clock);
     * `reply` settles once the test advances the clock past the hold.
     */
    const hold = async (maxTokens: number, modelId = HAIKU) => {
      const held = clock.pendingTimers;
      const reply = invoke(maxTokens, modelId);
      reply.catch(() => {});
      await until(() => clock.pendingTimers === held + 1, "the request to be admitted");
      return { reply };
    };
    return { clock, client, invoke, hold, emulator };
  }

  it("reserves input + max_tokens at the start and refunds the unused part at the end", async () => {
    const { clock, invoke, hold, emulator } = await start({ quotas: { [HAIKU]: { tpm: 1_000 } } });
    const first = await hold(600);
    const error = await failure(invoke(600));
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error.$metadata.httpStatusCode).toBe(429);
    expect(error.message).toBe("Too many tokens, please wait before trying again.");

    await clock.advance(HOLD_MS);
    const reply = jsonBody((await first.reply).body);
    expect(reply.usage.output_tokens).toBe(10);
    // The unused 590 came back: another 600-token reservation fits at once.
    const second = await hold(600);
    await clock.advance(HOLD_MS);
    await second.reply;
    expect(emulator.stats().byOutcome).toEqual({ ok: 2, "throttled:tpm": 1 });
  });

  it("charges output at the model's burndown (5× for Claude 4) and at an override", async () => {
    const { clock, invoke, hold } = await start({ quotas: { [SONNET_4]: { tpm: 3_000 } } });
    // 500 × 5 = 2,500 reserved: a second does not fit beside the first.
    const first = await hold(500, SONNET_4);
    expect(await failure(invoke(500, SONNET_4))).toBeInstanceOf(ThrottlingException);
    await clock.advance(HOLD_MS);
    await first.reply;

    const other = await start({
      quotas: { [SONNET_4]: { tpm: 3_000, outputBurndown: 1 } },
    });
    const held = [await other.hold(500, SONNET_4), await other.hold(500, SONNET_4)];
    await other.clock.advance(HOLD_MS);
    await Promise.all(held.map((h) => h.reply));
  });

  it("throttles a reservation larger than the whole TPM every time", async () => {
    const { clock, invoke } = await start({ quotas: { [HAIKU]: { tpm: 1_000 } } }, false);
    for (let minute = 0; minute < 3; minute++) {
      const error = await failure(invoke(2_000));
      expect(error).toBeInstanceOf(ThrottlingException);
      expect(error.message).toBe("Too many tokens, please wait before trying again.");
      await clock.advance(60_000);
    }
  });

  it("keeps an RPM bucket, refilled over manual time", async () => {
    const { clock, invoke, emulator } = await start({ quotas: { [HAIKU]: { rpm: 2 } } }, false);
    await invoke(50);
    await invoke(50);
    const error = await failure(invoke(50));
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error.$metadata.httpStatusCode).toBe(429);
    expect(error.message).toBe("Too many requests, please wait before trying again.");
    await clock.advance(29_999);
    expect(await failure(invoke(50))).toBeInstanceOf(ThrottlingException);
    await clock.advance(1);
    await invoke(50);
    expect(emulator.stats().byOutcome).toEqual({ ok: 3, "throttled:rpm": 2 });
  });

  it("refuses beyond the concurrency limit with 503 Too many connections", async () => {
    const { clock, invoke, hold, emulator } = await start({
      quotas: { [HAIKU]: { concurrency: 1 } },
    });
    const first = await hold(50);
    const error = await failure(invoke(50));
    expect(error).toBeInstanceOf(ServiceUnavailableException);
    expect(error.$metadata.httpStatusCode).toBe(503);
    expect(error.message).toBe("Too many connections, please wait before trying again.");
    await clock.advance(HOLD_MS);
    await first.reply;
    const next = await hold(50);
    await clock.advance(HOLD_MS);
    await next.reply;
    expect(emulator.stats().byOutcome).toEqual({ ok: 2, "throttled:concurrency": 1 });
  });

  it("throttles the day's tokens with a message that names the day", async () => {
    const { clock, invoke, emulator } = await start({ quotas: { [HAIKU]: { tpd: 700 } } }, false);
    await invoke(400, HAIKU, "Answer in 300 tokens.");
    const error = await failure(invoke(400, HAIKU, "Answer in 300 tokens."));
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error.message).toBe("Too many tokens per day, please wait before trying again.");
    expect(emulator.stats().byOutcome["throttled:tpd"]).toBe(1);
    await clock.advance(86_400_000);
    await invoke(400, HAIKU, "Answer in 300 tokens.");
  });

  it("keeps on-demand and cross-region (us.) quotas apart", async () => {
    const { clock, invoke, hold } = await start({
      quotas: { [HAIKU]: { tpm: 1_000 }, [`us.${HAIKU}`]: { tpm: 1_000 } },
    });
    const onDemand = await hold(600);
    expect(await failure(invoke(600))).toBeInstanceOf(ThrottlingException);
    // The profile has a bucket of its own, still full.
    const crossRegion = await hold(600, `us.${HAIKU}`);
    expect(await failure(invoke(600, `us.${HAIKU}`))).toBeInstanceOf(ThrottlingException);
    await clock.advance(HOLD_MS);
    await Promise.all([onDemand.reply, crossRegion.reply]);
  });

  it("applies `*` to every key, each with a bucket of its own", async () => {
    const { clock, invoke, hold, emulator } = await start({ quotas: { "*": { tpm: 1_000 } } });
    const held = [await hold(600), await hold(600, `us.${HAIKU}`), await hold(600, `eu.${HAIKU}`)];
    expect(await failure(invoke(600))).toBeInstanceOf(ThrottlingException);
    await clock.advance(HOLD_MS);
    await Promise.all(held.map((h) => h.reply));
    expect(emulator.stats().byModel).toEqual({
      [HAIKU]: { ok: 1, "throttled:tpm": 1 },
      [`us.${HAIKU}`]: { ok: 1 },
      [`eu.${HAIKU}`]: { ok: 1 },
    });
  });

  it("starts throttling when a scheduled drop comes due in manual time, and stops at the rise", async () => {
    const { clock, invoke, emulator } = await start(
      {
        quotas: {
          [HAIKU]: {
            tpm: 100_000,
            schedule: [
              { atSeconds: 10, tpm: 500 },
              { atSeconds: 20, tpm: 100_000 },
            ],
          },
        },
      },
      false,
    );
    await invoke(600);
    await clock.advance(9_999);
    await invoke(600);
    await clock.advance(1);
    const error = await failure(invoke(600));
    expect(error).toBeInstanceOf(ThrottlingException);
    expect(error.message).toBe("Too many tokens, please wait before trying again.");
    await clock.advance(9_999);
    expect(await failure(invoke(600))).toBeInstanceOf(ThrottlingException);
    // The rise refills at the new rate from its second on (it gives nothing at once).
    await clock.advance(1_000);
    await invoke(600);

    const stats = emulator.stats();
    expect(stats.byOutcome).toEqual({ ok: 3, "throttled:tpm": 2 });
    expect(stats.timeline.map(({ second, ok, throttled }) => ({ second, ok, throttled }))).toEqual([
      { second: 0, ok: 1, throttled: 0 },
      { second: 9, ok: 1, throttled: 0 },
      { second: 10, ok: 0, throttled: 1 },
      { second: 19, ok: 0, throttled: 1 },
      { second: 20, ok: 1, throttled: 0 },
    ]);
  });

  it("serves throttles by cause, tokens and the timeline at /_quarry/stats", async () => {
    const { invoke, hold, clock, emulator } = await start({
      quotas: { [HAIKU]: { tpm: 1_000, rpm: 3, concurrency: 2 } },
    });
    const first = await hold(600);
    await failure(invoke(600)); // tpm
    const second = await hold(50);
    await failure(invoke(50)); // concurrency
    await clock.advance(HOLD_MS);
    await Promise.all([first.reply, second.reply]);
    await clock.advance(HOLD_MS);
    const third = await hold(50);
    await failure(invoke(50)); // rpm
    await clock.advance(HOLD_MS);
    await third.reply;

    const served: any = await (await fetch(`${emulator.url}/_quarry/stats`)).json();
    expect(served).toEqual(emulator.stats());
    expect(served.byOperation).toEqual({
      InvokeModel: {
        ok: 3,
        "throttled:tpm": 1,
        "throttled:concurrency": 1,
        "throttled:rpm": 1,
      },
    });
    expect(served.outputTokens).toBe(30);
    expect(served.inputTokens).toBeGreaterThan(0);
    expect(served.inFlight).toBe(0);
    expect(served.timeline.map((s: any) => [s.second, s.ok, s.throttled])).toEqual([
      [0, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [3, 1, 0],
    ]);
  });
});
