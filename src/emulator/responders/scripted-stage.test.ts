import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConverseCommand, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonBody, runtimeClient } from "../../test-support/sdk-clients.js";
import { BUILTIN_MODELS } from "../catalog/builtin-models.js";
import type { ScriptRule } from "../config/emulator-config.js";
import type { TextCall } from "../families/invocation-types.js";
import { type Emulator, startEmulator } from "../start-emulator.js";
import { loadScriptRules } from "./load-script-rules.js";
import { scriptedStage } from "./scripted-stage.js";
import type { ResponderContext } from "./text-responder.js";

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const model = BUILTIN_MODELS.find((entry) => entry.modelId === HAIKU)!;
const context: ResponderContext = {
  model,
  requestedId: `us.${HAIKU}`,
  seed: 1,
  outputTokens: 20,
  inputTokens: 5,
};

function call(promptText: string): TextCall {
  return {
    kind: "text",
    system: "",
    turns: [{ role: "user", text: promptText, toolCalls: [], toolResults: [] }],
    promptText,
    maxTokens: 100,
    stopSequences: [],
    tools: [],
    toolChoice: { type: "none" },
    imageCount: 0,
  };
}

const stageOf = (rules: ScriptRule[]) => scriptedStage(loadScriptRules(rules));
const temporary = mkdtempSync(join(tmpdir(), "quarry-script-"));

describe("scripted replies", () => {
  it("answers with the first matching rule, in order", () => {
    const stage = stageOf([
      { contains: "capital of France", reply: "Paris." },
      { contains: "capital", reply: "A capital city." },
    ]);
    expect(stage(call("What is the capital of France?"), context)?.text).toBe("Paris.");
    expect(stage(call("What is the capital of Peru?"), context)?.text).toBe("A capital city.");
    expect(stage(call("Tell me a joke."), context)).toBeUndefined();
  });

  it("substitutes $1 and named groups from a pattern, in text and inside JSON values", () => {
    const stage = stageOf([
      { pattern: "flower of (?<state>[A-Z][a-z]+)", json: { state: "$<state>", note: "[$1]" } },
      { pattern: "add (\\d+) and (\\d+)", reply: "$1 plus $2, not $3" },
    ]);
    expect(JSON.parse(stage(call("The state flower of Texas?"), context)!.text)).toEqual({
      state: "Texas",
      note: "[Texas]",
    });
    expect(stage(call("Please add 2 and 40"), context)?.text).toBe("2 plus 40, not ");
  });

  it("restricts a rule to a model by the id as sent or the base id", () => {
    const other = stageOf([{ contains: "hi", model: "amazon.nova-pro-v1:0", reply: "nova" }]);
    expect(other(call("hi"), context)).toBeUndefined();
    const byProfile = stageOf([{ contains: "hi", model: `us.${HAIKU}`, reply: "profile" }]);
    expect(byProfile(call("hi"), context)?.text).toBe("profile");
    const byBase = stageOf([{ contains: "hi", model: HAIKU, reply: "base" }]);
    expect(byBase(call("hi"), context)?.text).toBe("base");
  });

  it("asks for tools with stable ids and a stop reason", () => {
    const stage = stageOf([
      {
        pattern: "weather in (\\w+)",
        toolCalls: [{ name: "get_weather", input: { city: "$1", units: ["C"] } }],
      },
      { contains: "stop", reply: "cut", stopReason: "max_tokens" },
    ]);
    const draft = stage(call("What is the weather in Oslo?"), context)!;
    expect(draft.text).toBe("");
    expect(draft.toolCalls).toHaveLength(1);
    expect(draft.toolCalls![0]!.name).toBe("get_weather");
    expect(draft.toolCalls![0]!.input).toEqual({ city: "Oslo", units: ["C"] });
    expect(draft.toolCalls![0]!.id).toMatch(/^tooluse_[A-Za-z0-9]{22}$/);
    expect(stage(call("What is the weather in Oslo?"), context)!.toolCalls![0]!.id).toBe(
      draft.toolCalls![0]!.id,
    );
    expect(stage(call("please stop"), context)?.stopReason).toBe("max_tokens");
  });

  it("reads a JSONL file and names the file and line of a bad rule", () => {
    const good = join(temporary, "good.jsonl");
    writeFileSync(
      good,
      '{"contains":"ping","reply":"pong"}\n\n{"pattern":"^echo (.*)$","reply":"$1"}\n',
    );
    const stage = scriptedStage(loadScriptRules(good));
    expect(stage(call("ping?"), context)?.text).toBe("pong");
    expect(stage(call("echo hello"), context)?.text).toBe("hello");

    const badJson = join(temporary, "bad-json.jsonl");
    writeFileSync(badJson, '{"contains":"a","reply":"b"}\n{"contains": oops}\n');
    expect(() => loadScriptRules(badJson)).toThrow(`${badJson} line 2: not valid JSON`);

    const badField = join(temporary, "bad-field.jsonl");
    writeFileSync(badField, '\n\n{"contains":"a","replied":"b"}\n');
    expect(() => loadScriptRules(badField)).toThrow(`${badField} line 3:`);

    const badPattern = join(temporary, "bad-pattern.jsonl");
    writeFileSync(badPattern, '{"pattern":"(unclosed","reply":"x"}\n');
    expect(() => loadScriptRules(badPattern)).toThrow(
      `${badPattern} line 1: "pattern" is not a valid regular expression`,
    );
    expect(() => loadScriptRules(join(temporary, "missing.jsonl"))).toThrow(
      "Cannot read the scripted replies file",
    );
  });

  it("refuses inline rules without a reply or with an unknown stop reason, naming the rule", () => {
    expect(() => loadScriptRules([{ contains: "a", reply: "b" }, { contains: "x" }])).toThrow(
      'responder.script rule 2: expected "reply", "json" or "toolCalls"',
    );
    expect(() => loadScriptRules([{ contains: "a", reply: "b", stopReason: "done" }])).toThrow(
      '"stopReason" expects one of end_turn, tool_use',
    );
  });
});

