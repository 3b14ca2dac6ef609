import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InputError, InputErrors } from "./input-error.js";
import { loadJobSpec, resolveJobSpec } from "./job-spec.js";

let folder: string;
let counter = 0;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "quarry-jobspec-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function jobFile(text: string, name = "job.yaml"): Promise<string> {
  const dir = join(folder, `job-${++counter}`);
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function failure(promise: Promise<unknown>): Promise<InputError> {
  try {
    await promise;
  } catch (error) {
    return error as InputError;
  }
  throw new Error("expected a failure");
}

const MINIMAL =
  "model: anthropic.claude-3-haiku-20240307-v1:0\nprompt: prompt_template.txt\ninput: states.csv\n";

describe("loadJobSpec", () => {
  it("fills defaults and resolves paths against the job's folder, found from the folder", async () => {
    const path = await jobFile(MINIMAL);
    const dir = join(path, "..");
    const spec = await loadJobSpec(dir);
    expect(spec).toEqual({
      name: `job-${counter}`,
      jobFile: path,
      baseDir: dir,
      model: "anthropic.claude-3-haiku-20240307-v1:0",
      api: "converse",
      prompt: { file: join(dir, "prompt_template.txt") },
      input: join(dir, "states.csv"),
      inputFormat: "csv",
      output: join(dir, "results.jsonl"),
      outputFormat: "jsonl",
      carry: [],
      maxTokens: "auto",
      repairAttempts: 2,
      structuredOutput: "auto",
      limits: {},
      retry: {},
      promptCaching: "auto",
    });
  });

  it("reads every field users set", async () => {
    const path = await jobFile(
      `name: flowers
model: us.anthropic.claude-3-5-haiku-20241022-v1:0
region: us-west-2
profile: research
endpoint: local
api: invoke
prompt: { text: "Flower of {state_name}?" }
system: You are a botanist.
input: data/states.jsonl
id: code
rows: 10
output: out/flowers.csv
carry: [state_name, code]
maxTokens: 300
temperature: 0
topP: 0.9
topK: 40
stopSequences: ["\\n\\n"]
schema: flower.schema.json
repairAttempts: 3
structuredOutput: native
limits: { rpm: 50, tpm: 200000, concurrency: 8 }
retry: { maxAttempts: 6, initialDelayMs: 500, maxDelayMs: 20000 }
budget: 2.5
guardrail: { identifier: gr-1, version: "1", trace: enabled }
`,
      "flowers.yaml",
    );
    const dir = join(path, "..");
    const spec = await loadJobSpec(path);
    expect(spec).toMatchObject({
      name: "flowers",
      endpoint: "local",
      api: "invoke",
      prompt: { text: "Flower of {state_name}?" },
      system: { text: "You are a botanist." },
      input: join(dir, "data/states.jsonl"),
      inputFormat: "jsonl",
      output: join(dir, "out/flowers.csv"),
      outputFormat: "csv",
      schema: join(dir, "flower.schema.json"),
      carry: ["state_name", "code"],
      maxTokens: 300,
      stopSequences: ["\n\n"],
      limits: { rpm: 50, tpm: 200000, concurrency: 8 },
      budget: 2.5,
      guardrail: { identifier: "gr-1", version: "1", trace: "enabled" },
    });
  });

  it("names the default output after a job file that is not job.yaml", async () => {
    const path = await jobFile(MINIMAL, "georgia.yml");
    expect((await loadJobSpec(path)).output).toBe(join(path, "..", "georgia.results.jsonl"));
  });

  it("refuses an unknown field with its line and the closest valid name", async () => {
    const path = await jobFile(`${MINIMAL}modle: x\nlimits:\n  rmp: 5\n`);
    const error = (await failure(loadJobSpec(path))) as InputErrors;
    expect(error.errors.map((item) => [item.field, item.line])).toEqual([
      ["limits.rmp", 6],
      ["modle", 4],
    ]);
    const top = error.errors.find((item) => item.field === "modle")!;
    expect(top.code).toBe("input.job-spec");
    expect(top.file).toBe(path);
    expect(top.message).toContain('unknown field "modle" (did you mean "model"?)');
    expect(error.errors[0]!.message).toContain('did you mean "limits.rpm"?');
  });

  it("says what a field expects and what it got, with the line", async () => {
    const path = await jobFile(`${MINIMAL}maxTokens: lots\nendpoint: ftp://x\n`);
    const error = (await failure(loadJobSpec(path))) as InputErrors;
    const maxTokens = error.errors.find((item) => item.field === "maxTokens")!;
    expect(maxTokens.message).toBe(
      `${path} line 4, field "maxTokens": maxTokens must be a whole number ≥ 1, or "auto", got "lots"`,
    );
    expect(error.errors.find((item) => item.field === "endpoint")?.line).toBe(5);
  });

  it("names a missing required field", async () => {
    const error = await failure(loadJobSpec(await jobFile("model: m\nprompt: p.txt\n")));
    expect(error).toMatchObject({ code: "input.job-spec", field: "input" });
    expect(error.message).toContain('"input" is required');
  });

  it("refuses YAML that does not parse, or is not a mapping, or an unknown input extension", async () => {
    expect(await failure(loadJobSpec(await jobFile("model: [unclosed\n")))).toMatchObject({
      code: "input.job-spec",
      line: expect.any(Number),
    });
    expect(await failure(loadJobSpec(await jobFile("- a\n- b\n")))).toMatchObject({
      code: "input.job-spec",
    });
    const error = await failure(
      loadJobSpec(await jobFile(MINIMAL.replace("states.csv", "states.xlsx"))),
    );
    expect(error).toMatchObject({ code: "input.unknown-format", field: "input", line: 3 });
  });

  it("refuses a missing job file or a folder without one", async () => {
    expect(await failure(loadJobSpec(join(folder, "nope.yaml")))).toMatchObject({
      code: "input.unreadable-file",
    });
    const empty = join(folder, "empty-folder");
    await mkdir(empty);
    expect((await failure(loadJobSpec(empty))).message).toContain("job.yaml");
  });

  it("merges overrides on top, their paths relative to the command's folder", async () => {
    const path = await jobFile(`${MINIMAL}limits: { rpm: 50, tpm: 1000 }\n`);
    const spec = await loadJobSpec(path, {
      overrides: {
        model: "amazon.nova-lite-v1:0",
        endpoint: "http://127.0.0.1:4010",
        rows: 5,
        output: "here.json",
        limits: { rpm: 10 },
      },
      overridesBaseDir: "/tmp/cwd",
    });
    expect(spec).toMatchObject({
      model: "amazon.nova-lite-v1:0",
      endpoint: "http://127.0.0.1:4010",
      rows: 5,
      output: "/tmp/cwd/here.json",
      outputFormat: "json",
      limits: { rpm: 10, tpm: 1000 },
      input: join(path, "..", "states.csv"),
    });
  });

  it("refuses a bad override, saying it came from the overrides", async () => {
    const path = await jobFile(MINIMAL);
    const error = await failure(loadJobSpec(path, { overrides: { rows: 0 } }));
    expect(error).toMatchObject({ code: "input.job-spec", field: "rows", file: undefined });
    expect(error.message).toContain("from the overrides");
  });

  it("refuses carry listing a column twice", async () => {
    const error = await failure(loadJobSpec(await jobFile(`${MINIMAL}carry:\n  - a\n  - a\n`)));
    expect(error).toMatchObject({ field: "carry", line: 5 });
  });
});

describe("resolveJobSpec", () => {
  it("validates a job given as an object", () => {
    const spec = resolveJobSpec(
      { model: "m", prompt: { text: "{x}" }, input: "rows.jsonl" },
      { baseDir: "/data" },
    );
    expect(spec).toMatchObject({
      name: "job",
      prompt: { text: "{x}" },
      input: "/data/rows.jsonl",
      output: "/data/results.jsonl",
    });
    expect(() =>
      resolveJobSpec({ model: "m", prompt: "p.txt", input: "a.csv", temprature: 1 }),
    ).toThrow(/did you mean "temperature"/);
  });
});
