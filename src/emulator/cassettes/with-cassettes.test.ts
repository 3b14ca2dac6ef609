import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ResourceNotFoundException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonBody, runtimeClient } from "../../test-support/sdk-clients.js";
import { type Emulator, startEmulator } from "../start-emulator.js";
import { decodeEvents } from "../wire/event-stream-encoder.js";
import { CassettePlayer } from "./cassette-player.js";
import { keyString, requestKey } from "./request-key.js";
import { scrubHeaders } from "./scrub-headers.js";
import { splitEventFrames } from "./split-event-frames.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const ENCODED_HAIKU = encodeURIComponent(HAIKU);
// Credentials the recorder finds through the SDK's default chain (the environment comes first).
const RECORDER_KEY = "AKIDCASSETTERECORDER";
const RECORDER_SECRET = "cassette-recorder-secret-0123456789abcdef";
const RECORDER_TOKEN = "cassette-recorder-session-token-IQoJb3JpZ2luX2VjEXAMPLE";

const claudeBody = (text: string, maxTokens = 60) =>
  JSON.stringify({
    anthropic_version: "bedrock-2023-05-31",
    max_tokens: maxTokens,
    messages: [{ role: "user", content: text }],
  });

interface RawExchange {
  readonly name: string;
  readonly path: string;
  readonly body: string;
}

