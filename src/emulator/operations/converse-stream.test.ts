import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import {
  ConverseCommand,
  type ConverseCommandInput,
  ConverseStreamCommand,
  type ConverseStreamOutput,
  InternalServerException,
  ModelStreamErrorException,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { Ajv } from "ajv";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../clock/manual-clock.js";
import { runtimeClient } from "../../test-support/sdk-clients.js";
import type { FaultsConfig } from "../config/emulator-config.js";
import { type Emulator, startEmulator } from "../start-emulator.js";
import { decodeEvents } from "../wire/event-stream-encoder.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";

function fixture(name: string): any {
  const url = new URL(`../converse/__fixtures__/${name}.json`, import.meta.url);
  const { _source, ...body } = JSON.parse(readFileSync(url, "utf8"));
  expect(_source).toMatch(/^https:\/\//);
  return body;
}

/** Every event of a ConverseStream reply, as the SDK parses them. */
async function collect(stream: AsyncIterable<ConverseStreamOutput>): Promise<any[]> {
  const events: any[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

const kinds = (events: any[]) => events.map((event) => Object.keys(event)[0]);
const streamedText = (events: any[], index = 0) =>
  events
    .filter((e) => e.contentBlockDelta?.contentBlockIndex === index)
    .map((e) => e.contentBlockDelta.delta.text ?? "")
    .join("");

describe("ConverseStream through the real AWS SDK", () => {
  let emulator: Emulator;
  const client = (http1 = false) => runtimeClient(emulator.url, { http1 });
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, config: { responder: { outputTokens: 30 } } });
  });
  afterEach(() => {
    emulator.configure({
      faults: {
        midStreamThrottling: 0,
        modelStreamError: 0,
        streamTruncated: 0,
        internalServerError: 0,
        connectionReset: 0,
      },
    });
  });
  afterAll(() => emulator.close());

  const stream = async (input: ConverseCommandInput, http1 = false) => {
    const response = await client(http1).send(new ConverseStreamCommand(input));
    return collect(response.stream!);
  };

  for (const family of ["anthropic", "meta", "mistral", "cohere", "titan", "nova"]) {
    it(`streams the AWS example request for ${family} as Converse would answer it`, async () => {
      const request = fixture(`${family}-converse-text`);
      const events = await stream(request);
      expect(kinds(events)[0]).toBe("messageStart");
      expect(events[0].messageStart.role).toBe("assistant");
      expect(kinds(events).slice(-3)).toEqual(["contentBlockStop", "messageStop", "metadata"]);
      expect(kinds(events)).not.toContain("contentBlockStart");
      const whole = await client().send(new ConverseCommand(request));
      expect(streamedText(events)).toBe(whole.output!.message!.content![0]!.text);
      expect(events.at(-2).messageStop.stopReason).toBe("end_turn");
      const { usage, metrics } = events.at(-1).metadata;
      expect(usage).toEqual(whole.usage);
      expect(metrics.latencyMs).toBe(0);
    });
  }

  it("streams over HTTP/1.1 as well as HTTP/2", async () => {
    const events = await stream(fixture("anthropic-converse-text"), true);
    expect(kinds(events).at(-1)).toBe("metadata");
  });

  it("streams a tool call: text at block 0, then the tool use with its input in JSON fragments", async () => {
    const example = fixture("nova-converse-tool-use");
    const { toolResultContent, ...request } = example;
    const events = await stream(request);
    const start = events.find((e) => e.contentBlockStart)!.contentBlockStart;
    expect(start.contentBlockIndex).toBe(1);
    expect(start.start.toolUse.name).toBe("top_song");
    const fragments = events
      .filter((e) => e.contentBlockDelta?.contentBlockIndex === 1)
      .map((e) => e.contentBlockDelta.delta.toolUse.input);
    expect(fragments.length).toBeGreaterThan(1);
    const input = JSON.parse(fragments.join(""));
    const schema = request.toolConfig.tools[0].toolSpec.inputSchema.json;
    expect(new Ajv({ strict: false }).validate(schema, input)).toBe(true);
    expect(events.find((e) => e.messageStop).messageStop.stopReason).toBe("tool_use");

    const answer = await stream({
      ...request,
      messages: [
        ...request.messages,
        {
          role: "assistant",
          content: [
            { text: streamedText(events) },
            { toolUse: { toolUseId: start.start.toolUse.toolUseId, name: "top_song", input } },
          ],
        },
        {
          role: "user",
          content: [
            {
              toolResult: { toolUseId: start.start.toolUse.toolUseId, content: toolResultContent },
            },
          ],
        },
      ],
    });
    expect(streamedText(answer)).toContain("Elemental Hotel");
    expect(answer.find((e) => e.messageStop).messageStop.stopReason).toBe("end_turn");
  });

  it("refuses tools on a model without streaming tool use, and a model that does not stream", async () => {
    const toolConfig = fixture("converse-tool-config-weather");
    const noStreamingTools = await client()
      .send(
        new ConverseStreamCommand({
          modelId: "meta.llama3-1-8b-instruct-v1:0",
          messages: [{ role: "user", content: [{ text: "Weather?" }] }],
          toolConfig,
        }),
      )
      .catch((error: unknown) => error);
    expect(noStreamingTools).toBeInstanceOf(ValidationException);
    expect((noStreamingTools as Error).message).toBe(
      "This model doesn't support tool use in streaming mode.",
    );
    const noStreaming = await client()
      .send(
        new ConverseStreamCommand({
          modelId: "us.meta.llama4-scout-17b-instruct-v1:0",
          messages: [{ role: "user", content: [{ text: "Hi" }] }],
        }),
      )
      .catch((error: unknown) => error);
    expect(noStreaming).toBeInstanceOf(ValidationException);
    expect((noStreaming as Error).message).toBe("The model is unsupported for streaming.");
  });

  const request: ConverseCommandInput = {
    modelId: HAIKU,
    messages: [{ role: "user", content: [{ text: "Write 40 words about harbors." }] }],
  };

  const midStream: [keyof FaultsConfig, new (...args: any[]) => Error][] = [
    ["midStreamThrottling", ThrottlingException],
    ["modelStreamError", ModelStreamErrorException],
  ];
  for (const [fault, exception] of midStream) {
    it(`raises ${exception.name} while iterating after a ${fault} fault, after the 200`, async () => {
      emulator.configure({ faults: { [fault]: 1, operations: ["ConverseStream"] } });
      const response = await client().send(new ConverseStreamCommand(request));
      expect(response.$metadata.httpStatusCode).toBe(200);
      const seen: any[] = [];
      const error = await (async () => {
        for await (const event of response.stream!) seen.push(event);
      })().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(exception);
      expect(kinds(seen)[0]).toBe("messageStart");
      expect(kinds(seen)).not.toContain("messageStop");
      expect(emulator.stats().byOperation.ConverseStream![`fault:${fault}`]).toBeGreaterThan(0);
    });
  }

  it("ends a truncated stream without messageStop and metadata", async () => {
    emulator.configure({ faults: { streamTruncated: 1, operations: ["ConverseStream"] } });
    const events = await stream(request);
    expect(kinds(events)).not.toContain("messageStop");
    expect(kinds(events)).not.toContain("metadata");
    expect(kinds(events)).toContain("contentBlockDelta");
  });

  it("answers a fault drawn before the stream as a plain error response", async () => {
    emulator.configure({ faults: { internalServerError: 1, operations: ["ConverseStream"] } });
    const error = await client()
      .send(new ConverseStreamCommand(request))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InternalServerException);
  });

  it("writes event-stream frames a raw HTTP/1.1 client can decode", async () => {
    const response = await fetch(
      `${emulator.url}/model/${encodeURIComponent(HAIKU)}/converse-stream`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(request),
      },
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/vnd.amazon.eventstream");
    const frames = decodeEvents(new Uint8Array(await response.arrayBuffer()));
    expect(frames.every((frame) => frame.headers[":message-type"] === "event")).toBe(true);
    expect(frames.every((frame) => frame.headers[":content-type"] === "application/json")).toBe(
      true,
    );
    const types = frames.map((frame) => frame.headers[":event-type"]);
    expect(types[0]).toBe("messageStart");
    expect(types.slice(-2)).toEqual(["messageStop", "metadata"]);
    expect(JSON.parse(frames[1]!.body)).toEqual({
      contentBlockIndex: 0,
      delta: { text: expect.any(String) },
    });

    emulator.configure({ faults: { midStreamThrottling: 1, operations: ["ConverseStream"] } });
    const failing = await fetch(
      `${emulator.url}/model/${encodeURIComponent(HAIKU)}/converse-stream`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(request),
      },
    );
    const last = decodeEvents(new Uint8Array(await failing.arrayBuffer())).at(-1)!;
    expect(last.headers[":message-type"]).toBe("exception");
    expect(last.headers[":exception-type"]).toBe("throttlingException");
    expect(JSON.parse(last.body)).toEqual({
      message: "Too many requests, please wait before trying again.",
    });
  });
});

