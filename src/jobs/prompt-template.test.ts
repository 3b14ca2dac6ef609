import { describe, expect, it } from "vitest";
import { InputError } from "./input-error.js";
import { PromptTemplate } from "./prompt-template.js";

// The seed notebook's prompt_template.txt, verbatim.
const SEED_TEMPLATE = `Act as a flower expert. I need you to give me information on the state flower of {state_name}. The response should be in json and in this format:

{
"state": "state_name",
"flower": "flower_name",
"color": "flower_color"
}

Do not give any additional information even if I am wrong.
`;

describe("PromptTemplate", () => {
  it("renders the seed's template unchanged apart from its placeholder", () => {
    const template = new PromptTemplate(SEED_TEMPLATE);
    expect(template.variables()).toEqual(["state_name"]);
    const prompt = template.render({ state_name: "Georgia" });
    expect(prompt).toBe(SEED_TEMPLATE.replace("{state_name}", "Georgia"));
    expect(prompt).toContain('{\n"state": "state_name",');
  });

  it("writes {{name}} as a literal {name} and leaves other braces alone", () => {
    const template = new PromptTemplate('Say {{greeting}} to {name}; {{"a": 1}} {} { name } {1x}');
    expect(template.variables()).toEqual(["name"]);
    expect(template.render({ name: "Ada", greeting: "unused" })).toBe(
      'Say {greeting} to Ada; {{"a": 1}} {} { name } {1x}',
    );
  });

  it("lists each variable once, in order of first use", () => {
    const template = new PromptTemplate("{b} {a} {b} {first-name} {address.city}");
    expect(template.variables()).toEqual(["b", "a", "first-name", "address.city"]);
  });

  it("formats numbers, booleans and objects, and reaches into nested fields", () => {
    const template = new PromptTemplate("{n} {ok} {tags} {address.city} {a.b}");
    expect(
      template.render({
        n: 3.5,
        ok: false,
        tags: ["x", "y"],
        address: { city: "Atlanta" },
        "a.b": "dotted",
      }),
    ).toBe('3.5 false ["x","y"] Atlanta dotted');
  });

  it("names the file, row, line and variable when a row lacks a variable", () => {
    const template = new PromptTemplate("Hello\n{state_name} and {flower}", {
      file: "/jobs/prompt.txt",
    });
    let caught: unknown;
    try {
      template.render(
        { state_nme: "Georgia", flower: "rose" },
        { file: "/data/states.csv", rowNumber: 7, line: 8 },
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InputError);
    const error = caught as InputError;
    expect(error.code).toBe("input.missing-variable");
    expect(error.file).toBe("/data/states.csv");
    expect(error.row).toBe(7);
    expect(error.line).toBe(8);
    expect(error.field).toBe("state_name");
    expect(error.message).toContain("/data/states.csv row 7 (line 8)");
    expect(error.message).toContain("/jobs/prompt.txt line 2");
    expect(error.message).toContain('did you mean "state_nme"?');
  });

  it("treats a null field as missing", () => {
    const template = new PromptTemplate("{x}");
    expect(() => template.render({ x: null }, { rowNumber: 2 })).toThrow(/"x" is null/);
  });

  it("renders an empty string field as empty, which is a value", () => {
    expect(new PromptTemplate("[{x}]").render({ x: "" })).toBe("[]");
  });

  it("reads a template file and reports a missing one with its path", async () => {
    await expect(
      PromptTemplate.fromFile("/nonexistent/prompt.txt", { field: "prompt" }),
    ).rejects.toMatchObject({
      code: "input.unreadable-file",
      file: "/nonexistent/prompt.txt",
      field: "prompt",
    });
  });
});