/** The exchanges recorded, then replayed: both streaming operations, and an error answer. */
const EXCHANGES: RawExchange[] = [
  {
    name: "InvokeModel",
    path: `/model/${ENCODED_HAIKU}/invoke`,
    body: claudeBody("Describe a lighthouse in 20 words."),
  },
  {
    name: "InvokeModelWithResponseStream",
    path: `/model/${ENCODED_HAIKU}/invoke-with-response-stream`,
    body: claudeBody("Write 30 words about tides."),
  },
  {
    name: "InvokeModel (an error answer)",
    path: `/model/${ENCODED_HAIKU}/invoke`,
    body: JSON.stringify({ anthropic_version: "bedrock-2023-05-31", max_tokens: 5 }),
  },
  {
    name: "Converse",
    path: `/model/${ENCODED_HAIKU}/converse`,
    body: JSON.stringify({
      messages: [{ role: "user", content: [{ text: "Name three rivers." }] }],
      inferenceConfig: { maxTokens: 40 },
    }),
  },
  {
    name: "ConverseStream",
    path: `/model/${ENCODED_HAIKU}/converse-stream`,
    body: JSON.stringify({
      messages: [{ role: "user", content: [{ text: "Name three mountains." }] }],
      inferenceConfig: { maxTokens: 40 },
    }),
  },
];

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/** One HTTP/1.1 request on a fresh connection; the response bytes exactly as sent. */
function rawRequest(baseUrl: string, path: string, body: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      new URL(path, baseUrl),
      { method: "POST", agent: false, headers: { "content-type": "application/json" } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          resolve({
            status: response.statusCode!,
            headers: response.headers as Record<string, string>,
            body: Buffer.concat(chunks),
          }),
        );
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

/** The sizes of the HTTP/1.1 chunks a response arrives in (chunked transfer encoding). */
function chunkSizes(baseUrl: string, path: string, body: string): Promise<number[]> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    let received = Buffer.alloc(0);
    socket.on("data", (data) => {
      received = Buffer.concat([received, data]);
    });
    socket.on("error", reject);
    socket.on("end", () => {
      const text = received.toString("latin1");
      let at = text.indexOf("\r\n\r\n") + 4;
      const sizes: number[] = [];
      for (;;) {
        const lineEnd = text.indexOf("\r\n", at);
        const size = Number.parseInt(text.slice(at, lineEnd), 16);
        if (!size) break;
        sizes.push(size);
        at = lineEnd + 2 + size + 2;
      }
      resolve(sizes);
    });
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

/** The `:event-type` of each frame of an event stream. */
function eventTypes(body: Buffer): string[] {
  return splitEventFrames(body).map((frame) => decodeEvents(frame)[0]!.headers[":event-type"]!);
}

/** Headers that belong to one connection or one moment, not to the recorded answer. */
function lasting(headers: Record<string, string>): Record<string, string> {
  const { date, connection, "keep-alive": _k, "content-length": _l, ...rest } = headers;
  const { "transfer-encoding": _t, ...kept } = rest;
  void date;
  void connection;
  return kept;
}

describe("cassettes: record against an upstream, replay offline byte for byte", () => {
  const folder = mkdtempSync(join(tmpdir(), "quarry-cassette-"));
  const cassette = join(folder, "nested", "bedrock.jsonl");
  const variables = [
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
  ];
  const savedEnvironment = variables.map((name) => [name, process.env[name]] as const);
  let upstream: Emulator;
  let recorder: Emulator;
  const recorded: RawResponse[] = [];

  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = RECORDER_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = RECORDER_SECRET;
    process.env.AWS_SESSION_TOKEN = RECORDER_TOKEN;
    delete process.env.AWS_PROFILE;
    // "Real Bedrock": it checks every signature, so a forwarded call must be signed afresh.
    upstream = await startEmulator({
      port: 0,
      config: {
        seed: 7,
        auth: { sigv4: true, accessKeys: { [RECORDER_KEY]: RECORDER_SECRET } },
      },
    });
    recorder = await startEmulator({
      port: 0,
      config: {
        seed: 1234,
        responder: { cassette: { mode: "record", path: cassette, upstream: upstream.url } },
      },
    });
  });
  afterAll(async () => {
    for (const [name, value] of savedEnvironment)
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    await recorder?.close();
    await upstream?.close();
  });

  it("records each exchange, forwarded with a fresh SigV4 signature", async () => {
    for (const exchange of EXCHANGES)
      recorded.push(await rawRequest(recorder.url, exchange.path, exchange.body));
    expect(recorded.map((response) => response.status)).toEqual(
      EXCHANGES.map((exchange) => (exchange.name.includes("error") ? 400 : 200)),
    );
    // The upstream saw (and accepted the signatures of) every call.
    expect(upstream.stats().byOutcome.ok).toBe(EXCHANGES.length - 1);
    expect(upstream.stats().byOutcome.ValidationException).toBe(1);
    expect(recorded[1]!.headers["content-type"]).toBe("application/vnd.amazon.eventstream");
    expect(eventTypes(recorded[1]!.body)[0]).toBe("chunk");
    expect(eventTypes(recorded[1]!.body).length).toBeGreaterThan(3);
    expect(eventTypes(recorded[4]!.body)[0]).toBe("messageStart");
    expect(eventTypes(recorded[4]!.body)).toContain("metadata");
    expect(JSON.parse(recorded[3]!.body.toString()).output.message.role).toBe("assistant");

    const lines = readFileSync(cassette, "utf8").trim().split("\n");
    expect(lines).toHaveLength(EXCHANGES.length);
    const first = JSON.parse(lines[0]!);
    expect(first).toMatchObject({
      operation: "InvokeModel",
      modelId: HAIKU,
      key: { method: "POST", path: `/model/${ENCODED_HAIKU}/invoke` },
      status: 200,
      bodyEncoding: "utf8",
    });
    expect(first.key.bodySha256).toMatch(/^[0-9a-f]{64}$/);
    expect(first.headers["x-amzn-requestid"]).toBeTruthy();
    expect(JSON.parse(lines[1]!).bodyEncoding).toBe("base64");
    // The SDK talks to the recorder over HTTP/2 as it would to Bedrock.
    const client = runtimeClient(recorder.url);
    const response = await client.send(
      new InvokeModelCommand({ modelId: HAIKU, body: claudeBody("One more, via the SDK.") }),
    );
    client.destroy();
    expect(jsonBody(response.body).type).toBe("message");
  });

  it("keeps no credential, signature or token in the cassette", () => {
    const text = readFileSync(cassette, "utf8");
    for (const secret of [
      RECORDER_KEY,
      RECORDER_SECRET,
      RECORDER_TOKEN,
      "AWS4-HMAC-SHA256",
      "Signature=",
      "Credential=",
    ])
      expect(text).not.toContain(secret);
    for (const header of ["authorization", "x-amz-security-token", "x-amz-date", "cookie"])
      expect(text.toLowerCase()).not.toContain(`"${header}"`);
  });

  it("replays the exact bytes offline, event streams frame by frame", async () => {
    await upstream.close();
    const player = await startEmulator({
      port: 0,
      config: { seed: 99, responder: { cassette: { mode: "replay", path: cassette } } },
    });
    try {
      for (const [index, exchange] of EXCHANGES.entries()) {
        const replayed = await rawRequest(player.url, exchange.path, exchange.body);
        const original = recorded[index]!;
        expect(replayed.status, exchange.name).toBe(original.status);
        expect(replayed.body.equals(original.body), exchange.name).toBe(true);
        expect(lasting(replayed.headers), exchange.name).toEqual(lasting(original.headers));
      }
      for (const index of [1, 4]) {
        const frames = splitEventFrames(recorded[index]!.body);
        const exchange = EXCHANGES[index]!;
        expect(await chunkSizes(player.url, exchange.path, exchange.body), exchange.name).toEqual(
          frames.map((frame) => frame.length),
        );
      }

      // The real SDK reads the replayed answers as it read the recorded ones.
      const client = runtimeClient(player.url);
      const stream = await client.send(
        new InvokeModelWithResponseStreamCommand({
          modelId: HAIKU,
          body: EXCHANGES[1]!.body,
        }),
      );
      const types: string[] = [];
      for await (const event of stream.body!)
        types.push(JSON.parse(Buffer.from(event.chunk!.bytes!).toString()).type);
      expect(types[0]).toBe("message_start");
      expect(types.at(-1)).toBe("message_stop");
      const error = await client
        .send(new InvokeModelCommand({ modelId: HAIKU, body: EXCHANGES[2]!.body }))
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationException);
      client.destroy();
    } finally {
      await player.close();
    }
  });

  it("answers ServiceUnavailableException naming an upstream it cannot reach", async () => {
    // The upstream was closed by the replay test above.
    const client = runtimeClient(recorder.url);
    const error = await client
      .send(new InvokeModelCommand({ modelId: HAIKU, body: claudeBody("Anyone there?") }))
      .catch((caught: unknown) => caught);
    client.destroy();
    expect((error as Error).name).toBe("ServiceUnavailableException");
    expect((error as Error).message).toContain(`could not reach ${upstream.url}`);
    expect(readFileSync(cassette, "utf8").trim().split("\n")).toHaveLength(EXCHANGES.length + 1);
  });

  it("matches a body however its JSON is spaced and ordered", async () => {
    const player = await startEmulator({
      port: 0,
      config: { responder: { cassette: { mode: "replay", path: cassette } } },
    });
    try {
      const reordered = JSON.stringify(
        {
          messages: [{ content: "Describe a lighthouse in 20 words.", role: "user" }],
          max_tokens: 60,
          anthropic_version: "bedrock-2023-05-31",
        },
        null,
        2,
      );
      const replayed = await rawRequest(player.url, `/model/${HAIKU}/invoke`, reordered);
      expect(replayed.body.equals(recorded[0]!.body)).toBe(true);
    } finally {
      await player.close();
    }
  });

  it("refuses a request the cassette lacks, or synthesises it when told to", async () => {
    const player = await startEmulator({
      port: 0,
      config: { responder: { cassette: { mode: "replay", path: cassette } } },
    });
    const client = runtimeClient(player.url);
    try {
      const unrecorded = claudeBody("A prompt nobody recorded.");
      const error = await client
        .send(new InvokeModelCommand({ modelId: HAIKU, body: unrecorded }))
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ResourceNotFoundException);
      expect((error as Error).message).toContain(`Cassette ${cassette} has no recording of POST`);
      expect(player.stats().byOutcome["cassette:missing"]).toBe(1);

      player.configure({
        responder: { cassette: { mode: "replay", path: cassette, onMissing: "synthesize" } },
      });
      const synthesized = await client.send(
        new InvokeModelCommand({ modelId: HAIKU, body: unrecorded }),
      );
      expect(jsonBody(synthesized.body).type).toBe("message");
    } finally {
      client.destroy();
      await player.close();
    }
  });
});