describe("ConverseStream latency on a manual clock", () => {
  it("reports the planned latency in metadata and holds the first event until it is due", async () => {
    const clock = new ManualClock();
    const emulator = await startEmulator({
      port: 0,
      clock,
      config: { latency: { firstTokenMs: 300, perOutputTokenMs: 5, jitter: 0 } },
    });
    try {
      const events: any[] = [];
      let done = false;
      const reading = (async () => {
        const response = await runtimeClient(emulator.url).send(
          new ConverseStreamCommand({
            modelId: HAIKU,
            messages: [{ role: "user", content: [{ text: "Answer in 20 tokens." }] }],
          }),
        );
        for await (const event of response.stream!) events.push(event);
        done = true;
      })();
      const deadline = performance.now() + 10_000;
      while (!done && performance.now() < deadline) {
        if (clock.nextDueAt !== undefined) {
          if (clock.now() === 0) expect(clock.nextDueAt).toBe(300);
          await clock.advance(clock.nextDueAt - clock.now());
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      await reading;
      const metadata = events.at(-1).metadata;
      expect(metadata.usage.outputTokens).toBe(20);
      expect(metadata.metrics.latencyMs).toBe(300 + 20 * 5);
      expect(clock.now()).toBe(400);
    } finally {
      await emulator.close();
    }
  });
});
