import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonBody, runtimeClient } from "../../test-support/sdk-clients.js";
import { ALL_OPERATIONS } from "../operations/all-operations.js";
import { type Emulator, startEmulator } from "../start-emulator.js";
import { SeededRandom } from "../state/seeded-random.js";

// Garbage at every route, from a seeded generator so that a failure replays exactly: the
// server must never crash, never leak a stack trace, never answer a client's mistake with a
// 5xx, and must still answer a valid request afterwards.

const SEED = 20240611;
const MAX_BODY_BYTES = 64 * 1024;
const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";

const VALID_CLAUDE = {
  anthropic_version: "bedrock-2023-05-31",
  max_tokens: 30,
  system: [{ type: "text", text: "Be brief." }],
  messages: [
    {
      role: "user",
      content: [
        { type: "text", text: "What is in this picture?" },
        { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0K" } },
      ],
    },
    {
      role: "assistant",
      content: [{ type: "tool_use", id: "toolu_1", name: "look", input: { q: "x" } }],
    },
    {
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "toolu_1", content: [{ type: "text", text: "a cat" }] },
      ],
    },
  ],
  temperature: 0.5,
  top_p: 0.9,
  top_k: 5,
  stop_sequences: ["\n\nHuman:"],
  tools: [{ name: "look", description: "Looks", input_schema: { type: "object" } }],
  tool_choice: { type: "auto" },
  metadata: { user_id: "u1" },
};

const VALID_CONVERSE = {
  messages: [
    {
      role: "user",
      content: [{ text: "Hello" }, { image: { format: "png", source: { bytes: "iVBORw0K" } } }],
    },
    {
      role: "assistant",
      content: [{ toolUse: { toolUseId: "t1", name: "look", input: { q: 1 } } }],
    },
    {
      role: "user",
      content: [{ toolResult: { toolUseId: "t1", content: [{ text: "ok" }], status: "success" } }],
    },
  ],
  system: [{ text: "Be brief." }],
  inferenceConfig: { maxTokens: 30, temperature: 0.5, topP: 0.9, stopSequences: ["END"] },
  toolConfig: {
    tools: [
      {
        toolSpec: { name: "look", description: "Looks", inputSchema: { json: { type: "object" } } },
      },
    ],
    toolChoice: { auto: {} },
  },
  additionalModelRequestFields: { top_k: 5 },
  requestMetadata: { a: "b" },
};

/** Valid bodies to corrupt, by the route's last path segment. */
const TEMPLATES: Record<string, unknown> = {
  invoke: VALID_CLAUDE,
  "invoke-with-response-stream": VALID_CLAUDE,
  converse: VALID_CONVERSE,
  "converse-stream": VALID_CONVERSE,
  "count-tokens": { input: { converse: VALID_CONVERSE } },
  apply: { source: "INPUT", content: [{ text: { text: "hello" } }] },
};

const WRONG_VALUES: readonly unknown[] = [
  null,
  0,
  -1,
  1e308,
  -1e308,
  3.5,
  "",
  "x".repeat(5000),
  "\u0000\ud800\uffff",
  true,
  [],
  [1, "a", null, {}],
  {},
  { type: "text", text: { nested: [1] } },
  { __proto__: { polluted: true } },
];

const LABEL_VALUES: readonly string[] = [
  encodeURIComponent(HAIKU),
  HAIKU,
  encodeURIComponent(`arn:aws:bedrock:us-east-1::foundation-model/${HAIKU}`),
  encodeURIComponent(`us.${HAIKU}`),
  "%E0%A4%A",
  "%",
  "%%41",
  "%00",
  "%C0%AF",
  "..",
  "x".repeat(3000),
  "%F0%9F%98%80",
  "",
  "DRAFT",
];

interface Attempt {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly description: string;
}

/** Every JSON path in a value, for "wrong type in every field". */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [];
  if (Array.isArray(value))
    value.forEach((item, index) => {
      out.push([...prefix, index], ...paths(item, [...prefix, index]));
    });
  else if (value !== null && typeof value === "object")
    for (const [key, item] of Object.entries(value))
      out.push([...prefix, key], ...paths(item, [...prefix, key]));
  return out;
}

