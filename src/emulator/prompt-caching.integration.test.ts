import {
  AccessDeniedException,
  type BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  type ConverseCommandInput,
  ConverseStreamCommand,
  CountTokensCommand,
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
  type SystemContentBlock,
  ThrottlingException,
  ValidationException,
} from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../clock/manual-clock.js";
import { jsonBody, runtimeClient } from "../test-support/sdk-clients.js";
import type { EmulatorConfigInput } from "./config/emulator-config.js";
import { streamChunks } from "./families/__fixtures__/fixture-kit.js";
import { type Emulator, startEmulator } from "./start-emulator.js";

const HAIKU_35 = "anthropic.claude-3-5-haiku-20241022-v1:0"; // caches from 2,048 tokens
const HAIKU_45 = "us.anthropic.claude-haiku-4-5-20251001-v1:0"; // from 4,096, 1h TTL
const HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0"; // no caching
const LLAMA = "meta.llama3-8b-instruct-v1:0"; // no caching
const NOVA_PRO = "amazon.nova-pro-v1:0"; // from 1,000, system and messages
const MINUTE = 60_000;

const WORDS = ["granite", "harbor", "lantern", "meadow", "orchard", "quarry", "willow", "copper"];
/** `count` plain words: exactly `count` tokens to the emulator's tokenizer. */
const words = (count: number, seed = 0) =>
  Array.from({ length: count }, (_, index) => WORDS[(index * 3 + seed) % WORDS.length]).join(" ");

const CACHE_POINT = { cachePoint: { type: "default" as const } };

/** A Converse request: a long system prompt closed by a cache point, then one question. */
const converseInput = (
  system: string,
  question: string,
  extra: Partial<ConverseCommandInput> = {},
): Omit<ConverseCommandInput, "modelId"> => ({
  system: [{ text: system }, CACHE_POINT] as SystemContentBlock[],
  messages: [{ role: "user", content: [{ text: question }] }],
  inferenceConfig: { maxTokens: 100 },
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

/** Records every reply's raw headers (the SDK does not model the token-count headers). */
function lastHeaders(client: BedrockRuntimeClient): () => Record<string, string> {
  let last: Record<string, string> = {};
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      last = ((result.response as { headers?: Record<string, string> }).headers ?? {}) as Record<
        string,
        string
      >;
      return result;
    },
    { step: "deserialize", name: "lastHeaders" },
  );
  return () => last;
}

