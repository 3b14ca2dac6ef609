import { mkdtempSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { InvokeModelCommand, ValidationException } from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonBody, runtimeClient } from "../test-support/sdk-clients.js";
import { type Emulator, startEmulator } from "./start-emulator.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const body = (text: string) =>
  JSON.stringify({
    anthropic_version: "bedrock-2023-05-31",
    max_tokens: 20,
    messages: [{ role: "user", content: text }],
  });

/** Whether a TCP connection to host:port is accepted. */
function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Addresses of this machine other than 127.0.0.1 that still reach it. */
function otherLocalAddresses(): string[] {
  const external = Object.values(networkInterfaces())
    .flat()
    .filter((entry) => entry && entry.family === "IPv4" && !entry.internal)
    .map((entry) => entry!.address);
  // On Linux all of 127.0.0.0/8 is loopback: a server bound to 127.0.0.1 alone refuses 127.0.0.2.
  return process.platform === "linux" ? ["127.0.0.2", ...external] : external;
}

async function invoke(emulator: Emulator, text: string, http1 = false) {
  const client = runtimeClient(emulator.url, { http1 });
  try {
    return jsonBody(
      (await client.send(new InvokeModelCommand({ modelId: HAIKU, body: body(text) }))).body,
    );
  } finally {
    client.destroy();
  }
}

describe("startEmulator", () => {
  it("binds to 127.0.0.1 by default, and to every interface only when told", async () => {
    const others = otherLocalAddresses();
    const loopback = await startEmulator({ port: 0 });
    const everywhere = await startEmulator({ port: 0, host: "0.0.0.0" });
    try {
      expect(loopback.url).toBe(`http://127.0.0.1:${loopback.port}`);
      expect(await connects("127.0.0.1", loopback.port)).toBe(true);
      expect(everywhere.url).toBe(`http://127.0.0.1:${everywhere.port}`);
      for (const address of others) {
        expect(await connects(address, loopback.port), address).toBe(false);
        // The control: the same address reaches a server bound to every interface.
        expect(await connects(address, everywhere.port), address).toBe(true);
      }
    } finally {
      await loopback.close();
      await everywhere.close();
    }
  });

  describe("with a small body limit", () => {
    let emulator: Emulator;
    beforeAll(async () => {
      emulator = await startEmulator({ port: 0, config: { limits: { maxBodyBytes: 2_000 } } });
    });
    afterAll(() => emulator.close());

    for (const http1 of [false, true]) {
      it(`refuses an oversize body cleanly and keeps answering (${http1 ? "HTTP/1.1" : "HTTP/2"})`, async () => {
        const client = runtimeClient(emulator.url, { http1 });
        const error = await client
          .send(new InvokeModelCommand({ modelId: HAIKU, body: body("x".repeat(5_000)) }))
          .catch((caught: unknown) => caught);
        client.destroy();
        expect(error).toBeInstanceOf(ValidationException);
        expect((error as ValidationException).message).toBe(
          "Request body exceeds the maximum size of 2000 bytes.",
        );
        expect((error as ValidationException).$metadata.httpStatusCode).toBe(413);
        expect((await invoke(emulator, "Still there?", http1)).type).toBe("message");
      });
    }

    it("counts a chunked body with no length as it arrives", async () => {
      const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
        const request = http.request(
          `${emulator.url}/model/${encodeURIComponent(HAIKU)}/invoke`,
          { method: "POST", agent: false, headers: { "transfer-encoding": "chunked" } },
          (response) => {
            let text = "";
            response.on("data", (chunk) => {
              text += chunk;
            });
            response.on("end", () => resolve({ status: response.statusCode!, text }));
          },
        );
        request.on("error", reject);
        for (let i = 0; i < 10; i++) request.write("y".repeat(500));
        request.end();
      });
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.text).message).toContain("maximum size of 2000 bytes");
      expect((await invoke(emulator, "And now?", true)).type).toBe("message");
    });
  });

  it("reads a config file, with options applied on top", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "quarry-start-")), "emulator.yaml");
    writeFileSync(
      file,
      "seed: 42\nregion: eu-west-1\nresponder:\n  script:\n    - contains: ping\n      reply: pong\n",
    );
    const emulator = await startEmulator({ port: 0, configFile: file, config: { seed: 43 } });
    try {
      expect(emulator.config.region).toBe("eu-west-1");
      expect(emulator.config.seed).toBe(43);
      expect((await invoke(emulator, "ping")).content[0].text).toBe("pong");
    } finally {
      await emulator.close();
    }
  });

  it("refuses an invalid config file, naming the field", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "quarry-start-")), "bad.json");
    writeFileSync(file, JSON.stringify({ limits: { maxBodyBytes: -5 } }));
    await expect(startEmulator({ port: 0, configFile: file })).rejects.toThrow(
      "limits.maxBodyBytes",
    );
  });

  it("close() drops open connections and frees the port", async () => {
    const emulator = await startEmulator({ port: 0 });
    const idle = net.connect(emulator.port, "127.0.0.1");
    await new Promise((resolve) => idle.once("connect", resolve));
    const closed = new Promise((resolve) => idle.once("close", resolve));
    await emulator.close();
    await closed;
    expect(await connects("127.0.0.1", emulator.port)).toBe(false);
  });
});
