import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { QuarryError } from "../errors/quarry-error.js";
import { runJobSpec } from "./job-run.js";
import { loadJobSpec } from "./job-spec.js";
import { journalPaths } from "./journal.js";
import { runJob } from "./run-job.js";

const MODEL = "anthropic.claude-3-haiku-20240307-v1:0";
const FLOWER_SCHEMA = {
  type: "object",
  required: ["state", "flower"],
  properties: { state: { type: "string" }, flower: { type: "string" } },
  additionalProperties: false,
};

/** Writes a job folder: job.yaml plus the given files. */
async function jobFolder(
  job: Record<string, unknown>,
  files: Record<string, string>,
): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), "quarry-job-"));
  for (const [name, text] of Object.entries(files)) await writeFile(join(folder, name), text);
  await writeFile(join(folder, "job.yaml"), JSON.stringify(job, null, 2));
  return folder;
}

async function outputLines(path: string): Promise<any[]> {
  const text = await readFile(path, "utf8");
  return text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line));
}

const baseJob = (script: unknown[], extra: Record<string, unknown> = {}) => ({
  model: MODEL,
  endpoint: "local",
  prompt: "prompt.txt",
  input: "rows.csv",
  id: "code",
  schema: "schema.json",
  output: "out/results.jsonl",
  maxTokens: 300,
  emulator: { responder: { script } },
  ...extra,
});

const baseFiles = (rows: string) => ({
  "prompt.txt": 'Give the state flower of {name} as JSON: {"state": ..., "flower": ...}',
  "rows.csv": rows,
  "schema.json": JSON.stringify(FLOWER_SCHEMA),
});

