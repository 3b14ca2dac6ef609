import { once } from "node:events";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttp2Server, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { createQuarry } from "./create-quarry.js";

// The SDK clients cache their middleware, so calls go out without options and their signals
// ride beside them (call-signals.ts). These servers take a request and never answer: the only
// way the request closes before the client is destroyed is the call's signal reaching the
// socket. Were it lost, the wait for the close would never end and the test would time out.

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

interface SilentServer {
  readonly url: string;
  /** Resolves with a function that resolves when that request's stream or socket closes. */
  readonly nextRequest: Promise<{ path: string; closed: Promise<unknown> }>;
}

async function silentServer(protocol: "http1" | "http2"): Promise<SilentServer> {
  let arrived!: (request: { path: string; closed: Promise<unknown> }) => void;
  const nextRequest = new Promise<{ path: string; closed: Promise<unknown> }>((resolve) => {
    arrived = resolve;
  });
  let server: Server | Http2Server;
  if (protocol === "http1") {
    server = createHttpServer((request, response) => {
      arrived({ path: request.url ?? "", closed: once(response, "close") });
    });
  } else {
    const h2 = createHttp2Server();
    h2.on("stream", (stream, headers) => {
      arrived({ path: String(headers[":path"]), closed: once(stream, "close") });
    });
    server = h2;
  }
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  closers.push(() => {
    (server as Server).closeAllConnections?.();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, nextRequest };
}

function quarryFor(url: string, protocol: "http1" | "http2") {
  const quarry = createQuarry({
    endpoint: url,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "test-secret-not-real" },
    model: HAIKU,
    http: { protocol },
    proxy: false,
    scheduler: { limits: { "*": { concurrency: 4, rpm: 1000 } } },
  });
  closers.push(() => quarry.destroy());
  return quarry;
}

type Quarry = ReturnType<typeof quarryFor>;

/** Each kind of call, how to start it with a signal, and the path its request goes to. */
const CASES: readonly {
  readonly name: string;
  readonly protocol: "http1" | "http2";
  readonly path: string;
  readonly start: (quarry: Quarry, signal: AbortSignal) => Promise<unknown>;
}[] = [
  ...(["http1", "http2"] as const).map((protocol) => ({
    name: `InvokeModel (${protocol})`,
    protocol,
    path: "invoke",
    start: (quarry: Quarry, signal: AbortSignal) =>
      quarry.invoke({ prompt: "Lake", maxTokens: 50, signal }),
  })),
  {
    name: "event-stream",
    protocol: "http1",
    path: "invoke-with-response-stream",
    start: (quarry, signal) => quarry.stream({ prompt: "Lake", maxTokens: 50, signal }).result(),
  },
  {
    name: "Converse",
    protocol: "http1",
    path: "converse",
    start: (quarry, signal) => quarry.converse({ prompt: "Lake", maxTokens: 50, signal }),
  },
];

describe("a call's abort signal reaches its HTTP request", () => {
  for (const { name, protocol, path, start } of CASES) {
    it(`closes an unanswered ${name} request when aborted`, async () => {
      const server = await silentServer(protocol);
      const quarry = quarryFor(server.url, protocol);
      const controller = new AbortController();
      const call = start(quarry, controller.signal);
      const request = await server.nextRequest;
      expect(request.path).toBe(`/model/${encodeURIComponent(HAIKU)}/${path}`);
      controller.abort(new Error("caller gave up"));
      await expect(call).rejects.toThrow();
      await request.closed;
    });
  }
});
