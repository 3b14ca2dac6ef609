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

describe("a call's abort signal reaches its HTTP request", () => {
  for (const protocol of ["http1", "http2"] as const) {
    it(`closes an unanswered InvokeModel request when aborted (${protocol})`, async () => {
      const server = await silentServer(protocol);
      const quarry = quarryFor(server.url, protocol);
      const controller = new AbortController();
      const call = quarry.invoke({ prompt: "Lake", maxTokens: 50, signal: controller.signal });
      const request = await server.nextRequest;
      expect(request.path).toBe(`/model/${encodeURIComponent(HAIKU)}/invoke`);
      controller.abort(new Error("caller gave up"));
      await expect(call).rejects.toThrow();
      await request.closed;
    });
  }

  it("closes an unanswered event-stream request when aborted", async () => {
    const server = await silentServer("http1");
    const quarry = quarryFor(server.url, "http1");
    const controller = new AbortController();
    const stream = quarry.stream({ prompt: "Lake", maxTokens: 50, signal: controller.signal });
    const result = stream.result();
    const request = await server.nextRequest;
    expect(request.path).toBe(`/model/${encodeURIComponent(HAIKU)}/invoke-with-response-stream`);
    controller.abort(new Error("caller gave up"));
    await expect(result).rejects.toThrow();
    await request.closed;
  });

  it("closes an unanswered Converse request when aborted", async () => {
    const server = await silentServer("http1");
    const quarry = quarryFor(server.url, "http1");
    const controller = new AbortController();
    const call = quarry.converse({ prompt: "Lake", maxTokens: 50, signal: controller.signal });
    const request = await server.nextRequest;
    expect(request.path).toBe(`/model/${encodeURIComponent(HAIKU)}/converse`);
    controller.abort(new Error("caller gave up"));
    await expect(call).rejects.toThrow();
    await request.closed;
  });
});
