import { performance } from "node:perf_hooks";
import {
  InvokeModelWithResponseStreamCommand,
  ServiceUnavailableException,
} from "@aws-sdk/client-bedrock-runtime";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../clock/manual-clock.js";
import { runtimeClient } from "../test-support/sdk-clients.js";
import { parseEmulatorConfig } from "./config/parse-emulator-config.js";
import type { Generation } from "./families/invocation-types.js";
import { paceStream } from "./operations/model-invocation.js";
import type { EmulatorRequest } from "./server/emulator-request.js";
import { type Emulator, startEmulator } from "./start-emulator.js";
import { EmulatorState } from "./state/emulator-state.js";

// A stream holds a quota lease (a concurrency slot, a TPM reservation) for as long as it runs;
// whatever way it ends — finished, cut by the client, or abandoned before its first frame — the
// lease must come back and the request must be counted once.

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function streamOf(state: EmulatorState, signal: AbortSignal) {
  const resolved = state.catalog.resolve(HAIKU);
  const generation: Generation = {
    text: "one two",
    toolCalls: [],
    stopReason: "end_turn",
    inputTokens: 5,
    outputTokens: 2,
  };
  const request = { requestId: "r1", signal } as EmulatorRequest;
  return paceStream(state, request, {
    operation: "InvokeModelWithResponseStream",
    resolved,
    chunks: [
      { payload: { type: "delta", text: "one" }, outputTokens: 1 },
      { payload: { type: "delta", text: " two" }, outputTokens: 1 },
      { payload: { type: "stop" }, outputTokens: 0, final: true },
    ],
    fault: undefined,
    lease: state.quotas.admit(resolved.quotaKey, {
      inputTokens: 5,
      maxTokens: 100,
      outputBurndown: 1,
    }),
    generation,
    encode: (chunk) => Buffer.from(JSON.stringify(chunk.payload)),
  });
}

describe("stream leases", () => {
  const started: Emulator[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((emulator) => emulator.close()));
  });

  function quotaState() {
    return new EmulatorState(
      parseEmulatorConfig({ quotas: { [HAIKU]: { concurrency: 1, tpm: 1_000 } } }),
      new ManualClock(),
    );
  }

  it("releases the lease and counts the request once when the stream runs to its end", async () => {
    const state = quotaState();
    const controller = new AbortController();
    const frames: string[] = [];
    for await (const frame of streamOf(state, controller.signal))
      frames.push(Buffer.from(frame).toString());
    expect(frames).toHaveLength(3);
    controller.abort();
    expect(state.quotas.usage(HAIKU)).toMatchObject({ inFlight: 0, tpmAvailable: 993 });
    expect(state.stats.snapshot().byOutcome).toEqual({ ok: 1 });
  });

  it("releases the lease when the client goes away before the first frame is asked for", () => {
    const state = quotaState();
    const controller = new AbortController();
    streamOf(state, controller.signal);
    expect(state.quotas.usage(HAIKU).inFlight).toBe(1);
    controller.abort();
    // The whole max_tokens reservation comes back; the input stays charged.
    expect(state.quotas.usage(HAIKU)).toMatchObject({ inFlight: 0, tpmAvailable: 995 });
    expect(state.stats.snapshot().byOutcome).toEqual({ "client-aborted": 1 });
  });

  it("releases the lease of a stream whose client had already gone", async () => {
    const state = quotaState();
    const controller = new AbortController();
    controller.abort();
    const stream = streamOf(state, controller.signal);
    expect(state.quotas.usage(HAIKU).inFlight).toBe(0);
    // Nothing is sent, and nothing is counted twice, if the stream is iterated after all.
    const frames: Uint8Array[] = [];
    for await (const frame of stream) frames.push(frame);
    expect(frames).toEqual([]);
    expect(state.stats.snapshot().byOutcome).toEqual({ "client-aborted": 1 });
  });

  it("gives the concurrency slot back when an SDK client abandons a paced stream", async () => {
    const clock = new ManualClock();
    const emulator = await startEmulator({
      port: 0,
      clock,
      config: {
        quotas: { [HAIKU]: { concurrency: 1 } },
        latency: { firstTokenMs: 1_000, perOutputTokenMs: 0 },
      },
    });
    started.push(emulator);
    const client = runtimeClient(emulator.url);
    const body = JSON.stringify({
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 50,
      messages: [{ role: "user", content: "Answer in 10 tokens." }],
    });
    const send = (abortSignal?: AbortSignal) =>
      client.send(new InvokeModelWithResponseStreamCommand({ modelId: HAIKU, body }), {
        ...(abortSignal ? { abortSignal } : {}),
      });

    const controller = new AbortController();
    const abandoned = send(controller.signal).catch((error: unknown) => error);
    await until(() => clock.pendingTimers === 1, "the stream to be paced");
    await expect(send()).rejects.toBeInstanceOf(ServiceUnavailableException);
    controller.abort();
    await abandoned;
    await until(() => emulator.stats().byOutcome["client-aborted"] === 1, "the abort to count");

    // The slot is free again: the next stream is admitted and runs to its end.
    const next = send();
    await until(() => clock.pendingTimers === 1, "the next stream to be paced");
    await clock.advance(1_000);
    let events = 0;
    for await (const _event of (await next).body!) events++;
    expect(events).toBeGreaterThan(3);
    expect(emulator.stats().byOutcome).toEqual({
      "client-aborted": 1,
      "throttled:concurrency": 1,
      ok: 1,
    });
    client.destroy();
  });
});