describe("prompt caching through the real AWS SDK", () => {
  const started: Emulator[] = [];
  const clients: BedrockRuntimeClient[] = [];
  async function start(config: EmulatorConfigInput = {}) {
    const clock = new ManualClock();
    const emulator = await startEmulator({ port: 0, clock, config });
    started.push(emulator);
    const client = runtimeClient(emulator.url);
    clients.push(client);
    return { clock, emulator, client };
  }
  let shared: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => {
    shared = await start({
      responder: {
        script: [{ contains: "weather in Lyon today", reply: "Sunny in Lyon, 24 degrees." }],
      },
    });
  });
  afterAll(async () => {
    for (const client of clients) client.destroy();
    await Promise.all(started.map((emulator) => emulator.close()));
  });

  it("Converse: writes the prefix on first use, reads it after; inputTokens is the uncached rest", async () => {
    const { client } = shared;
    const system = words(2_100, 1);
    const input = converseInput(system, "Describe row one.");
    const counted = await client.send(
      new CountTokensCommand({
        modelId: HAIKU_35,
        input: { converse: { system: input.system, messages: input.messages } },
      }),
    );
    const first = await client.send(new ConverseCommand({ modelId: HAIKU_35, ...input }));
    expect(first.usage).toMatchObject({ cacheWriteInputTokens: 2_100, cacheReadInputTokens: 0 });
    // CountTokens is unaffected by caching: it counts the whole input.
    expect(first.usage!.inputTokens! + 2_100).toBe(counted.inputTokens);
    expect(first.usage!.totalTokens).toBe(counted.inputTokens! + first.usage!.outputTokens!);

    const second = await client.send(
      new ConverseCommand({ modelId: HAIKU_35, ...converseInput(system, "Describe row two.") }),
    );
    expect(second.usage).toMatchObject({ cacheReadInputTokens: 2_100, cacheWriteInputTokens: 0 });
    expect(second.usage!.inputTokens).toBe(first.usage!.inputTokens);
  });

  it("expires an entry five minutes after its last use on the emulator's clock", async () => {
    const { client, clock } = await start();
    const input = converseInput(words(2_500, 2), "Go.");
    const usage = async () =>
      (await client.send(new ConverseCommand({ modelId: HAIKU_35, ...input }))).usage!;
    expect((await usage()).cacheWriteInputTokens).toBe(2_500);
    await clock.advance(4 * MINUTE);
    expect((await usage()).cacheReadInputTokens).toBe(2_500);
    await clock.advance(4 * MINUTE); // 8 minutes after the write, but 4 after the last hit
    expect((await usage()).cacheReadInputTokens).toBe(2_500);
    await clock.advance(5 * MINUTE + 1);
    const expired = await usage();
    expect(expired).toMatchObject({ cacheReadInputTokens: 0, cacheWriteInputTokens: 2_500 });
  });

  it("keeps a 1h checkpoint an hour on a model that offers it, and refuses 1h elsewhere", async () => {
    const { client, clock } = await start();
    const system = [{ text: words(4_200, 3) }, { cachePoint: { type: "default", ttl: "1h" } }];
    const send = () =>
      client.send(
        new ConverseCommand({
          modelId: HAIKU_45,
          system: system as SystemContentBlock[],
          messages: [{ role: "user", content: [{ text: "Go." }] }],
        }),
      );
    expect((await send()).usage!.cacheWriteInputTokens).toBe(4_200);
    await clock.advance(50 * MINUTE);
    expect((await send()).usage!.cacheReadInputTokens).toBe(4_200);

    const refused = await failure(
      client.send(
        new ConverseCommand({
          modelId: HAIKU_35,
          system: [{ text: words(2_100) }, { cachePoint: { type: "default", ttl: "1h" } }],
          messages: [{ role: "user", content: [{ text: "Go." }] }],
        }),
      ),
    );
    expect(refused).toBeInstanceOf(ValidationException);
  });

  it("caches nothing below the model's minimum, and reports the cache counts as 0", async () => {
    const { client } = shared;
    const input = converseInput(words(2_000, 4), "Short prefix.");
    for (let round = 0; round < 2; round++) {
      const response = await client.send(new ConverseCommand({ modelId: HAIKU_35, ...input }));
      expect(response.usage).toMatchObject({ cacheReadInputTokens: 0, cacheWriteInputTokens: 0 });
      expect(response.usage!.inputTokens).toBeGreaterThan(2_000);
    }
    // Haiku 4.5 needs 4,096: the 2,100 tokens Claude 3.5 Haiku caches are not enough for it.
    const small = await client.send(
      new ConverseCommand({ modelId: HAIKU_45, ...converseInput(words(2_100, 5), "Go.") }),
    );
    expect(small.usage!.cacheWriteInputTokens).toBe(0);
  });

  it("refuses cache points on models without caching, with Bedrock's AccessDeniedException", async () => {
    const { client } = shared;
    for (const modelId of [HAIKU_3, LLAMA]) {
      const refused = await failure(
        client.send(new ConverseCommand({ modelId, ...converseInput(words(3_000), "Go.") })),
      );
      expect(refused).toBeInstanceOf(AccessDeniedException);
      expect(refused.$metadata.httpStatusCode).toBe(403);
      expect(refused.message).toBe(
        "You invoked an unsupported model, or your request did not allow prompt caching. See the documentation for more information.",
      );
    }
    const refused = await failure(
      client.send(
        new InvokeModelCommand({
          modelId: HAIKU_3,
          body: JSON.stringify({
            anthropic_version: "bedrock-2023-05-31",
            max_tokens: 50,
            system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
            messages: [{ role: "user", content: "Go." }],
          }),
        }),
      ),
    );
    expect(refused).toBeInstanceOf(AccessDeniedException);
    // Without a cache point the model answers, and reports no cache counts.
    const plain = await client.send(
      new ConverseCommand({
        modelId: HAIKU_3,
        messages: [{ role: "user", content: [{ text: "Go." }] }],
      }),
    );
    expect(plain.usage!.cacheReadInputTokens).toBeUndefined();
  });

  it("refuses more than four cache points", async () => {
    const content = [1, 2, 3, 4, 5].flatMap((n) => [{ text: words(2_100, n) }, CACHE_POINT]);
    const refused = await failure(
      shared.client.send(
        new ConverseCommand({
          modelId: HAIKU_35,
          messages: [{ role: "user", content: content as ContentBlock[] }],
        }),
      ),
    );
    expect(refused).toBeInstanceOf(ValidationException);
    expect(refused.message).toBe(
      "The model returned the following errors: A maximum of 4 blocks with cache_control may be provided. Found 5.",
    );
  });

  it("reads the longest cached prefix: tools, then system, then messages", async () => {
    const { client } = shared;
    const tools = {
      tools: [
        {
          toolSpec: {
            name: "lookup",
            description: words(2_200, 6),
            inputSchema: { json: { type: "object" } },
          },
        },
        CACHE_POINT,
      ],
    };
    const input = (question: string) =>
      ({
        toolConfig: tools,
        system: [{ text: words(2_100, 7) }, CACHE_POINT],
        messages: [{ role: "user", content: [{ text: question }] }],
        inferenceConfig: { maxTokens: 50 },
      }) as Omit<ConverseCommandInput, "modelId">;
    const first = await client.send(new ConverseCommand({ modelId: HAIKU_35, ...input("One.") }));
    // The tool definition's tokens (name, description, schema) and the system prompt's.
    const toolTokens = first.usage!.cacheWriteInputTokens! - 2_100;
    expect(toolTokens).toBeGreaterThanOrEqual(2_200);
    const second = await client.send(new ConverseCommand({ modelId: HAIKU_35, ...input("Two.") }));
    expect(second.usage).toMatchObject({
      cacheReadInputTokens: toolTokens + 2_100,
      cacheWriteInputTokens: 0,
    });
  });

  it("splitting a text around a cache point does not change the text the model sees", async () => {
    const { client } = shared;
    const prefix = `${words(2_100, 8)}\nWhat is the weather in `;
    const split = await client.send(
      new ConverseCommand({
        modelId: HAIKU_35,
        messages: [
          {
            role: "user",
            content: [{ text: prefix }, CACHE_POINT, { text: "Lyon today?" }] as ContentBlock[],
          },
        ],
      }),
    );
    expect(split.output!.message!.content![0]!.text).toBe("Sunny in Lyon, 24 degrees.");
    expect(split.usage!.cacheWriteInputTokens).toBeGreaterThan(2_100);
    const whole = await client.send(
      new ConverseCommand({
        modelId: HAIKU_35,
        messages: [{ role: "user", content: [{ text: `${prefix}Lyon today?` }] }],
      }),
    );
    expect(whole.output!.message!.content![0]!.text).toBe("Sunny in Lyon, 24 degrees.");
    expect(whole.usage!.inputTokens).toBe(
      split.usage!.inputTokens! + split.usage!.cacheWriteInputTokens!,
    );
  });

  it("ConverseStream reports the cache counts in its metadata event", async () => {
    const { client } = shared;
    const input = converseInput(words(2_300, 9), "Stream it.");
    const usages = [];
    for (let round = 0; round < 2; round++) {
      const response = await client.send(
        new ConverseStreamCommand({ modelId: HAIKU_35, ...input }),
      );
      for await (const event of response.stream!)
        if (event.metadata) usages.push(event.metadata.usage!);
    }
    expect(usages[0]).toMatchObject({ cacheWriteInputTokens: 2_300, cacheReadInputTokens: 0 });
    expect(usages[1]).toMatchObject({ cacheWriteInputTokens: 0, cacheReadInputTokens: 2_300 });
    expect(usages[1]!.totalTokens).toBe(usages[1]!.inputTokens! + 2_300 + usages[1]!.outputTokens!);
  });

  it("Claude InvokeModel: cache_control blocks, usage fields, headers and stream metrics", async () => {
    const { client } = await start();
    const headers = lastHeaders(client);
    const body = (question: string) =>
      JSON.stringify({
        anthropic_version: "bedrock-2023-05-31",
        max_tokens: 80,
        system: [{ type: "text", text: words(2_400, 10), cache_control: { type: "ephemeral" } }],
        messages: [{ role: "user", content: [{ type: "text", text: question }] }],
      });
    const first = jsonBody(
      (await client.send(new InvokeModelCommand({ modelId: HAIKU_35, body: body("One.") }))).body,
    );
    expect(first.usage).toMatchObject({
      cache_creation_input_tokens: 2_400,
      cache_read_input_tokens: 0,
    });
    expect(headers()).toMatchObject({
      "x-amzn-bedrock-cache-write-input-token-count": "2400",
      "x-amzn-bedrock-cache-read-input-token-count": "0",
      "x-amzn-bedrock-input-token-count": String(first.usage.input_tokens),
    });

    const chunks = await streamChunks(
      await client.send(
        new InvokeModelWithResponseStreamCommand({ modelId: HAIKU_35, body: body("Two.") }),
      ),
    );
    expect(chunks[0].message.usage).toMatchObject({
      cache_read_input_tokens: 2_400,
      cache_creation_input_tokens: 0,
      input_tokens: first.usage.input_tokens,
    });
    expect(chunks.at(-1)["amazon-bedrock-invocationMetrics"]).toMatchObject({
      cacheReadInputTokenCount: 2_400,
      cacheWriteInputTokenCount: 0,
      inputTokenCount: first.usage.input_tokens,
    });
  });

  it("Nova InvokeModel: a cachePoint alone or on a text block, counts under Nova's names", async () => {
    const { client } = await start();
    const body = (question: string) =>
      JSON.stringify({
        schemaVersion: "messages-v1",
        system: [{ text: words(1_200, 11) }, CACHE_POINT],
        messages: [
          {
            role: "user",
            content: [{ text: words(1_100, 12), ...CACHE_POINT }, { text: question }],
          },
        ],
        inferenceConfig: { maxTokens: 60 },
      });
    const first = jsonBody(
      (await client.send(new InvokeModelCommand({ modelId: NOVA_PRO, body: body("One?") }))).body,
    );
    expect(first.usage).toMatchObject({
      cacheWriteInputTokenCount: 2_300,
      cacheReadInputTokenCount: 0,
    });
    expect(first.usage.totalTokens).toBe(
      first.usage.inputTokens + 2_300 + first.usage.outputTokens,
    );
    const second = jsonBody(
      (await client.send(new InvokeModelCommand({ modelId: NOVA_PRO, body: body("Two?") }))).body,
    );
    expect(second.usage).toMatchObject({
      cacheReadInputTokenCount: 2_300,
      cacheWriteInputTokenCount: 0,
    });
  });

  it("cache reads do not count against TPM: they are given back when the call ends", async () => {
    const { client } = await start({ quotas: { [HAIKU_35]: { tpm: 5_000 } } });
    const send = (system: string) =>
      client.send(new ConverseCommand({ modelId: HAIKU_35, ...converseInput(system, "Go.") }));
    // Each call reserves about 2,200 tokens; with the clock stopped nothing refills. The shared
    // prefix is charged once (the write); its reads come back, so a third call still fits.
    const shared = words(2_100, 13);
    for (let round = 0; round < 3; round++) await send(shared);
    // Different prefixes are written every time, and the third no longer fits.
    const other = await start({ quotas: { [HAIKU_35]: { tpm: 5_000 } } });
    const sendOther = (seed: number) =>
      other.client.send(
        new ConverseCommand({ modelId: HAIKU_35, ...converseInput(words(2_100, seed), "Go.") }),
      );
    await sendOther(14);
    await sendOther(15);
    expect(await failure(sendOther(16))).toBeInstanceOf(ThrottlingException);
  });

  it("reset() forgets the cache", async () => {
    const { client, emulator } = await start();
    const input = converseInput(words(2_100, 17), "Go.");
    await client.send(new ConverseCommand({ modelId: HAIKU_35, ...input }));
    emulator.reset();
    const after = await client.send(new ConverseCommand({ modelId: HAIKU_35, ...input }));
    expect(after.usage!.cacheWriteInputTokens).toBe(2_100);
  });
});