describe("runJobSpec on the embedded emulator", () => {
  it("runs the state-flowers example end to end: every state once, validated, with a report", async () => {
    const folder = await mkdtemp(join(tmpdir(), "quarry-flowers-"));
    const spec = await loadJobSpec("examples/state-flowers", {
      overrides: {
        output: join(folder, "flowers.jsonl"),
        emulator: { responder: { script: "examples/state-flowers/replies.jsonl" } },
      },
    });
    const summary = await runJobSpec({ spec });
    expect(summary).toMatchObject({
      records: 50,
      completed: 50,
      failed: 0,
      pending: 0,
      stopped: undefined,
    });
    const lines = await outputLines(join(folder, "flowers.jsonl"));
    expect(new Set(lines.map((line) => line.id)).size).toBe(50);
    expect(lines.find((line) => line.id === "TX").result).toEqual({
      state: "Texas",
      flower: "Bluebonnet",
      color: "blue",
    });
    expect(lines.every((line) => line.status === "completed")).toBe(true);
    const report = await readFile(join(folder, "flowers.report.html"), "utf8");
    expect(report).toContain("Every record succeeded.");
    expect(report).toContain("<svg");
  });

  it("fails before any request on a missing template variable, naming file, row and variable", async () => {
    const folder = await jobFolder(baseJob([]), {
      ...baseFiles("code,name\nAL,Alabama\nAK,\n"),
      "prompt.txt": "Flower of {name} in {country}",
    });
    const error = await runJobSpec({ spec: await loadJobSpec(folder) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuarryError);
    expect((error as QuarryError).code).toMatch(/^input\./);
    expect((error as Error).message).toContain("rows.csv");
    expect((error as Error).message).toContain("country");
    expect((error as Error).message).toMatch(/row 1/);
  });

  it("fails before any request on a malformed JSONL row, naming the line", async () => {
    const folder = await jobFolder(baseJob([], { input: "rows.jsonl" }), {
      ...baseFiles(""),
      "rows.jsonl": '{"code":"AL","name":"Alabama"}\n{"code":"AK", "name": \n',
    });
    const error = await runJobSpec({ spec: await loadJobSpec(folder) }).catch((e: unknown) => e);
    expect((error as QuarryError).code).toMatch(/^input\./);
    expect((error as Error).message).toMatch(/rows\.jsonl/);
    expect((error as Error).message).toMatch(/line 2/);
  });

  it("refuses a model id no family resolves, before any request", async () => {
    const folder = await jobFolder(
      baseJob([], { model: "anthropic.claude-9-turbo" }),
      baseFiles("code,name\nAL,Alabama\n"),
    );
    const error = await runJobSpec({ spec: await loadJobSpec(folder) }).catch((e: unknown) => e);
    expect((error as QuarryError).code).toBe("input.model");
  });

  it("extracts JSON wrapped in prose, re-asks after a schema violation, and fails with the raw reply when it stays wrong", async () => {
    const script = [
      // The re-ask carries the validation problem; the fixed reply answers it for Alaska only.
      {
        contains: "could not be used",
        pattern: "Alaska",
        json: { state: "Alaska", flower: "Forget-me-not" },
      },
      {
        contains: "flower of Alabama",
        reply: 'Sure! Here it is:\n```json\n{"state": "Alabama", "flower": "Camellia"}\n```',
      },
      {
        contains: "flower of Alaska",
        json: { state: "Alaska", flower: "Forget-me-not", color: "blue" },
      },
      { contains: "flower of Arizona", reply: "I am not sure about that one." },
    ];
    const folder = await jobFolder(
      baseJob(script, { repairAttempts: 1 }),
      baseFiles("code,name\nAL,Alabama\nAK,Alaska\nAZ,Arizona\n"),
    );
    const summary = await runJobSpec({ spec: await loadJobSpec(folder), report: false });
    expect(summary).toMatchObject({ completed: 2, failed: 1 });
    const lines = await outputLines(join(folder, "out/results.jsonl"));
    const byId = Object.fromEntries(lines.map((line) => [line.id, line]));
    expect(byId.AL.result).toEqual({ state: "Alabama", flower: "Camellia" });
    expect(byId.AK).toMatchObject({
      status: "completed",
      attemptsMade: 2,
      result: { state: "Alaska", flower: "Forget-me-not" },
    });
    expect(byId.AZ).toMatchObject({
      status: "failed",
      attemptsMade: 2,
      raw: "I am not sure about that one.",
    });
    expect(byId.AZ.failedReason).toMatch(/no-json|JSON/);
    expect(summary.requests).toBe(5);
  });

  it("stops before exceeding the budget and leaves the rest pending for a later run", async () => {
    const rows = ["code,name", ...Array.from({ length: 40 }, (_, i) => `S${i},State ${i}`)].join(
      "\n",
    );
    const folder = await jobFolder(
      baseJob([{ pattern: "State (\\d+)", json: { state: "State $1", flower: "Rose" } }], {
        budget: 0.002,
        maxTokens: 1000,
      }),
      baseFiles(rows),
    );
    const summary = await runJobSpec({ spec: await loadJobSpec(folder), report: false });
    expect(summary.stopped).toBe("budget");
    expect(summary.costUsd).toBeLessThanOrEqual(0.002);
    expect(summary.pending).toBeGreaterThan(0);
    expect(summary.completed + summary.pending).toBe(40);
    expect(summary.stopMessage).toMatch(/budget/);
  });

  it("resumes without re-sending finished records, and refuses a changed template unless fresh", async () => {
    const script = [{ pattern: "flower of (\\w+)", json: { state: "$1", flower: "Rose" } }];
    const folder = await jobFolder(
      baseJob(script),
      baseFiles("code,name\nAL,Alabama\nAK,Alaska\nAZ,Arizona\n"),
    );
    const first = await runJobSpec({
      spec: await loadJobSpec(folder, { overrides: { rows: 2 } }),
      report: false,
    });
    expect(first.completed).toBe(2);
    const second = await runJobSpec({ spec: await loadJobSpec(folder), report: false });
    expect(second).toMatchObject({ resumed: 2, completed: 1, requests: 1 });
    const lines = await outputLines(join(folder, "out/results.jsonl"));
    expect(lines.map((line) => line.id).sort()).toEqual(["AK", "AL", "AZ"]);

    await writeFile(join(folder, "prompt.txt"), "Name the state flower of {name}, as JSON.");
    const refused = await runJobSpec({ spec: await loadJobSpec(folder), report: false }).catch(
      (e: unknown) => e,
    );
    expect((refused as QuarryError).code).toBe("input.job-changed");
    expect((refused as Error).message).toMatch(/template/);
    const fresh = await runJobSpec({ spec: await loadJobSpec(folder), fresh: true, report: false });
    expect(fresh).toMatchObject({ resumed: 0, completed: 3 });
  });

  it("--retry-failed runs again only the records that failed", async () => {
    const failing = [
      { contains: "flower of Alaska", reply: "no idea" },
      { pattern: "flower of (\\w+)", json: { state: "$1", flower: "Rose" } },
    ];
    const folder = await jobFolder(
      baseJob(failing, { repairAttempts: 0 }),
      baseFiles("code,name\nAL,Alabama\nAK,Alaska\nAZ,Arizona\n"),
    );
    const first = await runJobSpec({ spec: await loadJobSpec(folder), report: false });
    expect(first).toMatchObject({ completed: 2, failed: 1 });
    const fixed = [{ pattern: "flower of (\\w+)", json: { state: "$1", flower: "Rose" } }];
    const spec = await loadJobSpec(folder, {
      overrides: { emulator: { responder: { script: fixed } } },
    });
    const plain = await runJobSpec({ spec, report: false });
    expect(plain).toMatchObject({ requests: 0, failedBefore: 1 });
    const retried = await runJobSpec({ spec, retryFailed: true, report: false });
    expect(retried).toMatchObject({ completed: 1, failed: 0, requests: 1 });
    const lines = await outputLines(join(folder, "out/results.jsonl"));
    expect(lines.map((line) => `${line.id}:${line.status}`).sort()).toEqual([
      "AK:completed",
      "AL:completed",
      "AZ:completed",
    ]);
  });

  it("stops at once when the setup is wrong (no model access) and journals nothing", async () => {
    const folder = await jobFolder(
      { ...baseJob([]), emulator: { deniedModels: [MODEL] } },
      baseFiles("code,name\nAL,Alabama\nAK,Alaska\n"),
    );
    const summary = await runJobSpec({ spec: await loadJobSpec(folder), report: false });
    expect(summary.stopped).toBe("setup");
    expect(summary.stopMessage).toMatch(/access/i);
    expect(summary.completed + summary.failed).toBe(0);
    const journal = await readFile(journalPaths(join(folder, "out/results.jsonl")).journal, "utf8");
    expect(journal.trim().split("\n")).toHaveLength(1);
  });

  it("reports a guardrail's block as the record's failure", async () => {
    const folder = await jobFolder(
      {
        ...baseJob([{ contains: "flower", json: { state: "X", flower: "Y" } }]),
        guardrail: { identifier: "noarizona", version: "1" },
        emulator: {
          responder: { script: [{ contains: "flower", json: { state: "X", flower: "Y" } }] },
          guardrails: [{ id: "noarizona", version: "1", deniedWords: ["Arizona"] }],
        },
      },
      baseFiles("code,name\nAL,Alabama\nAZ,Arizona\n"),
    );
    const summary = await runJobSpec({ spec: await loadJobSpec(folder), report: false });
    expect(summary).toMatchObject({ completed: 1, failed: 1 });
    const lines = await outputLines(join(folder, "out/results.jsonl"));
    expect(lines.find((line) => line.id === "AZ").failedReason).toMatch(/^guardrail/);
  });

  it("writes CSV output from the journal, flattened, with carried columns", async () => {
    const script = [{ pattern: "flower of (\\w+)", json: { state: "$1", flower: "Rose" } }];
    const folder = await jobFolder(
      baseJob(script, { output: "out/results.csv", carry: ["name"] }),
      baseFiles("code,name\nAL,Alabama\nAK,Alaska\n"),
    );
    await runJobSpec({ spec: await loadJobSpec(folder), report: false });
    const csv = (await readFile(join(folder, "out/results.csv"), "utf8")).trim().split("\n");
    expect(csv[0]).toContain("name");
    expect(csv[0]).toContain("flower");
    expect(csv).toHaveLength(3);
    expect(csv[1]).toContain("Alabama");
  });
});

describe("runJob from code", () => {
  it("yields each record's validated result with a zod schema", async () => {
    const rows = [
      { code: "AL", name: "Alabama" },
      { code: "AK", name: "Alaska" },
    ];
    const results = [];
    const generator = runJob({
      job: {
        model: MODEL,
        endpoint: "local",
        prompt: { text: "State flower of {name}?" },
        id: "code",
        emulator: {
          responder: {
            script: [{ pattern: "flower of (\\w+)", json: { state: "$1", flower: "Rose" } }],
          },
        },
      },
      rows,
      schema: z.object({ state: z.string(), flower: z.string() }),
    });
    for await (const result of generator) results.push(result);
    expect(results.map((r) => r.id).sort()).toEqual(["AK", "AL"]);
    for (const result of results) {
      expect(result.status).toBe("completed");
      if (result.status === "completed") expect(result.result.flower).toBe("Rose");
    }
  });

  it("refuses a one-shot generator of rows with a clear message", async () => {
    async function* once() {
      yield { name: "Alabama" };
    }
    const generator = runJob({
      job: { model: MODEL, endpoint: "local", prompt: { text: "{name}" } },
      rows: once(),
    });
    await expect(generator.next()).rejects.toThrow(/one-shot/);
  });
});
