import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { CommandIo } from "../command-table.js";
import { RUN_EXIT, run } from "./run.js";

const execFileAsync = promisify(execFile);

function captureIo(): CommandIo & { out(): string; err(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (chunk) => {
    out += String(chunk);
  });
  stderr.on("data", (chunk) => {
    err += String(chunk);
  });
  return { stdout, stderr, signal: new AbortController().signal, out: () => out, err: () => err };
}

async function flowerJob(script: unknown[], extra: Record<string, unknown> = {}): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), "quarry-cli-run-"));
  await writeFile(join(folder, "prompt.txt"), "State flower of {name}, as JSON.");
  await writeFile(join(folder, "rows.csv"), "code,name\nAL,Alabama\nAK,Alaska\n");
  await writeFile(
    join(folder, "schema.json"),
    JSON.stringify({
      type: "object",
      required: ["flower"],
      properties: { flower: { type: "string" } },
    }),
  );
  await writeFile(
    join(folder, "job.yaml"),
    JSON.stringify({
      model: "anthropic.claude-3-haiku-20240307-v1:0",
      endpoint: "local",
      prompt: "prompt.txt",
      input: "rows.csv",
      id: "code",
      schema: "schema.json",
      output: "results.jsonl",
      repairAttempts: 0,
      emulator: { responder: { script } },
      ...extra,
    }),
  );
  return folder;
}

describe("quarry run", () => {
  it("exits 0 when every record succeeded and prints a summary with the output and report", async () => {
    const folder = await flowerJob([{ contains: "flower", json: { flower: "Rose" } }]);
    const io = captureIo();
    expect(await run([folder], { progress: "none" }, io)).toBe(RUN_EXIT.ok);
    expect(io.err()).toMatch(/Done in .*: 2 completed, 0 failed/);
    expect(io.err()).toContain("results.report.html");
    expect(io.err()).toMatch(/Cost: ~\$/);
  });

  it("exits with a distinct status when some records failed", async () => {
    const folder = await flowerJob([
      { contains: "Alabama", json: { flower: "Camellia" } },
      { contains: "Alaska", reply: "no idea" },
    ]);
    const io = captureIo();
    expect(await run([folder], { progress: "none" }, io)).toBe(RUN_EXIT.someFailed);
    expect(io.err()).toMatch(/1 completed, 1 failed/);
    expect(io.err()).toMatch(/Failures by reason/);
  });

  it("--dry-run sends nothing and writes no output", async () => {
    const folder = await flowerJob([{ contains: "flower", json: { flower: "Rose" } }]);
    const io = captureIo();
    expect(await run([folder], { dryRun: true, json: true }, io)).toBe(RUN_EXIT.ok);
    const summary = JSON.parse(io.out());
    expect(summary).toMatchObject({ dryRun: true, requests: 0, pending: 2 });
    await expect(readFile(join(folder, "results.jsonl"))).rejects.toThrow();
  });

  it("--json prints one machine-readable summary and no progress", async () => {
    const folder = await flowerJob([{ contains: "flower", json: { flower: "Rose" } }]);
    const io = captureIo();
    await run([folder], { json: true }, io);
    const summary = JSON.parse(io.out());
    expect(summary).toMatchObject({ completed: 2, failed: 0 });
    expect(summary.stopped).toBeUndefined();
    expect(io.err()).toBe("");
  });

  it("exits with the usage status and names the field for a misspelt job field (through the binary)", async () => {
    const folder = await flowerJob([], { temprature: 0.5 });
    const result = await execFileAsync(
      process.execPath,
      ["--import", "tsx", "src/cli/bin.ts", "run", folder],
      {
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
      },
    ).catch((error: { code: number; stderr: string }) => error);
    expect((result as { code: number }).code).toBe(2);
    expect((result as { stderr: string }).stderr).toMatch(/temprature/);
    expect((result as { stderr: string }).stderr).toMatch(/did you mean "temperature"/);
  });
});
