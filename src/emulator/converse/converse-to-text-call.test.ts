import { describe, expect, it } from "vitest";
import { BUILTIN_MODELS } from "../catalog/builtin-models.js";
import { EmulatorError } from "../emulator-error.js";
import { inputTokensOf } from "../operations/model-invocation.js";
import { assertJsonDepth } from "./assert-json-depth.js";
import { converseFeatures } from "./converse-features.js";
import { converseRequestShape } from "./converse-shapes.js";
import { converseToTextCall } from "./converse-to-text-call.js";
import { validateShape } from "./validate-shape.js";

const model = (id: string) => BUILTIN_MODELS.find((m) => m.modelId === id)!;
const HAIKU = model("anthropic.claude-3-haiku-20240307-v1:0");

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(EmulatorError);
    expect((error as EmulatorError).exceptionName).toBe("ValidationException");
    return (error as Error).message;
  }
  throw new Error("expected a ValidationException");
}

describe("converseToTextCall", () => {
  it("maps system, turns, tool uses and results, tools and inference settings", () => {
    const { call, reserveTokens, guardedInput } = converseToTextCall(
      {
        system: [{ text: "Be brief." }, { cachePoint: { type: "default" } }],
        messages: [
          { role: "user", content: [{ text: "Weather in Oslo?" }] },
          {
            role: "assistant",
            content: [{ toolUse: { toolUseId: "t1", name: "weather", input: { city: "Oslo" } } }],
          },
          {
            role: "user",
            content: [
              {
                toolResult: {
                  toolUseId: "t1",
                  content: [{ json: { sky: "clear" } }],
                  status: "error",
                },
              },
            ],
          },
        ],
        inferenceConfig: { maxTokens: 99, temperature: 0.3, stopSequences: ["END"] },
        toolConfig: {
          tools: [{ toolSpec: { name: "weather", inputSchema: { json: { type: "object" } } } }],
        },
      },
      HAIKU,
    );
    expect(call.system).toBe("Be brief.");
    expect(call.turns.map((turn) => turn.role)).toEqual(["user", "assistant", "user"]);
    expect(call.turns[1]!.toolCalls).toEqual([
      { id: "t1", name: "weather", input: { city: "Oslo" } },
    ]);
    expect(call.turns[2]!.toolResults).toEqual([
      { toolUseId: "t1", text: '{"sky":"clear"}', status: "error" },
    ]);
    expect(call.tools).toEqual([{ name: "weather", inputSchema: { type: "object" } }]);
    expect(call.toolChoice).toEqual({ type: "auto" });
    expect(call.toolUseIdPrefix).toBe("tooluse_");
    expect(call.maxTokens).toBe(99);
    expect(reserveTokens).toBe(99);
    expect(call.stopSequences).toEqual(["END"]);
    expect(call.temperature).toBe(0.3);
    expect(guardedInput).toEqual(["Be brief.", "Weather in Oslo?"]);
    expect(call.promptText).toContain('{"city":"Oslo"}');
  });

  it("leaves maxTokens to the model's default but reserves the model's maximum", () => {
    const { call, reserveTokens } = converseToTextCall(
      { messages: [{ role: "user", content: [{ text: "Hi" }] }] },
      HAIKU,
    );
    expect(call.maxTokens).toBe(HAIKU.defaultMaxTokens);
    expect(reserveTokens).toBe(HAIKU.maxOutputTokens);
  });

  it("charges more input tokens for more text, and a flat amount per image", () => {
    const tokens = (text: string, images = 0) =>
      inputTokensOf(
        converseToTextCall(
          {
            messages: [
              {
                role: "user",
                content: [
                  ...Array.from({ length: images }, () => ({
                    image: { format: "png", source: { bytes: "AAAA" } },
                  })),
                  { text },
                ],
              },
            ],
          },
          HAIKU,
        ).call,
      );
    expect(tokens("one two three four")).toBe(4);
    expect(tokens("one two", 2)).toBe(2_002);
  });

  it("refuses a toolChoice.tool that names no offered tool", () => {
    expect(
      refusal(() =>
        converseToTextCall(
          {
            messages: [{ role: "user", content: [{ text: "Hi" }] }],
            toolConfig: {
              tools: [{ toolSpec: { name: "a", inputSchema: { json: {} } } }],
              toolChoice: { tool: { name: "b" } },
            },
          },
          HAIKU,
        ),
      ),
    ).toMatch(/toolChoice\.tool/);
  });

  it("refuses promptVariables on a model id, and a schema that is not JSON", () => {
    expect(
      refusal(() =>
        converseToTextCall(
          {
            messages: [{ role: "user", content: [{ text: "Hi" }] }],
            promptVariables: { topic: { text: "rivers" } },
          },
          HAIKU,
        ),
      ),
    ).toMatch(/promptVariables/);
    expect(
      refusal(() =>
        converseToTextCall(
          {
            messages: [{ role: "user", content: [{ text: "Hi" }] }],
            outputConfig: {
              textFormat: { type: "json_schema", structure: { jsonSchema: { schema: "{nope" } } },
            },
          },
          HAIKU,
        ),
      ),
    ).toMatch(/outputConfig/);
  });
});

describe("validateShape", () => {
  it("words missing members, enums, patterns and list bounds as Coral does, 1-based", () => {
    const message = refusal(() =>
      validateShape(
        {
          messages: [{ role: "user", content: [{ text: "hi" }] }, { role: "robot" }],
          toolConfig: { tools: [] },
          requestMetadata: { key: "bad!value" },
        },
        converseRequestShape,
      ),
    );
    expect(message).toBe(
      "4 validation errors detected: " +
        "Value null at 'messages.2.member.content' failed to satisfy constraint: Member must not be null; " +
        "Value 'robot' at 'messages.2.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant, system]; " +
        "Value '[]' at 'toolConfig.tools' failed to satisfy constraint: Member must have length greater than or equal to 1; " +
        "Value 'bad!value' at 'requestMetadata.key' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9\\s:_@$#=/+,\\-.]{0,256}$",
    );
  });

  it("accepts a valid request silently", () => {
    expect(() =>
      validateShape(
        {
          messages: [{ role: "user", content: [{ text: "hi" }] }],
          inferenceConfig: { maxTokens: 1 },
        },
        converseRequestShape,
      ),
    ).not.toThrow();
  });
});

describe("assertJsonDepth", () => {
  it("refuses bodies nested deeper than the limit without recursing", () => {
    let deep: unknown = {};
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(refusal(() => assertJsonDepth(deep))).toBe(
      "Malformed input request, please reformat your input and try again.",
    );
    expect(() => assertJsonDepth({ a: [{ b: 1 }] })).not.toThrow();
  });
});

describe("converseFeatures", () => {
  it("follows the supported-features table", () => {
    expect(converseFeatures(model("amazon.titan-text-express-v1"))).toMatchObject({
      systemPrompts: false,
      toolUse: false,
    });
    expect(converseFeatures(model("meta.llama3-8b-instruct-v1:0")).toolUse).toBe(false);
    expect(converseFeatures(model("meta.llama3-1-70b-instruct-v1:0"))).toMatchObject({
      toolUse: true,
      streamingToolUse: false,
      forcedToolChoice: false,
    });
    expect(converseFeatures(model("mistral.mistral-7b-instruct-v0:2")).systemPrompts).toBe(false);
    expect(converseFeatures(model("amazon.nova-micro-v1:0"))).toMatchObject({
      vision: false,
      documentChat: false,
      forcedToolChoice: true,
    });
  });
});
