import {
  BedrockRuntimeServiceException,
  InternalServerException,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ModelNotReadyException,
  ModelStreamErrorException,
  ModelTimeoutException,
  ServiceUnavailableException,
  ThrottlingException,
} from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { jsonBody, runtimeClient } from "../test-support/sdk-clients.js";
import type { FaultsConfig } from "./config/emulator-config.js";
import { type Emulator, startEmulator } from "./start-emulator.js";
import {
  ALWAYS_FAULTS,
  type FaultKind,
  STREAM_ONLY_FAULTS,
  TEXT_ONLY_FAULTS,
} from "./state/fault-plan.js";

// Every fault kind at rate 1, through the real AWS SDK over both protocols: what the caller
// sees on the wire is what Bedrock would send (exception class, HTTP status, message), or the
// network error, truncated stream or malformed text the fault promises.

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const ALL_FAULTS = [...ALWAYS_FAULTS, ...STREAM_ONLY_FAULTS, ...TEXT_ONLY_FAULTS];
const PROTOCOLS = [
  { name: "HTTP/2", http1: false },
  { name: "HTTP/1.1", http1: true },
] as const;

/** A faults change that sets `kind` to 1 and every other kind to 0 (objects merge). */
function only(kind?: FaultKind, rate = 1): Partial<FaultsConfig> {
  const faults: Partial<Record<FaultKind, number>> = {};
  for (const each of ALL_FAULTS) faults[each] = each === kind ? rate : 0;
  return faults;
}

const body = (text: string, maxTokens = 300) =>
  JSON.stringify({
    anthropic_version: "bedrock-2023-05-31",
    max_tokens: maxTokens,
    messages: [{ role: "user", content: text }],
  });

const FLOWER_PROMPT = "Give me the state flower of Alabama as JSON.";
const FLOWER_JSON = { state: "Alabama", flower: "Camellia", color: "various" };

async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

async function readStream(
  client: ReturnType<typeof runtimeClient>,
  text: string,
  maxTokens = 300,
): Promise<{ events: any[]; error?: any }> {
  const response = await client.send(
    new InvokeModelWithResponseStreamCommand({ modelId: HAIKU, body: body(text, maxTokens) }),
  );
  const events: any[] = [];
  try {
    for await (const event of response.body!) {
      if (event.chunk?.bytes) events.push(JSON.parse(Buffer.from(event.chunk.bytes).toString()));
    }
  } catch (error) {
    return { events, error };
  }
  return { events };
}

const streamText = (events: any[]) =>
  events
    .filter((e) => e.type === "content_block_delta")
    .map((e) => e.delta.text)
    .join("");

