import http from "node:http";
import http2 from "node:http2";
import { BedrockRuntimeClient, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { BENCH_MODEL_ID, CLAUDE_BODIES } from "./claude-bodies.js";

/** A way of sending InvokeModel requests to the emulator. */
export interface LoadGenerator {
  /** Sends the n-th request and resolves when its whole response has been read. */
  send(index: number): Promise<void>;
  close(): Promise<void> | void;
}

const INVOKE_PATH = `/model/${encodeURIComponent(BENCH_MODEL_ID)}/invoke`;
// Obviously fake keys: the emulator accepts any unless SigV4 checking is configured.
const CREDENTIALS = {
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
};

function bodyFor(index: number): Buffer {
  return CLAUDE_BODIES[index % CLAUDE_BODIES.length]!;
}

/** (a) Raw HTTP/1.1 requests over a keep-alive agent with one socket per concurrent request. */
export function keepAliveHttp1(url: string, concurrency: number): LoadGenerator {
  const target = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  return {
    send: (index) =>
      new Promise<void>((resolve, reject) => {
        const body = bodyFor(index);
        const request = http.request(
          {
            agent,
            host: target.hostname,
            port: target.port,
            method: "POST",
            path: INVOKE_PATH,
            headers: {
              "content-type": "application/json",
              accept: "application/json",
              "content-length": body.length,
            },
          },
          (response) => {
            response.on("data", () => {});
            response.on("end", () =>
              response.statusCode === 200
                ? resolve()
                : reject(new Error(`HTTP ${response.statusCode}`)),
            );
            response.on("error", reject);
          },
        );
        request.on("error", reject);
        request.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** (b) Raw HTTP/2 (h2c) requests multiplexed as concurrent streams on one session. */
export function multiplexedHttp2(url: string): LoadGenerator {
  const session = http2.connect(url);
  session.on("error", () => {});
  return {
    send: (index) =>
      new Promise<void>((resolve, reject) => {
        const body = bodyFor(index);
        const stream = session.request({
          ":method": "POST",
          ":path": INVOKE_PATH,
          "content-type": "application/json",
          accept: "application/json",
          "content-length": body.length,
        });
        let status = 0;
        stream.on("response", (headers) => {
          status = Number(headers[":status"]);
        });
        stream.on("data", () => {});
        stream.on("end", () => (status === 200 ? resolve() : reject(new Error(`HTTP ${status}`))));
        stream.on("error", reject);
        stream.end(body);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        session.close(() => resolve());
      }),
  };
}

function sdkGenerator(client: BedrockRuntimeClient): LoadGenerator {
  return {
    async send(index) {
      const response = await client.send(
        new InvokeModelCommand({
          modelId: BENCH_MODEL_ID,
          contentType: "application/json",
          accept: "application/json",
          body: bodyFor(index),
        }),
      );
      if (response.body.length === 0) throw new Error("empty body");
    },
    close: () => client.destroy(),
  };
}

/**
 * (c) The AWS SDK as most code uses it: `BedrockRuntimeClient` with its default request handler,
 * which opens a new HTTP/2 session (a new TCP connection) for every request.
 */
export function sdkDefault(url: string): LoadGenerator {
  return sdkGenerator(
    new BedrockRuntimeClient({
      endpoint: url,
      region: "us-east-1",
      credentials: CREDENTIALS,
      maxAttempts: 1,
    }),
  );
}

/** (d) The AWS SDK with a keep-alive HTTP/1.1 handler sized for the concurrency. */
export function sdkKeepAlive(url: string, concurrency: number): LoadGenerator {
  return sdkGenerator(
    new BedrockRuntimeClient({
      endpoint: url,
      region: "us-east-1",
      credentials: CREDENTIALS,
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({
        httpAgent: new http.Agent({ keepAlive: true, maxSockets: concurrency }),
      }),
    }),
  );
}
