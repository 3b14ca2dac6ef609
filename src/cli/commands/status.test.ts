import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import type { CommandIo } from "../command-table.js";
import { run as estimate } from "./estimate.js";
import { run as runJob } from "./run.js";
import { run as status } from "./status.js";

function captureIo(): CommandIo & { out(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  stdout.on("data", (chunk) => {
    out += String(chunk);
  });
  stderr.resume();
  return { stdout, stderr, signal: new AbortController().signal, out: () => out };
}

async function job(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), "quarry-status-"));
  await writeFile(join(folder, "rows.csv"), "code,name\nAL,Alabama\nAK,Alaska\nAZ,Arizona\n");
  await writeFile(
    join(folder, "job.yaml"),
    JSON.stringify({
      model: "anthropic.claude-3-haiku-20240307-v1:0",
      endpoint: "local",
      prompt: { text: "Tell me about {name} in 5 words." },
      input: "rows.csv",
      id: "code",
      output: "results.jsonl",
    }),
  );
  return folder;
}

describe("quarry status and estimate", () => {
  it("status reports nothing done before a run, everything after, and no run in progress", async () => {
    const folder = await job();
    const before = captureIo();
    await status([folder], { json: true }, before);
    expect(JSON.parse(before.out())).toMatchObject({
      records: 3,
      completed: 0,
      pending: 3,
      journalExists: false,
    });

    await runJob([folder], { rows: "2", progress: "none" }, captureIo());
    const partial = captureIo();
    await status([folder], {}, partial);
    expect(partial.out()).toMatch(/2\/3 completed, 0 failed, 1 pending/);
    expect(partial.out()).toMatch(/Not running/);
  });

  it("estimate counts records, tokens and dollars without writing anything", async () => {
    const folder = await job();
    const io = captureIo();
    expect(await estimate([folder], { json: true }, io)).toBe(0);
    const result = JSON.parse(io.out());
    expect(result).toMatchObject({ records: 3, pending: 3, requests: 3 });
    expect(result.inputTokens).toBeGreaterThan(10);
    expect(result.costUsd).toBeGreaterThan(0);
    expect(result.worstCaseCostUsd).toBeGreaterThanOrEqual(result.costUsd);
    const after = captureIo();
    await status([folder], { json: true }, after);
    expect(JSON.parse(after.out()).journalExists).toBe(false);
  });
});