function withValueAt(template: unknown, path: (string | number)[], value: unknown): unknown {
  const copy = structuredClone(template) as any;
  let cursor = copy;
  for (const step of path.slice(0, -1)) cursor = cursor[step];
  cursor[path.at(-1)!] = value;
  return copy;
}

function randomBytes(random: SeededRandom, length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = random.int(0, 255);
  return bytes;
}

function pick<T>(random: SeededRandom, items: readonly T[]): T {
  return items[random.int(0, items.length - 1)]!;
}

/** Builds the attempts for every route: the same seed always yields the same list. */
function attempts(seed: number): Attempt[] {
  const random = new SeededRandom(seed);
  const out: Attempt[] = [];
  const routes = [
    ...ALL_OPERATIONS.map((operation) => ({ method: operation.method, path: operation.path })),
    { method: "POST", path: "/no/such/route" },
    { method: "GET", path: "/" },
  ];
  for (const route of routes) {
    const template = TEMPLATES[route.path.split("/").at(-1)!] ?? { anything: [1, { a: "b" }] };
    const fill = () => route.path.replace(/\{\w+\}/g, () => pick(random, LABEL_VALUES));
    const json = (body: unknown) => Buffer.from(JSON.stringify(body));
    const add = (description: string, body: Buffer, extra: Partial<Attempt> = {}) =>
      out.push({
        method: route.method,
        path: fill(),
        headers: { "content-type": "application/json" },
        body,
        description: `${route.method} ${route.path}: ${description}`,
        ...extra,
      });

    // Wrong types in every field of a valid body (a random wrong value each).
    for (const path of paths(template))
      add(
        `${path.join(".")} = wrong`,
        json(withValueAt(template, path, pick(random, WRONG_VALUES))),
      );
    // Whole bodies of the wrong shape, random bytes, truncated and invalid JSON.
    for (const value of WRONG_VALUES) add("body of the wrong type", json(value));
    const valid = JSON.stringify(template);
    for (let i = 0; i < 6; i++) {
      add("random bytes", randomBytes(random, random.int(1, 2000)));
      add("truncated JSON", Buffer.from(valid.slice(0, random.int(0, valid.length - 1))));
      const at = random.int(0, valid.length - 1);
      add(
        "corrupted JSON",
        Buffer.from(
          valid.slice(0, at) + pick(random, ["\u0000", "}", '"', "\\", "\ud800"]) + valid.slice(at),
        ),
      );
    }
    add("empty body", Buffer.alloc(0));
    add("deeply nested JSON", Buffer.from("[".repeat(20000) + "]".repeat(20000)));
    add(
      "oversized body",
      Buffer.from(JSON.stringify({ ...(template as object), pad: "x".repeat(MAX_BODY_BYTES) })),
    );
    add("wrong method", json(template), {
      method: pick(random, ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    });
    add("odd content type", json(template), {
      headers: { "content-type": "text/plain; charset=latin1" },
    });
    add("huge header", json(template), {
      headers: { "content-type": "application/json", "x-amzn-bedrock-trace": "y".repeat(12_000) },
    });
    add("garbage Authorization", json(template), {
      headers: { "content-type": "application/json", authorization: "AWS4-HMAC-SHA256 \u00ff==" },
    });
  }
  return out;
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, unknown>;
  readonly body: string;
}

function sendHttp1(url: string, attempt: Attempt): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    let request: http.ClientRequest;
    try {
      request = http.request(
        `${url}${attempt.path}`,
        {
          method: attempt.method,
          agent: false,
          headers: { ...attempt.headers, "content-length": String(attempt.body.length) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () =>
            resolve({
              status: response.statusCode!,
              headers: response.headers,
              body: Buffer.concat(chunks).toString("latin1"),
            }),
          );
          response.on("error", () => resolve(undefined));
        },
      );
    } catch {
      // The client refused to send it (an invalid path or header): nothing reached the server.
      resolve(undefined);
      return;
    }
    // A reset after the server answered early (oversized body) is the server refusing, not crashing.
    request.on("error", () => resolve(undefined));
    request.end(attempt.body);
  });
}