describe("scripted replies through the real AWS SDK", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({
      port: 0,
      config: { responder: { script: [{ pattern: "Capital of (\\w+)\\?", reply: "It is $1." }] } },
    });
  });
  afterAll(() => emulator.close());

  const invoke = async (text: string) => {
    const client = runtimeClient(emulator.url);
    try {
      const response = await client.send(
        new InvokeModelCommand({
          modelId: HAIKU,
          body: JSON.stringify({
            anthropic_version: "bedrock-2023-05-31",
            max_tokens: 50,
            messages: [{ role: "user", content: text }],
          }),
        }),
      );
      return jsonBody(response.body);
    } finally {
      client.destroy();
    }
  };

  it("replies from the script and falls through to synthetic text otherwise", async () => {
    const scripted = await invoke("Capital of Chile?");
    expect(scripted.content).toEqual([{ type: "text", text: "It is Chile." }]);
    expect(scripted.stop_reason).toBe("end_turn");
    const synthetic = await invoke("Say something in 10 words.");
    expect(synthetic.content[0].text).not.toContain("It is");
  });

  it("reloads the script on configure() and refuses a bad script whole", async () => {
    const file = join(temporary, "reload.jsonl");
    writeFileSync(file, '{"contains":"Capital of","reply":"From the file."}\n');
    emulator.configure({ responder: { script: file } });
    expect((await invoke("Capital of Peru?")).content[0].text).toBe("From the file.");

    writeFileSync(file, '{"contains":"Capital of","reply":"Edited."}\n');
    emulator.configure({ seed: emulator.config.seed });
    expect((await invoke("Capital of Peru?")).content[0].text).toBe("Edited.");

    const broken = join(temporary, "broken.jsonl");
    writeFileSync(broken, "not json\n");
    expect(() => emulator.configure({ responder: { script: broken }, seed: 99 })).toThrow(
      `${broken} line 1`,
    );
    expect(emulator.config.seed).not.toBe(99);
    expect(emulator.config.responder.script).toBe(file);
    expect((await invoke("Capital of Peru?")).content[0].text).toBe("Edited.");
  });

  it("scripts Converse too, tool calls included", async () => {
    emulator.configure({
      responder: {
        script: [
          {
            pattern: "forecast for (\\w+)",
            toolCalls: [{ name: "forecast", input: { city: "$1" } }],
          },
          { contains: "Hello", json: { greeting: "hi" } },
        ],
      },
    });
    const client = runtimeClient(emulator.url);
    try {
      const tools = {
        tools: [
          {
            toolSpec: {
              name: "forecast",
              inputSchema: { json: { type: "object", properties: { city: { type: "string" } } } },
            },
          },
        ],
      };
      const asked = await client.send(
        new ConverseCommand({
          modelId: HAIKU,
          messages: [{ role: "user", content: [{ text: "The forecast for Lima?" }] }],
          toolConfig: tools,
        }),
      );
      expect(asked.stopReason).toBe("tool_use");
      const toolUse = asked.output!.message!.content!.find((block) => block.toolUse)!.toolUse!;
      expect(toolUse.name).toBe("forecast");
      expect(toolUse.input).toEqual({ city: "Lima" });
      const greeted = await client.send(
        new ConverseCommand({
          modelId: HAIKU,
          messages: [{ role: "user", content: [{ text: "Hello!" }] }],
        }),
      );
      expect(JSON.parse(greeted.output!.message!.content![0]!.text!)).toEqual({ greeting: "hi" });
    } finally {
      client.destroy();
    }
  });

  it("a tool-call rule reaches the client as a tool_use block", async () => {
    emulator.configure({
      responder: {
        script: [{ contains: "Look up", toolCalls: [{ name: "lookup", input: { q: "x" } }] }],
      },
    });
    const body = await invoke("Look up x");
    expect(body.stop_reason).toBe("tool_use");
    const toolUse = body.content.find((block: any) => block.type === "tool_use");
    expect(toolUse).toMatchObject({ name: "lookup", input: { q: "x" } });
  });
});
