import {
  InvokeModelCommand,
  InvokeModelWithResponseStreamCommand,
} from "@aws-sdk/client-bedrock-runtime";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonBody, runtimeClient } from "../../test-support/sdk-clients.js";
import { type Emulator, startEmulator } from "../start-emulator.js";

// Claude tool use on InvokeModel, the Messages API way:
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-tool-use.html
// The tool is the AWS docs' top_song example
// (https://docs.aws.amazon.com/bedrock/latest/userguide/tool-use-inference-call.html) in
// Anthropic's `input_schema` spelling.

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const TOP_SONG = {
  name: "top_song",
  description: "Get the most popular song played on a radio station.",
  input_schema: {
    type: "object",
    properties: {
      sign: {
        type: "string",
        description:
          "The call sign for the radio station for which you want the most popular song. Example calls signs are WZPZ and WKRP.",
      },
    },
    required: ["sign"],
  },
};
const QUESTION = { role: "user", content: "What is the most popular song on WZPZ?" };

const body = (messages: unknown[], extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    anthropic_version: "bedrock-2023-05-31",
    max_tokens: 300,
    tools: [TOP_SONG],
    messages,
    ...extra,
  });

describe("Claude tool use on InvokeModel through the real AWS SDK", () => {
  let emulator: Emulator;
  const client = () => runtimeClient(emulator.url);
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0 });
  });
  afterAll(() => emulator.close());

  it("asks for the tool, takes its result and answers with it", async () => {
    const first = jsonBody(
      (await client().send(new InvokeModelCommand({ modelId: HAIKU, body: body([QUESTION]) })))
        .body,
    );
    expect(first.stop_reason).toBe("tool_use");
    const toolUse = first.content.find((block: any) => block.type === "tool_use");
    expect(toolUse.name).toBe("top_song");
    expect(toolUse.id).toMatch(/^toolu_bdrk_01[A-Za-z0-9]{22}$/);
    expect(new Ajv({ strict: false }).validate(TOP_SONG.input_schema, toolUse.input)).toBe(true);

    const second = jsonBody(
      (
        await client().send(
          new InvokeModelCommand({
            modelId: HAIKU,
            body: body([
              QUESTION,
              { role: "assistant", content: first.content },
              {
                role: "user",
                content: [
                  {
                    type: "tool_result",
                    tool_use_id: toolUse.id,
                    content: [{ type: "text", text: "Elemental Hotel by 8 Storey Hike" }],
                  },
                ],
              },
            ]),
          }),
        )
      ).body,
    );
    expect(second.stop_reason).toBe("end_turn");
    expect(second.content).toHaveLength(1);
    expect(second.content[0].text).toContain("top_song returned Elemental Hotel by 8 Storey Hike");
  });

  it("streams the forced tool call as input_json_delta fragments", async () => {
    const response = await client().send(
      new InvokeModelWithResponseStreamCommand({
        modelId: HAIKU,
        body: body([{ role: "user", content: "Tell me a story." }], {
          tool_choice: { type: "tool", name: "top_song" },
        }),
      }),
    );
    const chunks: any[] = [];
    for await (const event of response.body!)
      if (event.chunk?.bytes) chunks.push(JSON.parse(Buffer.from(event.chunk.bytes).toString()));
    const start = chunks.find((c) => c.type === "content_block_start");
    expect(start.content_block.type).toBe("tool_use");
    const json = chunks
      .filter((c) => c.delta?.type === "input_json_delta")
      .map((c) => c.delta.partial_json)
      .join("");
    expect(new Ajv({ strict: false }).validate(TOP_SONG.input_schema, JSON.parse(json))).toBe(true);
    expect(chunks.find((c) => c.type === "message_delta").delta.stop_reason).toBe("tool_use");
  });

  it("writes JSON in the shape of the example a prompt gives", async () => {
    const prompt =
      'Name the state flower of Ohio. Respond in JSON only, like {"state": "Texas", "flower": "Bluebonnet"}.';
    const response = jsonBody(
      (
        await client().send(
          new InvokeModelCommand({
            modelId: HAIKU,
            body: JSON.stringify({
              anthropic_version: "bedrock-2023-05-31",
              max_tokens: 100,
              messages: [{ role: "user", content: prompt }],
            }),
          }),
        )
      ).body,
    );
    const value = JSON.parse(response.content[0].text);
    expect(Object.keys(value)).toEqual(["state", "flower"]);
    expect(typeof value.flower).toBe("string");
  });
});