function sendHttp2(
  session: http2.ClientHttp2Session,
  attempt: Attempt,
): Promise<Answer | undefined> {
  return new Promise((resolve) => {
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request({
        ":method": attempt.method,
        ":path": attempt.path,
        ...attempt.headers,
      });
    } catch {
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let status = 0;
    let headers: Record<string, unknown> = {};
    stream.on("response", (received) => {
      status = Number(received[":status"]);
      headers = received;
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("end", () =>
      resolve({ status, headers, body: Buffer.concat(chunks).toString("latin1") }),
    );
    stream.on("error", () => resolve(undefined));
    stream.on("close", () =>
      resolve(
        status ? { status, headers, body: Buffer.concat(chunks).toString("latin1") } : undefined,
      ),
    );
    stream.end(attempt.body);
  });
}

/**
 * Writes raw bytes on a fresh connection and collects what comes back until the server closes
 * the connection or sends what `until` looks for (then the client hangs up).
 */
function rawExchange(
  port: number,
  bytes: Buffer | string,
  until?: (received: Buffer) => boolean,
): Promise<Buffer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let received = Buffer.alloc(0);
    socket.on("data", (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (until?.(received)) socket.destroy();
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve(received));
    socket.write(bytes, () => {
      if (!until) socket.end();
    });
  });
}

/** True once an HTTP/2 GOAWAY frame (type 7) has arrived. */
function hasGoaway(received: Buffer): boolean {
  let at = 0;
  while (at + 9 <= received.length) {
    const length = received.readUIntBE(at, 3);
    if (received[at + 3] === 0x07) return true;
    at += 9 + length;
  }
  return false;
}

const STACK_TRACE = /\n\s+at\s|node:internal|\.[cm]?[jt]s:\d+:\d+|node_modules/;

function expectClean(answer: Answer | undefined, description: string): void {
  if (!answer) return;
  expect(answer.status, description).toBeLessThan(500);
  expect(answer.body, description).not.toMatch(STACK_TRACE);
  if (answer.status >= 400 && answer.body) {
    const parsed = JSON.parse(answer.body);
    expect(typeof parsed.message, description).toBe("string");
    expect(String(answer.headers["x-amzn-errortype"]), description).toMatch(/^\w+Exception:/);
  }
}