describe("cassette parts", () => {
  it("a repeated request replays its recordings in order, then repeats the last", () => {
    const key = requestKey("POST", "/model/m/invoke", "", Buffer.from("{}"));
    const entry = (body: string) => ({
      operation: "InvokeModel",
      key,
      status: 200,
      headers: {},
      bodyEncoding: "utf8" as const,
      body,
      recordedAt: "2025-01-01T00:00:00.000Z",
    });
    const player = new CassettePlayer([entry("one"), entry("two")]);
    expect([player.take(key), player.take(key), player.take(key)].map((e) => e?.body)).toEqual([
      "one",
      "two",
      "two",
    ]);
    expect(player.take(requestKey("POST", "/model/m/invoke", "", Buffer.from("[]")))).toBe(
      undefined,
    );
  });

  it("keys ignore path encoding, JSON layout and volatile fields, but not content", () => {
    const a = requestKey(
      "post",
      `/model/${ENCODED_HAIKU}/converse`,
      "",
      Buffer.from('{"a":1,"b":[1,2],"requestMetadata":{"trace":"x"}}'),
    );
    const b = requestKey(
      "POST",
      `/model/${HAIKU}/converse`,
      "",
      Buffer.from('{ "b":[1,2], "a":1 }'),
    );
    expect(keyString(a)).toBe(keyString(b));
    const c = requestKey("POST", `/model/${HAIKU}/converse`, "", Buffer.from('{"b":[2,1],"a":1}'));
    expect(keyString(c)).not.toBe(keyString(a));
    const guarded = requestKey(
      "POST",
      `/model/${HAIKU}/converse`,
      "",
      Buffer.from('{"a":1,"b":[1,2]}'),
      {
        "x-amzn-bedrock-guardrailidentifier": "gr-1",
        "user-agent": "ignored",
      },
    );
    expect(guarded.bedrockHeaders).toEqual({ "x-amzn-bedrock-guardrailidentifier": "gr-1" });
    expect(keyString(guarded)).not.toBe(keyString(a));
  });

  it("scrubs credentials, cookies and connection headers, keeping request ids", () => {
    expect(
      scrubHeaders({
        "Content-Type": "application/json",
        "x-amzn-RequestId": "abc",
        "set-cookie": ["a=b"],
        "x-amz-security-token": "t",
        "x-amz-signature": "s",
        "x-amzn-remapped-authorization": "AWS4-HMAC-SHA256 Credential=...",
        authorization: "x",
        "transfer-encoding": "chunked",
        ":status": "200",
      }),
    ).toEqual({ "content-type": "application/json", "x-amzn-requestid": "abc" });
  });

  it("reports a broken cassette line by file and line", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "quarry-cassette-")), "bad.jsonl");
    writeFileSync(file, '\n{"operation":"InvokeModel"}\n');
    await expect(CassettePlayer.load(file)).rejects.toThrow(`Cassette ${file} line 2: "key"`);
    await expect(CassettePlayer.load(`${file}.missing`)).rejects.toThrow("does not exist");
  });
});
