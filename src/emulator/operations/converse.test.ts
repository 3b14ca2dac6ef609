import { readFileSync } from "node:fs";
import {
  AccessDeniedException,
  ConverseCommand,
  type ConverseCommandInput,
  InternalServerException,
  InvokeModelCommand,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { Ajv } from "ajv";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runtimeClient } from "../../test-support/sdk-clients.js";
import { type Emulator, startEmulator } from "../start-emulator.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const TITAN = "amazon.titan-text-premier-v1:0";
const LLAMA_31 = "meta.llama3-1-8b-instruct-v1:0";
const SONNET_3 = "anthropic.claude-3-sonnet-20240229-v1:0";

/** An AWS example request kept under `__fixtures__`, without its `_source` link. */
function fixture(name: string): any {
  const url = new URL(`../converse/__fixtures__/${name}.json`, import.meta.url);
  const { _source, ...body } = JSON.parse(readFileSync(url, "utf8"));
  expect(_source).toMatch(/^https:\/\//);
  return body;
}

/** The smallest valid PNG (1×1), as bytes. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

describe("Converse through the real AWS SDK", () => {
  let emulator: Emulator;
  const client = () => runtimeClient(emulator.url);
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, config: { responder: { outputTokens: 40 } } });
  });
  beforeEach(() => {
    emulator.configure({ deniedModels: [] });
    emulator.reset();
  });
  afterAll(() => emulator.close());

  const send = (input: ConverseCommandInput) => client().send(new ConverseCommand(input));
  const failure = (input: ConverseCommandInput) => send(input).catch((error: unknown) => error);

  for (const family of ["anthropic", "meta", "mistral", "cohere", "titan", "nova"]) {
    it(`answers the AWS example request for ${family}`, async () => {
      const request = fixture(`${family}-converse-text`);
      const response = await send(request);
      const content = response.output!.message!.content!;
      expect(response.output!.message!.role).toBe("assistant");
      expect(content).toHaveLength(1);
      expect(content[0]!.text!.split(" ").length).toBeGreaterThan(20);
      expect(response.stopReason).toBe("end_turn");
      const usage = response.usage!;
      expect(usage.inputTokens).toBeGreaterThan(5);
      expect(usage.outputTokens).toBe(40);
      expect(usage.totalTokens).toBe(usage.inputTokens! + usage.outputTokens!);
      expect(response.metrics!.latencyMs).toBe(0);
      expect(emulator.stats().byOperation.Converse).toEqual({ ok: 1 });
    });
  }

  it("is deterministic: the same request gets the same reply", async () => {
    const request = fixture("anthropic-converse-text");
    const first = await send(request);
    const second = await send(request);
    expect(second.output).toEqual(first.output);
  });

  it("cuts the reply at the first stop sequence and reports stop_sequence", async () => {
    const base: ConverseCommandInput = {
      modelId: HAIKU,
      system: [{ text: "You are terse." }],
      messages: [{ role: "user", content: [{ text: "Write 60 words about rivers." }] }],
      inferenceConfig: { temperature: 0.2 },
    };
    const full = (await send(base)).output!.message!.content![0]!.text!;
    const stopWord = full.split(" ")[20]!;
    const cut = await send({ ...base, inferenceConfig: { stopSequences: [stopWord] } });
    expect(cut.stopReason).toBe("stop_sequence");
    expect(cut.output!.message!.content![0]!.text).toBe(full.slice(0, full.indexOf(stopWord)));
  });

  it("stops at maxTokens with max_tokens", async () => {
    const response = await send({
      modelId: HAIKU,
      messages: [{ role: "user", content: [{ text: "Write 200 words about stone." }] }],
      inferenceConfig: { maxTokens: 10 },
    });
    expect(response.stopReason).toBe("max_tokens");
    expect(response.usage!.outputTokens).toBe(10);
  });

  it("takes an image as bytes and charges it as input", async () => {
    const text = { role: "user" as const, content: [{ text: "What is in this picture?" }] };
    const withImage = {
      role: "user" as const,
      content: [{ image: { format: "png" as const, source: { bytes: PNG } } }, ...text.content],
    };
    const plain = await send({ modelId: HAIKU, messages: [text] });
    const pictured = await send({ modelId: HAIKU, messages: [withImage] });
    expect(pictured.usage!.inputTokens! - plain.usage!.inputTokens!).toBe(1_000);
    const refused = await failure({ modelId: TITAN, messages: [withImage] });
    expect(refused).toBeInstanceOf(ValidationException);
    expect((refused as Error).message).toBe(
      "This model doesn't support the image content block that you provided. Update the content block and try again.",
    );
  });

  it("reads a text document and echoes performanceConfig, serviceTier and response fields", async () => {
    const response = await send({
      modelId: HAIKU,
      messages: [
        {
          role: "user",
          content: [
            {
              document: {
                name: "notes",
                format: "txt",
                source: { text: "Rivers run to the sea." },
              },
            },
            { text: "Summarise the notes." },
          ],
        },
      ],
      performanceConfig: { latency: "standard" },
      serviceTier: { type: "flex" },
      requestMetadata: { team: "search" },
      additionalModelRequestFields: { top_k: 200 },
      additionalModelResponseFieldPaths: ["/stop_sequence"],
    });
    expect(response.performanceConfig).toEqual({ latency: "standard" });
    expect(response.serviceTier).toEqual({ type: "flex" });
    expect(response.additionalModelResponseFields).toEqual({ stop_sequence: null });
  });

  it("writes structured output that validates against outputConfig's JSON Schema", async () => {
    const schema = {
      type: "object",
      properties: {
        city: { type: "string" },
        population: { type: "integer", minimum: 1 },
        landmarks: { type: "array", items: { type: "string" }, minItems: 2 },
        founded: { type: "string", format: "date" },
      },
      required: ["city", "population", "landmarks"],
      additionalProperties: false,
    };
    const response = await send({
      modelId: HAIKU,
      messages: [{ role: "user", content: [{ text: "Describe Lisbon." }] }],
      outputConfig: {
        textFormat: {
          type: "json_schema",
          structure: { jsonSchema: { schema: JSON.stringify(schema), name: "city" } },
        },
      },
    });
    const value = JSON.parse(response.output!.message!.content![0]!.text!);
    expect(new Ajv({ strict: false }).validate(schema, value)).toBe(true);
    expect(response.stopReason).toBe("end_turn");
  });

  it("runs the AWS Nova tool-use example to the end: tool request, tool result, answer", async () => {
    const example = fixture("nova-converse-tool-use");
    const { toolResultContent, ...request } = example;
    const first = await send(request);
    expect(first.stopReason).toBe("tool_use");
    const [thought, toolBlock] = first.output!.message!.content!;
    expect(thought!.text).toMatch(/top_song/);
    const toolUse = toolBlock!.toolUse!;
    expect(toolUse.name).toBe("top_song");
    expect(toolUse.toolUseId).toMatch(/^tooluse_[A-Za-z0-9]{22}$/);
    const schema = request.toolConfig.tools[0].toolSpec.inputSchema.json;
    expect(new Ajv({ strict: false }).validate(schema, toolUse.input)).toBe(true);

    const second = await send({
      ...request,
      messages: [
        ...request.messages,
        first.output!.message!,
        {
          role: "user",
          content: [{ toolResult: { toolUseId: toolUse.toolUseId!, content: toolResultContent } }],
        },
      ],
    });
    expect(second.stopReason).toBe("end_turn");
    const answer = second.output!.message!.content![0]!.text!;
    expect(answer).toContain("top_song");
    expect(answer).toContain("Elemental Hotel");
    expect(answer).toContain("8 Storey Hike");
  });

  it("forces the named tool with toolChoice.tool and sends only the call", async () => {
    const example = fixture("anthropic-converse-tool-choice");
    const response = await send({ modelId: HAIKU, ...example });
    expect(response.stopReason).toBe("tool_use");
    expect(response.output!.message!.content).toHaveLength(1);
    expect(response.output!.message!.content![0]!.toolUse!.name).toBe("top_song");
  });

  it("fills every required field of the AWS weather tool with toolChoice.any", async () => {
    const toolConfig = fixture("converse-tool-config-weather");
    const response = await send({
      modelId: HAIKU,
      messages: [{ role: "user", content: [{ text: "Tell me a story." }] }],
      toolConfig: { ...toolConfig, toolChoice: { any: {} } },
    });
    const input = response.output!.message!.content![0]!.toolUse!.input as Record<string, unknown>;
    expect(Object.keys(input).sort()).toEqual(["latitude", "longitude"]);
  });

  it("answers in text when tools are offered but the prompt asks for none of them", async () => {
    const toolConfig = fixture("converse-tool-config-weather");
    const response = await send({
      modelId: HAIKU,
      messages: [{ role: "user", content: [{ text: "Tell me a story." }] }],
      toolConfig,
    });
    expect(response.stopReason).toBe("end_turn");
    expect(response.output!.message!.content![0]!.text).toBeTruthy();
  });

  const userText = (text: string) => ({ role: "user" as const, content: [{ text }] });
  const refusals: [string, ConverseCommandInput, string][] = [
    [
      "a conversation that starts with the assistant",
      {
        modelId: HAIKU,
        messages: [{ role: "assistant", content: [{ text: "Hi" }] }, userText("Hello")],
      },
      "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
    ],
    [
      "no messages at all",
      { modelId: HAIKU, messages: [] },
      "A conversation must start with a user message. Try again with a conversation that starts with a user message.",
    ],
    [
      "two user turns in a row",
      { modelId: HAIKU, messages: [userText("Hello"), userText("Again")] },
      "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.",
    ],
    [
      "blank text",
      { modelId: HAIKU, messages: [userText("  ")] },
      "The text field in the ContentBlock object at messages.0.content.0 is blank. Add text to the text field, and try again.",
    ],
    [
      "an empty content list",
      { modelId: HAIKU, messages: [{ role: "user", content: [] }] },
      "The content field in the Message object at messages.0 is empty. Add a ContentBlock object to the content field and try again.",
    ],
    [
      "maxTokens above Claude's limit",
      { modelId: HAIKU, messages: [userText("Hi")], inferenceConfig: { maxTokens: 5000 } },
      "The model returned the following errors: max_tokens: 5000 > 4096, which is the maximum allowed number of output tokens for claude-3-haiku-20240307",
    ],
    [
      "maxTokens above Nova's limit",
      {
        modelId: "amazon.nova-lite-v1:0",
        messages: [userText("Hi")],
        inferenceConfig: { maxTokens: 10001 },
      },
      "The maximum tokens you requested exceeds the model limit of 10000. Try again with a maximum tokens value that is lower than 10000.",
    ],
    [
      "maxTokens of 0",
      { modelId: HAIKU, messages: [userText("Hi")], inferenceConfig: { maxTokens: 0 } },
      "1 validation error detected: Value '0' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1",
    ],
    [
      "temperature and topP out of range",
      {
        modelId: HAIKU,
        messages: [userText("Hi")],
        inferenceConfig: { temperature: 1.5, topP: -1 },
      },
      "2 validation errors detected: Value '1.5' at 'inferenceConfig.temperature' failed to satisfy constraint: Member must have value less than or equal to 1; Value '-1' at 'inferenceConfig.topP' failed to satisfy constraint: Member must have value greater than or equal to 0",
    ],
    [
      "a system prompt to Titan",
      { modelId: TITAN, system: [{ text: "Be brief." }], messages: [userText("Hi")] },
      "This model doesn't support system messages. Try again without a system message or use a model that supports system messages.",
    ],
    [
      "tools to Titan",
      {
        modelId: TITAN,
        messages: [userText("Weather?")],
        toolConfig: fixture("converse-tool-config-weather"),
      },
      "This model doesn't support tool use.",
    ],
    [
      "toolChoice.any to Llama 3.1",
      {
        modelId: LLAMA_31,
        messages: [userText("Weather?")],
        toolConfig: { ...fixture("converse-tool-config-weather"), toolChoice: { any: {} } },
      },
      "This model doesn't support the toolConfig.toolChoice.any field. Remove toolConfig.toolChoice.any and try again.",
    ],
    [
      "a toolResult without toolConfig",
      {
        modelId: HAIKU,
        messages: [
          userText("Weather?"),
          {
            role: "assistant",
            content: [{ toolUse: { toolUseId: "t1", name: "Weather_Tool", input: {} } }],
          },
          {
            role: "user",
            content: [{ toolResult: { toolUseId: "t1", content: [{ text: "sunny" }] } }],
          },
        ],
      },
      "The toolConfig field must be defined when using toolUse and toolResult content blocks.",
    ],
    [
      "more tool results than tool uses",
      {
        modelId: HAIKU,
        toolConfig: fixture("converse-tool-config-weather"),
        messages: [
          userText("Weather?"),
          { role: "assistant", content: [{ text: "Let me see." }] },
          {
            role: "user",
            content: [{ toolResult: { toolUseId: "t1", content: [{ text: "sunny" }] } }],
          },
        ],
      },
      "The number of toolResult blocks at messages.2.content exceeds the number of toolUse blocks of previous turn.",
    ],
    [
      "a guardrail that does not exist",
      {
        modelId: HAIKU,
        messages: [userText("Hi")],
        guardrailConfig: { guardrailIdentifier: "nope", guardrailVersion: "1" },
      },
      "The guardrail identifier or version provided in the request does not exist.",
    ],
    [
      "an unknown model id",
      { modelId: "anthropic.claude-nonexistent-v1:0", messages: [userText("Hi")] },
      "The provided model identifier is invalid.",
    ],
    [
      "an embedding model",
      { modelId: "amazon.titan-embed-text-v2:0", messages: [userText("Hi")] },
      "This action doesn't support the model that you provided. Try again with a supported text or chat model.",
    ],
  ];
  for (const [what, input, message] of refusals) {
    it(`refuses ${what} with a ValidationException in Bedrock's words`, async () => {
      const error = await failure(input);
      expect(error).toBeInstanceOf(ValidationException);
      expect((error as ValidationException).message).toBe(message);
      expect((error as ValidationException).$metadata.httpStatusCode).toBe(400);
    });
  }

  it("refuses a model the account has no access to with AccessDeniedException", async () => {
    emulator.configure({ deniedModels: [HAIKU] });
    const error = await failure({ modelId: HAIKU, messages: [userText("Hi")] });
    expect(error).toBeInstanceOf(AccessDeniedException);
  });

  it("draws from the same quota as InvokeModel and throttles with ThrottlingException", async () => {
    // One request per minute for this model: an InvokeModel call uses it up for Converse too.
    emulator.configure({ quotas: { [SONNET_3]: { rpm: 1 } } });
    await client().send(
      new InvokeModelCommand({
        modelId: SONNET_3,
        body: JSON.stringify({
          anthropic_version: "bedrock-2023-05-31",
          max_tokens: 10,
          messages: [{ role: "user", content: "Hi" }],
        }),
      }),
    );
    const error = await failure({ modelId: SONNET_3, messages: [userText("Hi")] });
    expect(error).toBeInstanceOf(ThrottlingException);
    expect((error as ThrottlingException).$metadata.httpStatusCode).toBe(429);
    expect(Object.keys(emulator.stats().byOperation.Converse!)).toEqual(["throttled:rpm"]);
  });

  it("answers an injected fault with the matching exception", async () => {
    emulator.configure({ faults: { internalServerError: 1, operations: ["Converse"] } });
    try {
      const error = await failure({ modelId: HAIKU, messages: [userText("Hi")] });
      expect(error).toBeInstanceOf(InternalServerException);
      expect(emulator.stats().byOperation.Converse).toEqual({ "fault:internalServerError": 1 });
    } finally {
      emulator.configure({ faults: { internalServerError: 0 } });
    }
  });
});
