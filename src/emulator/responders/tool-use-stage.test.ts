import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { BUILTIN_MODELS } from "../catalog/builtin-models.js";
import type { TextCall, ToolSpec, Turn } from "../families/invocation-types.js";
import { chooseTool } from "./choose-tool.js";
import { promptJsonShape, schemaFromExample } from "./prompt-json-schema.js";
import { structuredOutputStage } from "./structured-output-stage.js";
import type { ResponderContext } from "./text-responder.js";
import { promptValues, toolUseStage } from "./tool-use-stage.js";

const ajv = new Ajv({ strict: false });
const claude = BUILTIN_MODELS.find((m) => m.modelId === "anthropic.claude-3-haiku-20240307-v1:0")!;
const nova = BUILTIN_MODELS.find((m) => m.modelId === "amazon.nova-lite-v1:0")!;

// https://docs.aws.amazon.com/bedrock/latest/userguide/tool-use-inference-call.html
const TOP_SONG: ToolSpec = {
  name: "top_song",
  description: "Get the most popular song played on a radio station.",
  inputSchema: {
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
const WEATHER: ToolSpec = {
  name: "get_weather",
  inputSchema: {
    type: "object",
    required: ["city", "unit"],
    properties: { city: { type: "string" }, unit: { enum: ["celsius", "fahrenheit"] } },
  },
};

function user(text: string, toolResults: Turn["toolResults"] = []): Turn {
  return { role: "user", text, toolCalls: [], toolResults };
}

function callOf(turns: Turn[], extra: Partial<TextCall> = {}): TextCall {
  return {
    kind: "text",
    system: "",
    turns,
    promptText: turns.map((t) => t.text).join("\n"),
    maxTokens: 500,
    stopSequences: [],
    tools: [TOP_SONG, WEATHER],
    toolChoice: { type: "auto" },
    imageCount: 0,
    ...extra,
  };
}

function contextOf(model = claude): ResponderContext {
  return { model, requestedId: model.modelId, seed: 1, outputTokens: 50, inputTokens: 10 };
}

describe("chooseTool", () => {
  it("matches a prompt to a tool by the words of its name", () => {
    const call = callOf([]);
    expect(chooseTool(call, "What is the most popular song on WZPZ?")?.name).toBe("top_song");
    expect(chooseTool(call, "How is the weather in Paris?")?.name).toBe("get_weather");
    expect(chooseTool(call, "Tell me a story.")).toBeUndefined();
  });

  it("forces a tool with any and tool, and never calls one with none", () => {
    expect(chooseTool(callOf([], { toolChoice: { type: "any" } }), "Tell me a story.")?.name).toBe(
      "top_song",
    );
    expect(
      chooseTool(callOf([], { toolChoice: { type: "tool", name: "get_weather" } }), "songs")?.name,
    ).toBe("get_weather");
    expect(chooseTool(callOf([], { toolChoice: { type: "none" } }), "the weather")).toBeUndefined();
  });
});

describe("toolUseStage", () => {
  it("calls the matching tool with an input that validates against its schema", () => {
    const draft = toolUseStage(
      callOf([user("What is the most popular song on WZPZ?")]),
      contextOf(),
    )!;
    expect(draft.stopReason).toBe("tool_use");
    const [toolCall] = draft.toolCalls!;
    expect(toolCall!.name).toBe("top_song");
    expect(ajv.validate(TOP_SONG.inputSchema as object, toolCall!.input)).toBe(true);
    expect(toolCall!.id).toMatch(/^toolu_bdrk_01[A-Za-z0-9]{22}$/);
    // A model copies the call sign from the question, as Bedrock's docs show it doing.
    expect(toolCall!.input).toEqual({ sign: "WZPZ" });
  });

  it("copies quoted values and codes from the prompt into free-form string fields only", () => {
    expect(promptValues('Weather in "New York" and AB-1234, I think?')).toEqual([
      "New York",
      "AB-1234",
    ]);
    const draft = toolUseStage(callOf([user('Weather in "Oslo"?')]), contextOf())!;
    const input = draft.toolCalls![0]!.input as { city: string; unit: string };
    expect(input.city).toBe("Oslo");
    expect(["celsius", "fahrenheit"]).toContain(input.unit);
  });

  it("spells ids as Converse does when the call says so, and as the family does otherwise", () => {
    const prompt = [user("Weather in Oslo?")];
    expect(
      toolUseStage(callOf(prompt, { toolUseIdPrefix: "tooluse_" }), contextOf())!.toolCalls![0]!.id,
    ).toMatch(/^tooluse_[A-Za-z0-9]{22}$/);
    expect(toolUseStage(callOf(prompt), contextOf(nova))!.toolCalls![0]!.id).toMatch(/^tooluse_/);
  });

  it("answers in text quoting the tool results once they arrive", () => {
    const assistant: Turn = {
      role: "assistant",
      text: "",
      toolCalls: [{ id: "tooluse_1", name: "top_song", input: { sign: "WZPZ" } }],
      toolResults: [],
    };
    const results = [
      { toolUseId: "tooluse_1", text: '{"song":"Elemental Hotel","artist":"8 Storey Hike"}' },
    ];
    const draft = toolUseStage(
      callOf([user("What is the most popular song on WZPZ?"), assistant, user("", results)], {
        toolChoice: { type: "any" },
      }),
      contextOf(),
    )!;
    expect(draft.toolCalls ?? []).toHaveLength(0);
    expect(draft.text).toContain("top_song returned");
    expect(draft.text).toContain("Elemental Hotel");
  });

  it("leaves prompts that match no tool, and prefills, to the next stage", () => {
    expect(toolUseStage(callOf([user("Tell me a story.")]), contextOf())).toBeUndefined();
    const prefill: Turn = { role: "assistant", text: "Sure", toolCalls: [], toolResults: [] };
    expect(toolUseStage(callOf([user("weather?"), prefill]), contextOf())).toBeUndefined();
  });
});

describe("structuredOutputStage", () => {
  it("writes JSON that validates against the response schema", () => {
    const schema = {
      type: "object",
      required: ["name", "founded", "tags"],
      properties: {
        name: { type: "string" },
        founded: { type: "integer", minimum: 1800, maximum: 2024 },
        tags: { type: "array", items: { type: "string" }, minItems: 2 },
      },
      additionalProperties: false,
    };
    const draft = structuredOutputStage(
      callOf([user("Describe a company.")], { responseSchema: schema, tools: [] }),
      contextOf(),
    )!;
    expect(ajv.validate(schema, JSON.parse(draft.text))).toBe(true);
  });

  it("follows a JSON example embedded in a prompt that asks for JSON", () => {
    const prompt =
      'What is the state flower of Ohio? Respond in JSON like {"state": "Texas", "flower": "Bluebonnet", "year": 1901}.';
    const draft = structuredOutputStage(callOf([user(prompt)], { tools: [] }), contextOf())!;
    const value = JSON.parse(draft.text);
    expect(Object.keys(value)).toEqual(["state", "flower", "year"]);
    expect(Number.isInteger(value.year)).toBe(true);
  });

  it("wraps a plain answer when the prompt only asks for JSON, and ignores mere mentions", () => {
    const draft = structuredOutputStage(
      callOf([user("Return valid JSON only. Name a river.")], { tools: [] }),
      contextOf(),
    )!;
    expect(typeof JSON.parse(draft.text).answer).toBe("string");
    expect(
      structuredOutputStage(callOf([user("Explain what JSON is.")], { tools: [] }), contextOf()),
    ).toBeUndefined();
  });
});

describe("promptJsonShape", () => {
  it("recognises an embedded JSON Schema over an example", () => {
    const shape = promptJsonShape(
      'Answer with this JSON schema: {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]}',
    );
    expect(shape).toEqual({
      kind: "schema",
      schema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] },
    });
  });

  it("infers a schema from an example, nested arrays included", () => {
    expect(schemaFromExample({ a: [{ b: 1.5 }] })).toEqual({
      type: "object",
      required: ["a"],
      properties: {
        a: {
          type: "array",
          minItems: 1,
          items: { type: "object", required: ["b"], properties: { b: { type: "number" } } },
        },
      },
    });
  });
});
