import { readFileSync } from "node:fs";
import {
  ConverseCommand,
  CountTokensCommand,
  InvokeModelCommand,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonBody, runtimeClient } from "../../test-support/sdk-clients.js";
import { type Emulator, startEmulator } from "../start-emulator.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0";

function fixture(name: string): any {
  const url = new URL(`../converse/__fixtures__/${name}.json`, import.meta.url);
  const { _source, ...body } = JSON.parse(readFileSync(url, "utf8"));
  expect(_source).toMatch(/^https:\/\//);
  return body;
}

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

describe("CountTokens through the real AWS SDK", () => {
  let emulator: Emulator;
  const client = () => runtimeClient(emulator.url);
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterAll(() => emulator.close());

  it("counts an InvokeModel body exactly as InvokeModel charges it", async () => {
    const body = JSON.stringify({
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: 50,
      system: "You are a careful geographer.",
      messages: [
        {
          role: "user",
          content: [
            {
              type: "image",
              source: { type: "base64", media_type: "image/png", data: PNG.toString("base64") },
            },
            { type: "text", text: "Which river is in this picture, and how long is it?" },
          ],
        },
      ],
      tools: [
        {
          name: "river_length",
          description: "Length of a river",
          input_schema: { type: "object" },
        },
      ],
    });
    const counted = await client().send(
      new CountTokensCommand({
        modelId: HAIKU,
        input: { invokeModel: { body: Buffer.from(body) } },
      }),
    );
    const invoked = await client().send(new InvokeModelCommand({ modelId: HAIKU, body }));
    expect(counted.inputTokens).toBe(jsonBody(invoked.body).usage.input_tokens);
    expect(counted.inputTokens).toBeGreaterThan(1_000);
  });

  it("counts a Converse input exactly as Converse charges it, tools and images included", async () => {
    const example = fixture("nova-converse-tool-use");
    const messages = [
      {
        role: "user" as const,
        content: [
          { image: { format: "png" as const, source: { bytes: PNG } } },
          ...example.messages[0].content,
        ],
      },
    ];
    const input = { messages, system: example.system, toolConfig: example.toolConfig };
    const counted = await client().send(
      new CountTokensCommand({ modelId: HAIKU, input: { converse: input } }),
    );
    const conversed = await client().send(new ConverseCommand({ modelId: HAIKU, ...input }));
    expect(counted.inputTokens).toBe(conversed.usage!.inputTokens);
  });

  it("counts for a Claude 4 base model id, which only a profile can invoke", async () => {
    const counted = await client().send(
      new CountTokensCommand({
        modelId: SONNET_45,
        input: { converse: { messages: [{ role: "user", content: [{ text: "Hello there" }] }] } },
      }),
    );
    const conversed = await client().send(
      new ConverseCommand({
        modelId: `us.${SONNET_45}`,
        messages: [{ role: "user", content: [{ text: "Hello there" }] }],
      }),
    );
    expect(counted.inputTokens).toBe(conversed.usage!.inputTokens);
  });

  const refusals: [string, string, string][] = [
    ["an inference profile", `us.${HAIKU}`, "The provided model doesn't support counting tokens."],
    [
      "a model without CountTokens",
      "amazon.nova-lite-v1:0",
      "The provided model doesn't support counting tokens.",
    ],
    [
      "an unknown model",
      "anthropic.claude-nonexistent-v1:0",
      "The provided model identifier is invalid.",
    ],
  ];
  for (const [what, modelId, message] of refusals) {
    it(`refuses ${what} as Bedrock does`, async () => {
      const error = await client()
        .send(
          new CountTokensCommand({
            modelId,
            input: { converse: { messages: [{ role: "user", content: [{ text: "Hi" }] }] } },
          }),
        )
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationException);
      expect((error as Error).message).toBe(message);
    });
  }

  it("checks the counted input as the operation itself would", async () => {
    const error = await client()
      .send(
        new CountTokensCommand({
          modelId: HAIKU,
          input: { invokeModel: { body: Buffer.from(JSON.stringify({ max_tokens: 10 })) } },
        }),
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as Error).message).toMatch(/^Malformed input request: #: required key/);
  });

  it("is free: it draws nothing from the quota and counts in the statistics", async () => {
    emulator.configure({ quotas: { [HAIKU]: { rpm: 1 } } });
    for (let i = 0; i < 3; i++) {
      await client().send(
        new CountTokensCommand({
          modelId: HAIKU,
          input: { converse: { messages: [{ role: "user", content: [{ text: "Hi" }] }] } },
        }),
      );
    }
    await client().send(
      new ConverseCommand({
        modelId: HAIKU,
        messages: [{ role: "user", content: [{ text: "Hi" }] }],
      }),
    );
    expect(emulator.stats().byOperation.CountTokens!.ok).toBeGreaterThanOrEqual(3);
  });
});
