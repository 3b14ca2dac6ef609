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
import { parseMistralPrompt } from "./mistral.js";

const SMALL = "mistral.mistral-7b-instruct-v0:2";
const MIXTRAL = "mistral.mixtral-8x7b-instruct-v0:1";
const LARGE = "mistral.mistral-large-2402-v1:0";
const LARGE_2407 = "mistral.mistral-large-2407-v1:0";

const SONG_TOOL = {
  type: "function",
  function: {
    name: "top_song",
    description: "Get the most popular song played on a radio station.",
    parameters: {
      type: "object",
      properties: { sign: { type: "string", description: "The call sign, such as WZPZ." } },
      required: ["sign"],
    },
  },
};

describe("Mistral through the real AWS SDK", () => {
  let emulator: Emulator;
  let client: BedrockRuntimeClient;
  let usage: ReturnType<typeof recordUsageHeaders>;
  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      config: {
        responder: {
          script: [
            { pattern: "^Tell me a joke about (\\w+)\\.$", reply: "Why did the $1 blush?" },
            // The tool's result reaches the responder: the answer after it quotes it.
            { contains: '"song":"Elemental Hotel"', reply: "WKRP plays Elemental Hotel most." },
            {
              contains: "song on WKRP",
              toolCalls: [{ name: "top_song", input: { sign: "WKRP" } }],
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

  describe("text completion", () => {
    it("answers the documented request with the documented response shape and usage headers", async () => {
      for (const modelId of [LARGE, SMALL]) {
        const response = await client.send(
          new InvokeModelCommand({ modelId, body: fixtureBody("mistral-completion-request") }),
        );
        const body = jsonBody(response.body);
        expect(shapeMismatches(body, loadFixture("mistral-completion-response"))).toEqual([]);
        expect(body.outputs[0].stop_reason).toBe("stop");
        expect(usage().output).toBeGreaterThan(0);
        expect(usage().input).toBe(14);
      }
    });

    it("streams outputs chunks that add up to the non-streamed text, over HTTP/1.1 too", async () => {
      const body = JSON.stringify({ prompt: "<s>[INST] Write 40 words about slate. [/INST]" });
      const whole = jsonBody(
        (await client.send(new InvokeModelCommand({ modelId: SMALL, body }))).body,
      );
      const http1 = runtimeClient(emulator.url, { http1: true });
      const chunks = await streamChunks(
        await http1.send(new InvokeModelWithResponseStreamCommand({ modelId: SMALL, body })),
      );
      http1.destroy();
      const documented = loadFixture("mistral-completion-response");
      const chunkShape = {
        ...documented,
        body: { outputs: [{ text: "string", stop_reason: "string|null" }] },
      };
      const last = chunks.at(-1);
      const { "amazon-bedrock-invocationMetrics": metrics, ...lastFields } = last;
      for (const chunk of [...chunks.slice(0, -1), lastFields])
        expect(shapeMismatches(chunk, chunkShape)).toEqual([]);
      expect(chunks.map((chunk) => chunk.outputs[0].text).join("")).toBe(whole.outputs[0].text);
      expect(last.outputs[0].stop_reason).toBe("stop");
      expect(chunks.slice(0, -1).every((chunk) => chunk.outputs[0].stop_reason === null)).toBe(
        true,
      );
      expect(metrics.outputTokenCount).toBeGreaterThan(20);
    });

    it("stops at max_tokens with length and at a stop sequence with stop", async () => {
      const long = jsonBody(
        (
          await client.send(
            new InvokeModelCommand({
              modelId: SMALL,
              body: JSON.stringify({
                prompt: "[INST] Write 80 words about clay. [/INST]",
                max_tokens: 6,
              }),
            }),
          )
        ).body,
      );
      expect(long.outputs[0].stop_reason).toBe("length");
      const full = jsonBody(
        (
          await client.send(
            new InvokeModelCommand({
              modelId: SMALL,
              body: JSON.stringify({ prompt: "[INST] Write 80 words about clay. [/INST]" }),
            }),
          )
        ).body,
      );
      const stop = full.outputs[0].text.split(" ")[4];
      const stopped = jsonBody(
        (
          await client.send(
            new InvokeModelCommand({
              modelId: SMALL,
              body: JSON.stringify({
                prompt: "[INST] Write 80 words about clay. [/INST]",
                stop: [stop],
              }),
            }),
          )
        ).body,
      );
      expect(stopped.outputs[0].stop_reason).toBe("stop");
      expect(stopped.outputs[0].text).not.toContain(stop);
    });

    it("shows responders the user's words, not the [INST] markers", async () => {
      const body = jsonBody(
        (
          await client.send(
            new InvokeModelCommand({
              modelId: SMALL,
              body: JSON.stringify({ prompt: "<s>[INST] Tell me a joke about slate. [/INST]" }),
            }),
          )
        ).body,
      );
      expect(body.outputs[0].text).toBe("Why did the slate blush?");
    });

    it("refuses bad bodies in Bedrock's words", async () => {
      expect(await refusal(client, SMALL, { prompt: "hi", top_k: 0, maxTokens: 5 })).toEqual({
        name: "ValidationException",
        message: malformed(
          "#: extraneous key [maxTokens] is not permitted",
          "#/top_k: 0 is not greater or equal to 1",
        ),
        status: 400,
      });
      expect((await refusal(client, MIXTRAL, { prompt: "hi", max_tokens: 4097 })).message).toBe(
        malformed("#/max_tokens: 4097 is not less or equal to 4096"),
      );
      expect((await refusal(client, SMALL, { prompt: ["hi"] })).message).toBe(
        malformed("#/prompt: expected type: String, found: JSONArray"),
      );
      // Only Mistral Large takes the chat form.
      expect((await refusal(client, SMALL, loadFixture("mistral-chat-request").body)).message).toBe(
        malformed(
          "#: required key [prompt] not found",
          "#: extraneous key [messages] is not permitted",
        ),
      );
    });
  });

  describe("chat completion (Mistral Large)", () => {
    it("answers the documented messages with the documented choices shape", async () => {
      for (const modelId of [LARGE, LARGE_2407]) {
        const response = await client.send(
          new InvokeModelCommand({ modelId, body: fixtureBody("mistral-chat-request") }),
        );
        const body = jsonBody(response.body);
        expect(shapeMismatches(body, loadFixture("mistral-chat-response"))).toEqual([]);
        expect(body.choices[0]).toMatchObject({
          index: 0,
          message: { role: "assistant", tool_calls: null },
          stop_reason: "stop",
        });
      }
    });

    it("asks for a tool with tool_calls, takes the result back, and streams the same text", async () => {
      const ask = {
        messages: [{ role: "user", content: "What is the most popular song on WKRP?" }],
        tools: [SONG_TOOL],
        tool_choice: "auto",
      };
      const first = jsonBody(
        (await client.send(new InvokeModelCommand({ modelId: LARGE, body: JSON.stringify(ask) })))
          .body,
      );
      expect(first.choices[0].stop_reason).toBe("tool_calls");
      const [call] = first.choices[0].message.tool_calls;
      expect(call.function).toEqual({
        name: "top_song",
        arguments: JSON.stringify({ sign: "WKRP" }),
      });
      const askChunks = await streamChunks(
        await client.send(
          new InvokeModelWithResponseStreamCommand({ modelId: LARGE, body: JSON.stringify(ask) }),
        ),
      );
      expect(askChunks.flatMap((chunk) => chunk.choices[0].message.tool_calls ?? [])).toEqual([
        call,
      ]);
      expect(askChunks.at(-1).choices[0].stop_reason).toBe("tool_calls");

      const answer = {
        messages: [
          { role: "system", content: "You are a radio expert." },
          ...ask.messages,
          {
            role: "assistant",
            content: "",
            tool_calls: [{ id: call.id, function: call.function }],
          },
          { role: "tool", tool_call_id: call.id, content: '{"song":"Elemental Hotel"}' },
        ],
        tools: [SONG_TOOL],
      };
      const body = JSON.stringify(answer);
      const second = jsonBody(
        (await client.send(new InvokeModelCommand({ modelId: LARGE, body }))).body,
      );
      const chunks = await streamChunks(
        await client.send(new InvokeModelWithResponseStreamCommand({ modelId: LARGE, body })),
      );
      expect(second.choices[0]).toMatchObject({
        message: { content: "WKRP plays Elemental Hotel most.", tool_calls: null },
        stop_reason: "stop",
      });
      expect(chunks.map((chunk) => chunk.choices[0].message.content ?? "").join("")).toBe(
        second.choices[0].message.content,
      );
      const last = chunks.at(-1);
      expect(last.choices[0].stop_reason).toBe(second.choices[0].stop_reason);
      expect(last["amazon-bedrock-invocationMetrics"].outputTokenCount).toBeGreaterThan(0);
      expect(chunks.slice(0, -1).every((chunk) => chunk.choices[0].stop_reason === null)).toBe(
        true,
      );
    });

    it("refuses bad chat bodies in Bedrock's words", async () => {
      expect(
        (
          await refusal(client, LARGE, {
            messages: [{ role: "robot", content: "hi" }],
            tool_choice: "required",
          })
        ).message,
      ).toBe(
        malformed(
          "#/messages/0/role: robot is not a valid enum value",
          "#/tool_choice: required is not a valid enum value",
        ),
      );
    });
  });
});

describe("parseMistralPrompt", () => {
  it("reads the documented multi-turn prompt into turns", () => {
    const prompt =
      "<s>[INST] What is your favourite condiment? [/INST] Well, I'm quite partial to a good squeeze of fresh lemon juice.</s> [INST] Do you have mayonnaise recipes? [/INST]";
    expect(parseMistralPrompt(prompt).turns).toEqual([
      { role: "user", text: "What is your favourite condiment?" },
      {
        role: "assistant",
        text: "Well, I'm quite partial to a good squeeze of fresh lemon juice.",
      },
      { role: "user", text: "Do you have mayonnaise recipes?" },
    ]);
  });
});
