import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { extractJson } from "./extract-json.js";
import { loadJsonSchema } from "./load-json-schema.js";
import { repairJson } from "./repair-json.js";
import {
  buildRepairPrompt,
  type StructuredFailure,
  StructuredOutput,
} from "./structured-output.js";

const FLOWER_SCHEMA = {
  type: "object",
  properties: {
    state: { type: "string" },
    flower: { type: "string" },
    color: { type: "string" },
  },
  required: ["state", "flower", "color"],
  additionalProperties: false,
};

const GEORGIA = { state: "Georgia", flower: "Cherokee Rose", color: "White, Gold" };

describe("extractJson", () => {
  it("takes a reply that is JSON as it is", () => {
    expect(extractJson('  {"a": 1}\n')).toMatchObject({
      text: '{"a": 1}',
      source: "whole",
      complete: true,
    });
  });

  it("finds JSON in a ```json fence, or an unlabelled one", () => {
    const reply = 'Sure! Here it is:\n```json\n{"a": {"b": [1, 2]}}\n```\nAnything else?';
    expect(extractJson(reply)).toMatchObject({ text: '{"a": {"b": [1, 2]}}', source: "fence" });
    expect(extractJson("```\n[1, 2]\n```")).toMatchObject({ text: "[1, 2]", source: "fence" });
  });

  it("skips fences in other languages", () => {
    const reply = '```python\nx = {"not": "this"}\n```\nThe answer: {"a": 1}';
    expect(extractJson(reply)?.text).toBe('{"a": 1}');
  });

  it("finds the first balanced value in prose, counting no brackets inside strings", () => {
    const reply = 'The result is {"note": "a } and a { inside", "list": ["]"]} as requested.';
    expect(extractJson(reply)).toMatchObject({
      text: '{"note": "a } and a { inside", "list": ["]"]}',
      source: "embedded",
      complete: true,
    });
  });

  it("passes over bracketed prose that is not JSON when a later value parses", () => {
    const reply = 'Answer [see below]: {"a": 1}';
    expect(extractJson(reply)?.text).toBe('{"a": 1}');
    expect(extractJson("Note {this} then [1,2]", { root: "array" })?.text).toBe("[1,2]");
  });

  it("offers a balanced but invalid value for repair, and marks a cut-off one", () => {
    expect(extractJson("Here: {'a': 1,}")).toMatchObject({ text: "{'a': 1,}", complete: true });
    expect(extractJson('Here: {"a": "Cherokee Ro')).toMatchObject({
      complete: false,
      cut: "string",
    });
    expect(extractJson('{"a": 12')).toMatchObject({ complete: false, cut: "literal" });
    expect(extractJson('{"a": 12, ')).toMatchObject({ complete: false, cut: "between" });
    expect(extractJson("no json here")).toBeUndefined();
  });
});

describe("repairJson", () => {
  it.each([
    ['{"a": 1, "b": [1, 2,],}', { a: 1, b: [1, 2] }],
    ["{'a': 'single'}", { a: "single" }],
    ["{a: 1, b: true}", { a: 1, b: true }],
    ['{"a": None, "b": True} // comment', { a: null, b: true }],
  ])("repairs %s", (text, value) => {
    expect(repairJson({ text, start: 0, source: "whole", complete: true })).toEqual({
      ok: true,
      value,
      repaired: true,
    });
  });

  it("closes a value cut between tokens", () => {
    expect(
      repairJson({
        text: '{"a": 1, "b": [2, 3',
        start: 0,
        source: "whole",
        complete: false,
        cut: "literal",
      }).ok,
    ).toBe(false);
    expect(
      repairJson({
        text: '{"a": 1, "b": [2, 3], ',
        start: 0,
        source: "whole",
        complete: false,
        cut: "between",
      }),
    ).toEqual({
      ok: true,
      value: { a: 1, b: [2, 3] },
      repaired: true,
    });
  });

  it("refuses to close a string that was cut off", () => {
    const outcome = repairJson({
      text: '{"flower": "Cherokee Ro',
      start: 0,
      source: "whole",
      complete: false,
      cut: "string",
    });
    expect(outcome).toMatchObject({ ok: false, kind: "truncated" });
  });
});

