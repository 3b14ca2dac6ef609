import { InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runtimeClient } from "../../test-support/sdk-clients.js";
import { type Emulator, startEmulator } from "../start-emulator.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const SECRET = "control-route-secret-access-key-value";
const TOKEN = "ABSKcontrol-route-bearer-token-value";

async function call(
  emulator: Emulator,
  method: "GET" | "POST",
  path: string,
  body?: string,
): Promise<{ status: number; errorType: string | null; json: any; text: string }> {
  const response = await fetch(`${emulator.url}/_quarry/${path}`, {
    method,
    ...(body !== undefined ? { body, headers: { "content-type": "application/json" } } : {}),
  });
  const text = await response.text();
  return {
    status: response.status,
    errorType: response.headers.get("x-amzn-errortype"),
    json: JSON.parse(text),
    text,
  };
}

async function invoke(emulator: Emulator): Promise<void> {
  const client = runtimeClient(emulator.url);
  await client.send(
    new InvokeModelCommand({
      modelId: HAIKU,
      body: JSON.stringify({
        anthropic_version: "bedrock-2023-05-31",
        max_tokens: 20,
        messages: [{ role: "user", content: "Hello there." }],
      }),
    }),
  );
  client.destroy();
}

describe("control routes", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      config: { seed: 5, auth: { accessKeys: { AKIDCONTROL: SECRET }, bearerTokens: [TOKEN] } },
    });
  });
  afterAll(() => emulator.close());

  it("GET /_quarry/health answers ok", async () => {
    const health = await call(emulator, "GET", "health");
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ ok: true });
  });

  it("GET /_quarry/stats counts what the SDK sent", async () => {
    await invoke(emulator);
    await invoke(emulator);
    const stats = await call(emulator, "GET", "stats");
    expect(stats.status).toBe(200);
    expect(stats.json.requests).toBe(2);
    expect(stats.json.byOperation.InvokeModel).toEqual({ ok: 2 });
    expect(stats.json.byModel[HAIKU]).toEqual({ ok: 2 });
    expect(stats.json.outputTokens).toBeGreaterThan(0);
    expect(stats.json.inFlight).toBe(0);
  });

  it("GET /_quarry/config shows the configuration with secrets redacted", async () => {
    const config = await call(emulator, "GET", "config");
    expect(config.status).toBe(200);
    expect(config.json.seed).toBe(5);
    expect(config.json.auth).toEqual({
      sigv4: false,
      accessKeys: { AKIDCONTROL: "***" },
      bearerTokens: ["***"],
    });
    expect(config.text).not.toContain(SECRET);
    expect(config.text).not.toContain(TOKEN);
  });

  it("POST /_quarry/config merges a change and answers with the result, still redacted", async () => {
    const updated = await call(
      emulator,
      "POST",
      "config",
      JSON.stringify({ latency: { jitter: 0.25 }, auth: { bearerTokens: [TOKEN, "ABSKsecond"] } }),
    );
    expect(updated.status).toBe(200);
    expect(updated.json.latency).toEqual({ firstTokenMs: 0, perOutputTokenMs: 0, jitter: 0.25 });
    expect(updated.json.seed).toBe(5);
    expect(updated.json.auth.bearerTokens).toEqual(["***", "***"]);
    expect(updated.text).not.toContain("ABSKsecond");
    expect(emulator.config.latency.jitter).toBe(0.25);
    expect(emulator.config.auth.bearerTokens).toEqual([TOKEN, "ABSKsecond"]);
    expect(emulator.config.auth.accessKeys).toEqual({ AKIDCONTROL: SECRET });
  });

  it("a bad change is a 400 ValidationException naming the field, and nothing changes", async () => {
    const before = (await call(emulator, "GET", "config")).json;
    const cases = [
      [JSON.stringify({ seed: 9, limits: { maxBodyBytes: "big" } }), "limits.maxBodyBytes"],
      [JSON.stringify({ seed: 9, latency: { jitter: 3 } }), "latency.jitter"],
      [JSON.stringify({ seed: 9, noSuchOption: true }), "noSuchOption"],
      [JSON.stringify({ seed: 9, responder: { script: "/no/such/rules.jsonl" } }), "rules.jsonl"],
      [
        JSON.stringify({ seed: 9, responder: { script: [{ pattern: "(", reply: "x" }] } }),
        "not a valid regular expression",
      ],
      ["{not json", "not valid JSON"],
    ] as const;
    for (const [body, named] of cases) {
      const refused = await call(emulator, "POST", "config", body);
      expect(refused.status, body).toBe(400);
      expect(refused.errorType, body).toMatch(/^ValidationException:/);
      expect(refused.json.message, body).toContain(named);
    }
    expect((await call(emulator, "GET", "config")).json).toEqual(before);
    expect(emulator.config.seed).toBe(5);
  });

  it("POST /_quarry/reset clears the statistics", async () => {
    await invoke(emulator);
    expect((await call(emulator, "GET", "stats")).json.requests).toBeGreaterThan(0);
    const reset = await call(emulator, "POST", "reset");
    expect(reset.status).toBe(200);
    expect(reset.json).toEqual({ reset: true });
    const stats = (await call(emulator, "GET", "stats")).json;
    expect(stats.requests).toBe(0);
    expect(stats.byOperation).toEqual({});
  });

  it("an unknown control route is a 404 UnknownOperationException", async () => {
    const missing = await call(emulator, "GET", "nothing-here");
    expect(missing.status).toBe(404);
    expect(missing.errorType).toMatch(/^UnknownOperationException:/);
  });
});
