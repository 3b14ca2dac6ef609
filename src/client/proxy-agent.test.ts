import { createServer, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { BedrockRuntimeClient, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/start-emulator.js";
import { TEST_CREDENTIALS } from "../test-support/sdk-clients.js";
import { createRequestHandler } from "./create-request-handler.js";
import {
  bypassesProxy,
  parseProxyUrl,
  proxyFor,
  proxySettingsFromEnvironment,
  redactProxy,
} from "./proxy-agent.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";

describe("proxy settings", () => {
  it("reads the standard variables, lower case first", () => {
    expect(
      proxySettingsFromEnvironment({
        HTTPS_PROXY: "http://upper:1",
        https_proxy: "http://lower:2",
        HTTP_PROXY: "http://plain:3",
        NO_PROXY: "localhost,.internal",
      }),
    ).toEqual({
      httpsProxy: "http://lower:2",
      httpProxy: "http://plain:3",
      noProxy: "localhost,.internal",
    });
  });

  it("chooses the proxy by the target's scheme and honours NO_PROXY", () => {
    const settings = {
      httpsProxy: "http://proxy:3128",
      httpProxy: "proxy-plain:8080",
      noProxy: "localhost, .corp.example ,10.0.0.1:8443",
    };
    expect(
      proxyFor(new URL("https://bedrock-runtime.us-east-1.amazonaws.com"), settings)?.host,
    ).toBe("proxy:3128");
    expect(proxyFor(new URL("http://emulator.test:4566"), settings)?.href).toBe(
      "http://proxy-plain:8080/",
    );
    expect(proxyFor(new URL("http://localhost:4566"), settings)).toBeUndefined();
    expect(proxyFor(new URL("https://api.corp.example"), settings)).toBeUndefined();
    expect(proxyFor(new URL("https://corp.example"), settings)).toBeUndefined();
    expect(proxyFor(new URL("https://notcorp.example"), settings)).toBeDefined();
    expect(bypassesProxy(new URL("https://10.0.0.1:8443"), settings.noProxy)).toBe(true);
    expect(bypassesProxy(new URL("https://10.0.0.1:443"), settings.noProxy)).toBe(false);
    expect(bypassesProxy(new URL("https://anything"), "*")).toBe(true);
  });

  it("refuses non-http proxies and never shows proxy passwords", () => {
    expect(() => parseProxyUrl("socks5://user:secret@proxy:1080")).toThrow(
      /Only http:\/\/ proxies/,
    );
    expect(() => parseProxyUrl("socks5://user:secret@proxy:1080")).not.toThrow(/secret/);
    expect(redactProxy("http://user:secret@proxy:3128")).toBe("http://***@proxy:3128");
  });
});

describe("CONNECT tunnel through a proxy, with the real SDK", () => {
  let emulator: Emulator;
  let proxy: Server;
  let proxyUrl: string;
  const tunnels: string[] = [];
  const authorizations: (string | undefined)[] = [];
  const sockets = new Set<Socket>();

  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
    proxy = createServer((_request, response) => {
      response.writeHead(405).end();
    });
    proxy.on("connect", (request, client: Socket, head: Buffer) => {
      tunnels.push(request.url ?? "");
      authorizations.push(request.headers["proxy-authorization"]);
      const [host, port] = (request.url ?? "").split(":");
      if (host === "denied.invalid") {
        client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
        return;
      }
      const upstream = connect(Number(port), host!, () => {
        client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      sockets.add(client).add(upstream);
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    const address = proxy.address() as { port: number };
    proxyUrl = `http://user:p%40ss@127.0.0.1:${address.port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => proxy.close(() => resolve()));
    await emulator.close();
  });

  const clientVia = (settings: { httpProxy?: string; noProxy?: string }) =>
    new BedrockRuntimeClient({
      endpoint: emulator.url,
      region: "us-east-1",
      credentials: TEST_CREDENTIALS,
      maxAttempts: 1,
      requestHandler: createRequestHandler({
        protocol: "http1",
        maxSockets: 4,
        connectTimeoutMs: 5_000,
        firstByteTimeoutMs: 30_000,
        target: new URL(emulator.url),
        proxy: settings,
      }),
    });

  const invoke = (client: BedrockRuntimeClient) =>
    client.send(
      new InvokeModelCommand({
        modelId: HAIKU,
        body: JSON.stringify({
          anthropic_version: "bedrock-2023-05-31",
          max_tokens: 20,
          messages: [{ role: "user", content: "hi" }],
        }),
      }),
    );

  it("tunnels requests, keeps the tunnel alive between calls, and sends proxy credentials", async () => {
    tunnels.length = 0;
    const client = clientVia({ httpProxy: proxyUrl });
    const first = await invoke(client);
    const second = await invoke(client);
    expect(first.$metadata.httpStatusCode).toBe(200);
    expect(second.$metadata.httpStatusCode).toBe(200);
    expect(tunnels).toEqual([`127.0.0.1:${emulator.port}`]);
    expect(authorizations.at(-1)).toBe(`Basic ${Buffer.from("user:p@ss").toString("base64")}`);
    client.destroy();
  });

  it("goes direct for hosts in NO_PROXY", async () => {
    tunnels.length = 0;
    const client = clientVia({ httpProxy: proxyUrl, noProxy: "127.0.0.1" });
    await invoke(client);
    expect(tunnels).toEqual([]);
    client.destroy();
  });

  it("reports a refused tunnel with the proxy's status", async () => {
    const client = new BedrockRuntimeClient({
      endpoint: "http://denied.invalid:80",
      region: "us-east-1",
      credentials: TEST_CREDENTIALS,
      maxAttempts: 1,
      requestHandler: createRequestHandler({
        protocol: "http1",
        maxSockets: 1,
        connectTimeoutMs: 5_000,
        firstByteTimeoutMs: 30_000,
        target: new URL("http://denied.invalid"),
        proxy: { httpProxy: proxyUrl },
      }),
    });
    await expect(invoke(client)).rejects.toThrow(/refused to open a tunnel.*HTTP 403/);
    client.destroy();
  });
});