describe("StructuredOutput with a JSON Schema", () => {
  const output = StructuredOutput.from(FLOWER_SCHEMA);

  it("accepts the seed's reply, fenced or in prose", () => {
    expect(output.parse(JSON.stringify(GEORGIA))).toEqual({
      ok: true,
      value: GEORGIA,
      repaired: false,
      source: "whole",
    });
    expect(
      output.parse(`Of course.\n\`\`\`json\n${JSON.stringify(GEORGIA, null, 2)}\n\`\`\``),
    ).toMatchObject({
      ok: true,
      value: GEORGIA,
      source: "fence",
    });
  });

  it("reports every violation with a pointer, worded for the model", () => {
    const result = output.parse(
      '{"state": "Georgia", "flower": 7, "petals": 5}',
    ) as StructuredFailure;
    expect(result.ok).toBe(false);
    expect(result.kind).toBe("schema");
    expect(result.problems).toEqual([
      "/color: is required",
      "/petals: is not allowed by the schema",
      "/flower: must be string",
    ]);
    expect(result.message).toBe(
      "The reply must be JSON matching the schema; problems: /color: is required; /petals: is not allowed by the schema; /flower: must be string.",
    );
    expect(result.raw).toBe('{"state": "Georgia", "flower": 7, "petals": 5}');
  });

  it("does not let a truncated reply pass as a shorter valid value", () => {
    // Cut between tokens: the closing brackets are added, and the missing field fails validation.
    const between = output.parse('{"state": "Georgia", "flower": "Cherokee Rose", ', {
      stopReason: "max_tokens",
    });
    expect(between).toMatchObject({
      ok: false,
      kind: "schema",
      problems: ["/color: is required"],
      hitTokenLimit: true,
    });
    // Cut inside a string: refused before validation could be fooled.
    const inside = output.parse('{"state": "Georgia", "flower": "Cherokee Rose", "color": "Whi');
    expect(inside).toMatchObject({ ok: false, kind: "truncated" });
  });

  it("fails a reply with no JSON", () => {
    expect(output.parse("I do not know.")).toMatchObject({ ok: false, kind: "no-json" });
  });

  it("checks formats and honours the draft the schema names", () => {
    const dated = StructuredOutput.from({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: {
        when: { type: "string", format: "date" },
        tags: { type: "array", prefixItems: [{ type: "number" }] },
      },
    });
    expect(dated.parse('{"when": "2024-02-30x"}')).toMatchObject({
      ok: false,
      problems: ['/when: must match format "date"'],
    });
    expect(dated.parse('{"when": "2024-02-28", "tags": ["x"]}')).toMatchObject({
      ok: false,
      problems: ["/tags/0: must be number"],
    });
    expect(dated.parse('{"when": "2024-02-28", "tags": [1]}').ok).toBe(true);
  });

  it("builds a re-ask prompt that carries the problems and the schema", () => {
    const failed = output.parse('{"state": "Georgia"}') as StructuredFailure;
    const prompt = buildRepairPrompt(failed, { jsonSchema: output.jsonSchema });
    expect(prompt).toContain("/flower: is required");
    expect(prompt).toContain('"required":["state","flower","color"]');
    expect(prompt).toContain("no code fence");
    const truncated = output.parse('{"state": "Geo', { stopReason: "length" }) as StructuredFailure;
    expect(buildRepairPrompt(truncated, { includeSchema: false })).toContain(
      "cut off at the output token limit",
    );
  });

  it("rejects a schema Ajv cannot compile", () => {
    expect(() => StructuredOutput.from({ type: "strnig" })).toThrow(/not a valid JSON Schema/);
    expect(() => StructuredOutput.from([] as never)).toThrow(
      expect.objectContaining({ code: "input.schema-invalid", field: "schema" }),
    );
  });
});

describe("StructuredOutput with a zod schema", () => {
  const output = StructuredOutput.from(
    z.object({ state: z.string(), flower: z.string(), petals: z.number().int().optional() }),
  );

  it("validates and types the value, and exposes the JSON Schema", () => {
    const result = output.parse('Here: {"state": "Ohio", "flower": "Carnation"}');
    expect(result).toMatchObject({ ok: true, value: { state: "Ohio", flower: "Carnation" } });
    expect(output.jsonSchema).toMatchObject({ type: "object", required: ["state", "flower"] });
    expect(output.root).toBe("object");
  });

  it("reports zod's problems with pointers", () => {
    const result = output.parse('{"state": "Ohio", "petals": 2.5}') as StructuredFailure;
    expect(result.problems).toEqual([
      "/flower: is required",
      "/petals: Invalid input: expected int, received number",
    ]);
  });
});

describe("loadJsonSchema", () => {
  let folder: string;
  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), "quarry-schema-"));
  });
  afterAll(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it("loads and compiles a schema file", async () => {
    const file = join(folder, "ok.json");
    await writeFile(file, JSON.stringify(FLOWER_SCHEMA));
    const loaded = await loadJsonSchema(file);
    expect(loaded.output.parse(JSON.stringify(GEORGIA)).ok).toBe(true);
  });

  it("names the file for a missing, malformed, non-object or uncompilable schema", async () => {
    await expect(loadJsonSchema(join(folder, "absent.json"))).rejects.toMatchObject({
      code: "input.unreadable-file",
      field: "schema",
    });
    const malformed = join(folder, "bad.json");
    await writeFile(malformed, '{\n  "type": "object",\n  "properties": {,\n}');
    const error = await loadJsonSchema(malformed).catch((caught) => caught);
    expect(error).toMatchObject({ code: "input.schema-invalid", file: malformed, field: "schema" });
    const array = join(folder, "array.json");
    await writeFile(array, "[]");
    await expect(loadJsonSchema(array)).rejects.toMatchObject({ code: "input.schema-invalid" });
    const wrong = join(folder, "wrong.json");
    await writeFile(wrong, '{"type": "objcet"}');
    await expect(loadJsonSchema(wrong)).rejects.toMatchObject({
      code: "input.schema-invalid",
      file: wrong,
    });
  });
});
