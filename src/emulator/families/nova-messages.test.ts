import {
  type BedrockRuntimeClient,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonBody, runtimeClient } from "../../test-support/sdk-clients.js";
import { type Emulator, startEmulator } from "../start-emulator.js";
import {
  fixtureBody,
  loadFixture,
  malformed,
  recordUsageHeaders,
  refusal,
  shapeMismatches,
  streamChunks,
} from "./__fixtures__/fixture-kit.js";

const LITE = "amazon.nova-lite-v1:0";
const MICRO = "amazon.nova-micro-v1:0";
const STOP_REASONS = ["end_turn", "max_tokens", "stop_sequence", "tool_use", "content_filtered"];

const WEATHER_TOOL = {
  toolSpec: {
    name: "get_weather",
    description: "The weather in a city.",
    inputSchema: {
      json: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  },
};

describe("Amazon Nova through the real AWS SDK", () => {
  let emulator: Emulator;
  let client: BedrockRuntimeClient;
  let usage: ReturnType<typeof recordUsageHeaders>;
  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      config: {
        responder: {
          script: [
            {
              contains: "weather in Lyon",
              toolCalls: [{ name: "get_weather", input: { city: "Lyon" } }],
            },
          ],
        },
      },
    });
    client = runtimeClient(emulator.url);
    usage = recordUsageHeaders(client);
  });
  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  it("answers the documented request with the documented response shape and usage headers", async () => {
    const response = await client.send(
      new InvokeModelCommand({ modelId: LITE, body: fixtureBody("nova-messages-request") }),
    );
    const body = jsonBody(response.body);
    expect(shapeMismatches(body, loadFixture("nova-messages-response"))).toEqual([]);
    expect(STOP_REASONS).toContain(body.stopReason);
    expect(body.output.message.role).toBe("assistant");
    expect(body.usage.totalTokens).toBe(body.usage.inputTokens + body.usage.outputTokens);
    expect(usage()).toMatchObject({
      input: body.usage.inputTokens,
      output: body.usage.outputTokens,
    });
  });

  it("streams Nova's native events, text adding up to the non-streamed reply, metrics last", async () => {
    const body = JSON.stringify({
      schemaVersion: "messages-v1",
      system: [{ text: "You are a geologist." }],
      messages: [{ role: "user", content: [{ text: "Write 50 words about marble." }] }],
      inferenceConfig: { max_new_tokens: 400, top_p: 0.9, top_k: 20, temperature: 0.7 },
    });
    const whole = jsonBody(
      (await client.send(new InvokeModelCommand({ modelId: LITE, body }))).body,
    );
    const chunks = await streamChunks(
      await client.send(new InvokeModelWithResponseStreamCommand({ modelId: LITE, body })),
    );
    const kinds = chunks.map(
      (chunk) => Object.keys(chunk).find((key) => !key.startsWith("amazon"))!,
    );
    expect(kinds[0]).toBe("messageStart");
    expect(kinds.slice(-3)).toEqual(["contentBlockStop", "messageStop", "metadata"]);
    expect(new Set(kinds.slice(1, -3))).toEqual(new Set(["contentBlockDelta"]));
    const text = chunks
      .filter((chunk) => chunk.contentBlockDelta)
      .map((chunk) => chunk.contentBlockDelta.delta.text)
      .join("");
    expect(text).toBe(whole.output.message.content[0].text);
    expect(chunks.at(-2).messageStop.stopReason).toBe(whole.stopReason);
    const last = chunks.at(-1);
    expect(last.metadata.usage).toEqual(whole.usage);
    expect(last["amazon-bedrock-invocationMetrics"]).toMatchObject({
      inputTokenCount: whole.usage.inputTokens,
      outputTokenCount: whole.usage.outputTokens,
    });
  });

  it("calls a tool with a toolUse block, and streams it as contentBlockStart and a JSON delta", async () => {
    const body = JSON.stringify({
      messages: [{ role: "user", content: [{ text: "What is the weather in Lyon?" }] }],
      toolConfig: { tools: [WEATHER_TOOL], toolChoice: { auto: {} } },
    });
    const reply = jsonBody(
      (await client.send(new InvokeModelCommand({ modelId: LITE, body }))).body,
    );
    expect(reply.stopReason).toBe("tool_use");
    const toolUse = reply.output.message.content.find((block: any) => block.toolUse).toolUse;
    expect(toolUse).toMatchObject({ name: "get_weather", input: { city: "Lyon" } });

    const http1 = runtimeClient(emulator.url, { http1: true });
    const chunks = await streamChunks(
      await http1.send(new InvokeModelWithResponseStreamCommand({ modelId: LITE, body })),
    );
    http1.destroy();
    const start = chunks.find((chunk) => chunk.contentBlockStart).contentBlockStart;
    expect(start.start.toolUse).toEqual({ toolUseId: toolUse.toolUseId, name: "get_weather" });
    const input = chunks
      .filter((chunk) => chunk.contentBlockDelta?.delta.toolUse)
      .map((chunk) => chunk.contentBlockDelta.delta.toolUse.input)
      .join("");
    expect(JSON.parse(input)).toEqual({ city: "Lyon" });
    expect(chunks.find((chunk) => chunk.messageStop).messageStop.stopReason).toBe("tool_use");

    // The result goes back as a toolResult block.
    const followUp = await client.send(
      new InvokeModelCommand({
        modelId: LITE,
        body: JSON.stringify({
          messages: [
            { role: "user", content: [{ text: "What is the weather in Paris?" }] },
            { role: "assistant", content: [{ toolUse }] },
            {
              role: "user",
              content: [
                {
                  toolResult: {
                    toolUseId: toolUse.toolUseId,
                    content: [{ json: { sky: "clear" } }],
                  },
                },
              ],
            },
          ],
          toolConfig: { tools: [WEATHER_TOOL] },
        }),
      }),
    );
    expect(jsonBody(followUp.body).stopReason).toBe("end_turn");
  });

  it("takes base64 images on Lite, not on the text-only Micro", async () => {
    const body = {
      messages: [
        {
          role: "user",
          content: [
            { image: { format: "png", source: { bytes: "iVBORw0KGgo=" } } },
            { text: "Describe this image." },
          ],
        },
      ],
    };
    const reply = jsonBody(
      (await client.send(new InvokeModelCommand({ modelId: LITE, body: JSON.stringify(body) })))
        .body,
    );
    expect(reply.stopReason).toBe("end_turn");
    const refused = await refusal(client, MICRO, body);
    expect(refused).toMatchObject({ name: "ValidationException", status: 400 });
    expect(refused.message).toContain("accepts text only");
  });

  it("refuses bad bodies in Bedrock's words", async () => {
    expect(await refusal(client, LITE, { prompt: "hi" })).toEqual({
      name: "ValidationException",
      message: malformed(
        "#: required key [messages] not found",
        "#: extraneous key [prompt] is not permitted",
      ),
      status: 400,
    });
    const ask = [{ role: "user", content: [{ text: "hi" }] }];
    expect(
      (await refusal(client, LITE, { messages: ask, inferenceConfig: { max_tokens: 5 } })).message,
    ).toBe(malformed("#/inferenceConfig: extraneous key [max_tokens] is not permitted"));
    expect(
      (
        await refusal(client, LITE, {
          messages: ask,
          inferenceConfig: { maxTokens: 10_001, temperature: "low" },
        })
      ).message,
    ).toBe(
      malformed(
        "#/inferenceConfig/maxTokens: 10001 is not less or equal to 10000",
        "#/inferenceConfig/temperature: expected type: Number, found: String",
      ),
    );
    expect(
      (
        await refusal(client, LITE, {
          messages: [{ role: "user", content: [{}] }],
          toolConfig: { tools: [WEATHER_TOOL], toolChoice: { auto: {}, any: {} } },
        })
      ).message,
    ).toBe(
      malformed(
        "#/messages/0/content/0: minimum size: [1], found: [0]",
        "#/toolConfig/toolChoice: maximum size: [1], found: [2]",
      ),
    );
    expect(
      (
        await refusal(client, LITE, {
          messages: [{ role: "assistant", content: [{ text: "hi" }] }],
        })
      ).message,
    ).toContain("must start with a user message");
  });
});