describe("fuzzing every route", () => {
  let emulator: Emulator;
  const list = attempts(SEED);

  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      config: { limits: { maxBodyBytes: MAX_BODY_BYTES } },
    });
  });
  afterAll(() => emulator.close());

  async function stillAnswers(): Promise<void> {
    for (const http1 of [false, true]) {
      const client = runtimeClient(emulator.url, { http1 });
      const response = await client.send(
        new InvokeModelCommand({
          modelId: HAIKU,
          body: JSON.stringify({
            anthropic_version: "bedrock-2023-05-31",
            max_tokens: 10,
            messages: [{ role: "user", content: "still there?" }],
          }),
        }),
      );
      client.destroy();
      expect(jsonBody(response.body).type).toBe("message");
    }
  }

  it("the generator is seeded: the same seed, the same attempts", () => {
    expect(list.length).toBeGreaterThan(200);
    const again = attempts(SEED);
    expect(again.map((a) => a.path + a.body.toString("base64"))).toEqual(
      list.map((a) => a.path + a.body.toString("base64")),
    );
  });

  it("HTTP/1.1: client mistakes get 4xx AWS errors, never a 5xx or a stack trace", async () => {
    const statuses = new Set<number>();
    for (let i = 0; i < list.length; i += 16) {
      const batch = list.slice(i, i + 16);
      const answers = await Promise.all(batch.map((attempt) => sendHttp1(emulator.url, attempt)));
      answers.forEach((answer, index) => {
        if (answer) statuses.add(answer.status);
        expectClean(answer, batch[index]!.description);
      });
    }
    // The garbage was refused in several ways, not all by one catch-all.
    expect(statuses.has(400)).toBe(true);
    expect(statuses.has(404)).toBe(true);
    expect(statuses.has(413)).toBe(true);
    await stillAnswers();
  });

  it("HTTP/2: the same garbage over one session", async () => {
    const session = http2.connect(emulator.url);
    session.on("error", () => {});
    const statuses = new Set<number>();
    for (let i = 0; i < list.length; i += 16) {
      const batch = list.slice(i, i + 16);
      const answers = await Promise.all(batch.map((attempt) => sendHttp2(session, attempt)));
      answers.forEach((answer, index) => {
        if (answer) statuses.add(answer.status);
        expectClean(answer, `h2 ${batch[index]!.description}`);
      });
    }
    session.close();
    expect(statuses.has(400)).toBe(true);
    await stillAnswers();
  });

  it("malformed HTTP/1.1 on a raw socket gets a 400 or a closed connection", async () => {
    const host = `Host: 127.0.0.1:${emulator.port}\r\n`;
    const model = `/model/${encodeURIComponent(HAIKU)}/invoke`;
    const cases: (string | Buffer)[] = [
      "GARBAGE\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "GET\r\n\r\n",
      `POST ${model} HTTP/1.1\r\n${host}Content-Length: abc\r\n\r\n`,
      `POST ${model} HTTP/1.1\r\n${host}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      `POST ${model} HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\nZZ\r\nnot hex\r\n`,
      `POST ${model} HTTP/1.1\r\n${host}Bad Header Without Colon\r\n\r\n`,
      `POST /%ZZ%%/invoke HTTP/1.1\r\n${host}Content-Length: 0\r\n\r\n`,
      `POST ${model} HTTP/1.1\r\n${host}X-Long: ${"a".repeat(70_000)}\r\n\r\n`,
      randomBytes(new SeededRandom(SEED), 4096),
      Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]), // a TLS ClientHello on a cleartext port
      "\r\n\r\n\r\n",
    ];
    for (const bytes of cases) {
      const answer = (await rawExchange(emulator.port, bytes)).toString("latin1");
      if (answer)
        expect(answer, JSON.stringify(String(bytes).slice(0, 60))).toMatch(/^HTTP\/1\.1 4\d\d /);
      expect(answer).not.toMatch(STACK_TRACE);
    }
    await stillAnswers();
  });

  it("half-closed connections: a body that never finishes, and a stream cut before its preface", async () => {
    const model = `/model/${encodeURIComponent(HAIKU)}/invoke`;
    const partial = `POST ${model} HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{"anthropic_version":`;
    for (const bytes of [
      partial,
      "PO",
      "P",
      "PRI * HTTP/2.0\r\n",
      `POST ${model} HTTP/1.1\r\nHost: x\r\n`,
    ]) {
      const answer = (await rawExchange(emulator.port, bytes)).toString("latin1");
      expect(answer).not.toMatch(/^HTTP\/1\.1 5/);
      expect(answer).not.toMatch(STACK_TRACE);
    }
    await stillAnswers();
  });

  it("an invalid HTTP/2 preface or garbage frames end the session with GOAWAY", async () => {
    const preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    const cases: (string | Buffer)[] = [
      "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n",
      "PRIMARY SCHOOL\r\n\r\n",
      Buffer.concat([Buffer.from(preface), randomBytes(new SeededRandom(SEED + 1), 512)]),
      // A SETTINGS frame claiming a length far beyond what follows.
      Buffer.concat([
        Buffer.from(preface),
        Buffer.from([0xff, 0xff, 0xff, 0x04, 0x00, 0, 0, 0, 0]),
      ]),
      // A HEADERS frame on stream 1 whose HPACK block is nonsense.
      Buffer.concat([
        Buffer.from(preface),
        Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
        Buffer.from([0, 0, 4, 1, 5, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff]),
      ]),
    ];
    for (const bytes of cases) {
      // The server answers a protocol error with GOAWAY. (Node then waits for the client to
      // hang up rather than closing the socket itself, so the client hangs up.)
      const answer = await rawExchange(emulator.port, bytes, hasGoaway);
      expect(hasGoaway(answer)).toBe(true);
      expect(answer.toString("latin1")).not.toMatch(STACK_TRACE);
    }
    await stillAnswers();
  });
});
