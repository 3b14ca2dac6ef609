import {
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonBody, runtimeClient } from "../../test-support/sdk-clients.js";
import { type Emulator, startEmulator } from "../start-emulator.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";

describe("InvokeModel through the real AWS SDK", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterAll(() => emulator.close());

  for (const http1 of [false, true]) {
    it(`answers a Claude messages body over ${http1 ? "HTTP/1.1" : "HTTP/2 (the SDK default)"}`, async () => {
      const client = runtimeClient(emulator.url, { http1 });
      const response = await client.send(
        new InvokeModelCommand({
          modelId: HAIKU,
          contentType: "application/json",
          accept: "application/json",
          body: JSON.stringify({
            anthropic_version: "bedrock-2023-05-31",
            max_tokens: 200,
            messages: [{ role: "user", content: "Describe a river in 30 words." }],
          }),
        }),
      );
      const body = jsonBody(response.body);
      expect(body.type).toBe("message");
      expect(body.role).toBe("assistant");
      expect(body.content[0].type).toBe("text");
      expect(body.stop_reason).toBe("end_turn");
      expect(body.usage.output_tokens).toBeGreaterThan(20);
      expect(response.contentType).toBe("application/json");
      client.destroy();
    });
  }

  it("rejects a body with a missing and an unknown key in Bedrock's words", async () => {
    const client = runtimeClient(emulator.url);
    const error = await client
      .send(
        new InvokeModelCommand({
          modelId: HAIKU,
          body: JSON.stringify({
            anthropic_version: "bedrock-2023-05-31",
            max_tokens: 10,
            prompt: "hi",
          }),
        }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as Error).message).toBe(
      "Malformed input request: #: required key [messages] not found#: extraneous key [prompt] is not permitted, please reformat your input and try again.",
    );
    expect((error as ValidationException).$metadata.httpStatusCode).toBe(400);
    client.destroy();
  });

  it("streams Claude chunks ending in message_stop with invocation metrics", async () => {
    const client = runtimeClient(emulator.url);
    const response = await client.send(
      new InvokeModelWithResponseStreamCommand({
        modelId: HAIKU,
        body: JSON.stringify({
          anthropic_version: "bedrock-2023-05-31",
          max_tokens: 100,
          messages: [{ role: "user", content: "Write 40 words about stone." }],
        }),
      }),
    );
    const events: any[] = [];
    for await (const event of response.body!) {
      if (event.chunk?.bytes)
        events.push(JSON.parse(Buffer.from(event.chunk.bytes).toString("utf8")));
    }
    expect(events[0].type).toBe("message_start");
    const text = events
      .filter((e) => e.type === "content_block_delta")
      .map((e) => e.delta.text)
      .join("");
    const last = events.at(-1);
    expect(last.type).toBe("message_stop");
    expect(last["amazon-bedrock-invocationMetrics"].outputTokenCount).toBe(
      events.find((e) => e.type === "message_delta").usage.output_tokens,
    );
    expect(text.split(" ").length).toBeGreaterThan(30);
    client.destroy();
  });
});