describe("faults through the real AWS SDK", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      config: { responder: { script: [{ contains: "state flower", json: FLOWER_JSON }] } },
    });
  });
  afterAll(() => emulator.close());
  beforeEach(() => {
    emulator.configure({ seed: 1, faults: only() });
    emulator.reset();
  });

  const PRE_RESPONSE = [
    {
      kind: "internalServerError",
      type: InternalServerException,
      status: 500,
      message: "The server encountered an internal error while processing the request.",
    },
    {
      kind: "serviceUnavailable",
      type: ServiceUnavailableException,
      status: 503,
      message: "Bedrock is unable to process your request.",
    },
    {
      kind: "modelNotReady",
      type: ModelNotReadyException,
      status: 429,
      message:
        "Model is not ready for inference. Wait and try your request again. Refer to the Bedrock documentation for more details.",
    },
    {
      kind: "modelTimeout",
      type: ModelTimeoutException,
      status: 408,
      message: "Model has timed out in processing the request. Try your request again.",
    },
  ] as const;

  for (const { name, http1 } of PROTOCOLS) {
    for (const { kind, type, status, message } of PRE_RESPONSE) {
      it(`${kind} raises ${type.name} ${status} on InvokeModel and on the stream (${name})`, async () => {
        emulator.configure({ faults: only(kind) });
        const client = runtimeClient(emulator.url, { http1 });
        const invoke = await failure(
          client.send(new InvokeModelCommand({ modelId: HAIKU, body: body("Hello.") })),
        );
        expect(invoke).toBeInstanceOf(type);
        expect(invoke.$metadata.httpStatusCode).toBe(status);
        expect(invoke.message).toBe(message);
        const stream = await failure(
          client.send(
            new InvokeModelWithResponseStreamCommand({ modelId: HAIKU, body: body("Hello.") }),
          ),
        );
        expect(stream).toBeInstanceOf(type);
        expect(stream.$metadata.httpStatusCode).toBe(status);
        expect(emulator.stats().byOutcome).toEqual({ [`fault:${kind}`]: 2 });
        client.destroy();
      });
    }

    it(`connectionReset drops InvokeModel after the 200 as a network error (${name})`, async () => {
      emulator.configure({ faults: only("connectionReset") });
      const client = runtimeClient(emulator.url, { http1 });
      const error = await failure(
        client.send(new InvokeModelCommand({ modelId: HAIKU, body: body("Hello.") })),
      );
      // Not a modeled AWS error: the connection (or the HTTP/2 stream) was cut mid-body.
      expect(error).not.toBeInstanceOf(BedrockRuntimeServiceException);
      expect(error.code).toBe(http1 ? "ECONNRESET" : "ERR_HTTP2_STREAM_ERROR");
      expect(error.$metadata.httpStatusCode).toBe(200);
      expect(emulator.stats().byOutcome).toEqual({ "fault:connectionReset": 1 });
      client.destroy();
    });

    it(`connectionReset cuts a stream part-way as a network error (${name})`, async () => {
      emulator.configure({ faults: only("connectionReset") });
      const client = runtimeClient(emulator.url, { http1 });
      const { events, error } = await readStream(client, "Write 40 words about stone.");
      expect(error).toBeDefined();
      expect(error).not.toBeInstanceOf(BedrockRuntimeServiceException);
      expect(error.code).toBe(http1 ? "ECONNRESET" : "ERR_HTTP2_STREAM_ERROR");
      // The first half of the stream arrived before the cut.
      expect(events[0].type).toBe("message_start");
      expect(events.some((e) => e.type === "message_stop")).toBe(false);
      expect(emulator.stats().byOutcome).toEqual({ "fault:connectionReset": 1 });
      client.destroy();
    });

    it(`streamTruncated ends the stream cleanly but without message_stop (${name})`, async () => {
      const client = runtimeClient(emulator.url, { http1 });
      const whole = await readStream(client, "Write 40 words about stone.");
      emulator.configure({ faults: only("streamTruncated") });
      const cut = await readStream(client, "Write 40 words about stone.");
      expect(cut.error).toBeUndefined();
      expect(cut.events.map((e) => e.type)).toEqual(
        whole.events
          .map((e) => e.type)
          .filter((t) => t !== "message_delta" && t !== "message_stop"),
      );
      expect(streamText(cut.events)).toBe(streamText(whole.events));
      expect(emulator.stats().byOutcome).toEqual({ ok: 1, "fault:streamTruncated": 1 });
      client.destroy();
    });

    it(`midStreamThrottling raises ThrottlingException while iterating, after the 200 (${name})`, async () => {
      emulator.configure({ faults: only("midStreamThrottling") });
      const client = runtimeClient(emulator.url, { http1 });
      const { events, error } = await readStream(client, "Write 40 words about stone.");
      expect(events.length).toBeGreaterThan(1);
      expect(error).toBeInstanceOf(ThrottlingException);
      expect(error.message).toBe("Too many requests, please wait before trying again.");
      expect(events.some((e) => e.type === "message_stop")).toBe(false);
      expect(emulator.stats().byOutcome).toEqual({ "fault:midStreamThrottling": 1 });
      client.destroy();
    });

    it(`modelStreamError raises ModelStreamErrorException while iterating (${name})`, async () => {
      emulator.configure({ faults: only("modelStreamError") });
      const client = runtimeClient(emulator.url, { http1 });
      const { events, error } = await readStream(client, "Write 40 words about stone.");
      expect(events.length).toBeGreaterThan(1);
      expect(error).toBeInstanceOf(ModelStreamErrorException);
      expect(error.originalStatusCode).toBe(500);
      expect(error.message).toBe("The model stream encountered an error. Try your request again.");
      expect(emulator.stats().byOutcome).toEqual({ "fault:modelStreamError": 1 });
      client.destroy();
    });
  }

  it("malformedProse wraps the JSON reply in prose, on InvokeModel and on the stream", async () => {
    const client = runtimeClient(emulator.url);
    const clean = jsonBody(
      (await client.send(new InvokeModelCommand({ modelId: HAIKU, body: body(FLOWER_PROMPT) })))
        .body,
    ).content[0].text;
    expect(JSON.parse(clean)).toEqual(FLOWER_JSON);

    emulator.configure({ faults: only("malformedProse") });
    const reply = jsonBody(
      (await client.send(new InvokeModelCommand({ modelId: HAIKU, body: body(FLOWER_PROMPT) })))
        .body,
    );
    const text: string = reply.content[0].text;
    expect(text).toBe(
      `Sure! Here is the answer you asked for:\n\n${clean}\n\nLet me know if you need anything else.`,
    );
    expect(() => JSON.parse(text)).toThrow();
    expect(reply.usage.output_tokens).toBeGreaterThan(0);
    const streamed = await readStream(client, FLOWER_PROMPT);
    expect(streamText(streamed.events)).toBe(text);
    expect(emulator.stats().byOperation.InvokeModelWithResponseStream).toEqual({
      "fault:malformedProse": 1,
    });
    client.destroy();
  });

  it("malformedTruncated cuts the JSON reply part-way", async () => {
    const client = runtimeClient(emulator.url);
    emulator.configure({ faults: only("malformedTruncated") });
    const text: string = jsonBody(
      (await client.send(new InvokeModelCommand({ modelId: HAIKU, body: body(FLOWER_PROMPT) })))
        .body,
    ).content[0].text;
    const clean = JSON.stringify(FLOWER_JSON);
    expect(text.length).toBeGreaterThan(0);
    expect(text.length).toBeLessThan(clean.length);
    expect(clean.startsWith(text)).toBe(true);
    expect(() => JSON.parse(text)).toThrow();
    client.destroy();
  });

  it("applies faults only to the operations listed", async () => {
    const emulator = await startEmulator({
      port: 0,
      config: {
        faults: { internalServerError: 1, operations: ["InvokeModelWithResponseStream"] },
      },
    });
    const client = runtimeClient(emulator.url);
    await client.send(new InvokeModelCommand({ modelId: HAIKU, body: body("Hello.") }));
    const error = await failure(
      client.send(new InvokeModelWithResponseStreamCommand({ modelId: HAIKU, body: body("Hi.") })),
    );
    expect(error).toBeInstanceOf(InternalServerException);
    expect(emulator.stats().byOperation).toEqual({
      InvokeModel: { ok: 1 },
      InvokeModelWithResponseStream: { "fault:internalServerError": 1 },
    });
    client.destroy();
    await emulator.close();
  });

  it("replays the same outcomes for the same seed and requests after reset()", async () => {
    emulator.configure({
      faults: {
        ...only(),
        internalServerError: 0.15,
        modelTimeout: 0.15,
        modelNotReady: 0.1,
        malformedProse: 0.1,
      },
    });
    const client = runtimeClient(emulator.url, { http1: true });
    const run = async () => {
      const outcomes: string[] = [];
      for (let i = 0; i < 30; i++) {
        try {
          const response = await client.send(
            new InvokeModelCommand({ modelId: HAIKU, body: body(`Request ${i % 5}.`) }),
          );
          const text: string = jsonBody(response.body).content[0].text;
          outcomes.push(text.startsWith("Sure!") ? "prose" : `ok:${text.length}`);
        } catch (error) {
          outcomes.push((error as Error).name);
        }
      }
      return outcomes;
    };
    const first = await run();
    const stats = emulator.stats();
    emulator.reset();
    const second = await run();
    expect(second).toEqual(first);
    expect(emulator.stats().byOutcome).toEqual(stats.byOutcome);
    // The mix is really mixed: several kinds of outcome, most of them successes.
    expect(new Set(first).size).toBeGreaterThan(4);
    expect(first.filter((o) => o.startsWith("ok:")).length).toBeGreaterThan(10);

    emulator.configure({ seed: 2 });
    emulator.reset();
    expect(await run()).not.toEqual(first);
    client.destroy();
  });

  it("counts each fault in /_quarry/stats as in emulator.stats()", async () => {
    const client = runtimeClient(emulator.url);
    for (const kind of ["internalServerError", "modelTimeout", "modelTimeout"] as const) {
      emulator.configure({ faults: only(kind) });
      await failure(client.send(new InvokeModelCommand({ modelId: HAIKU, body: body("Hi.") })));
    }
    emulator.configure({ faults: only() });
    await client.send(new InvokeModelCommand({ modelId: HAIKU, body: body("Hi.") }));
    const served: any = await (await fetch(`${emulator.url}/_quarry/stats`)).json();
    expect(served).toEqual(emulator.stats());
    expect(served.byOutcome).toEqual({
      "fault:internalServerError": 1,
      "fault:modelTimeout": 2,
      ok: 1,
    });
    expect(served.requests).toBe(4);
    expect(served.timeline.reduce((sum: number, s: any) => sum + s.faults, 0)).toBe(3);
    client.destroy();
  });

  it("refuses fault rates that add up to more than 1 through the control route", async () => {
    const response = await fetch(`${emulator.url}/_quarry/config`, {
      method: "POST",
      body: JSON.stringify({ faults: { internalServerError: 0.8, modelTimeout: 0.8 } }),
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as any).message).toContain("the rates add up to 1.6");
    expect(emulator.config.faults.modelTimeout).toBe(0);
  });
});
