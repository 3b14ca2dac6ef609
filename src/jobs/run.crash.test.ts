import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../emulator/start-emulator.js";
import { SeededRandom } from "../emulator/state/seeded-random.js";
import { journalPaths } from "./journal.js";

// `quarry run` killed with SIGKILL at seeded moments, several times, then run to the end: every
// record must appear exactly once in the output, every line must parse, and no record the
// journal held as done at a kill may ever be sent again — re-sent records are only those in
// flight (or not yet flushed) at the kills. The emulator runs in this process, so its request
// log spans every run.

const RECORDS = 2000;
const KILLS = 4;

interface LoggedRequest {
  readonly body: string;
}

function recordIdsOf(requests: readonly LoggedRequest[]): string[] {
  const ids: string[] = [];
  for (const request of requests) {
    const match = /REC-(r\d+)-/.exec(request.body);
    if (match) ids.push(match[1]!);
  }
  return ids;
}

async function journaledIds(path: string): Promise<Set<string>> {
  const text = await readFile(path, "utf8").catch(() => "");
  const ids = new Set<string>();
  for (const line of text.split("\n").slice(1)) {
    try {
      const entry = JSON.parse(line) as { id?: string; state?: string };
      if (entry.id && entry.state === "completed") ids.add(entry.id);
    } catch {
      // A torn last line: the journal cuts it on open.
    }
  }
  return ids;
}

function startRun(folder: string, endpoint: string): ChildProcess {
  return spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/cli/bin.ts",
      "run",
      folder,
      "--endpoint",
      endpoint,
      "--progress",
      "none",
      "--no-report",
    ],
    {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    },
  );
}

/** Resolves when `check` holds, polling the file system; rejects after `limitMs`. */
async function until(check: () => Promise<boolean>, limitMs: number, what: string): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("quarry run under SIGKILL", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({
      config: {
        seed: 7,
        requestLog: 50_000,
        latency: { firstTokenMs: 15, perOutputTokenMs: 1, jitter: 0.5 },
        faults: { internalServerError: 0.03, connectionReset: 0.01 },
        responder: { outputTokens: { min: 5, max: 15 } },
      },
    });
  });
  afterAll(() => emulator.close());

  it("finishes exactly once after being killed at seeded moments", {
    timeout: 240_000,
  }, async () => {
    const folder = await mkdtemp(join(tmpdir(), "quarry-crash-"));
    const rows = ["id,topic", ...Array.from({ length: RECORDS }, (_, i) => `r${i},topic ${i}`)];
    await writeFile(join(folder, "rows.csv"), `${rows.join("\n")}\n`);
    await writeFile(join(folder, "prompt.txt"), "REC-{id}- Write a line about {topic}.");
    await writeFile(
      join(folder, "job.yaml"),
      JSON.stringify({
        model: "anthropic.claude-3-haiku-20240307-v1:0",
        region: "us-east-1",
        prompt: "prompt.txt",
        input: "rows.csv",
        id: "id",
        output: "results.jsonl",
        maxTokens: 100,
      }),
    );
    const output = join(folder, "results.jsonl");
    const journal = journalPaths(output).journal;
    const random = new SeededRandom(20261122);
    const requestLog = async () =>
      (
        (await (await fetch(`${emulator.url}/_quarry/requests`)).json()) as {
          requests: LoggedRequest[];
        }
      ).requests;

    const kills: { journaled: Set<string>; logLength: number }[] = [];
    let previous = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const target = previous + random.int(80, 350);
      const child = startRun(folder, emulator.url);
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      await until(
        async () => (await journaledIds(journal)).size >= target,
        120_000,
        `${target} journaled records`,
      );
      child.kill("SIGKILL");
      await exited;
      // Requests the killed run left in flight finish (as client-aborted) before the snapshot.
      await until(async () => emulator.stats().inFlight === 0, 30_000, "the emulator to go idle");
      const journaled = await journaledIds(journal);
      kills.push({ journaled, logLength: (await requestLog()).length });
      expect(journaled.size).toBeLessThan(RECORDS);
      previous = journaled.size;
    }

    const final = startRun(folder, emulator.url);
    const code = await new Promise<number | null>((resolve) =>
      final.once("exit", (status) => resolve(status)),
    );
    expect(code).toBe(0);

    // Exactly once, and every line parses.
    const lines = (await readFile(output, "utf8")).split("\n").filter((line) => line.length > 0);
    const ids = lines.map((line) => (JSON.parse(line) as { id: string }).id);
    expect(ids).toHaveLength(RECORDS);
    expect(new Set(ids).size).toBe(RECORDS);

    // Nothing journaled as done at a kill was sent again afterwards.
    const requests = await requestLog();
    for (const { journaled, logLength } of kills) {
      const resent = recordIdsOf(requests.slice(logLength)).filter((id) => journaled.has(id));
      expect(resent).toEqual([]);
    }
    // Every record was sent; the ones sent more than once were retried (faults) or in flight at a kill.
    const sentIds = recordIdsOf(requests);
    const sent = new Set(sentIds);
    expect(sent.size).toBe(RECORDS);
    console.log(
      `crash test: ${KILLS} kills at ${kills.map((k) => k.journaled.size).join(", ")} journaled records; ` +
        `${sentIds.length} requests for ${RECORDS} records (${sentIds.length - RECORDS} repeats from faults and kills)`,
    );
  });

  it("stops cleanly on Ctrl-C: in-flight records are journaled, exit 130, and a rerun finishes", {
    timeout: 120_000,
  }, async () => {
    const folder = await mkdtemp(join(tmpdir(), "quarry-interrupt-"));
    const rows = ["id,topic", ...Array.from({ length: 3000 }, (_, i) => `r${i},topic ${i}`)];
    await writeFile(join(folder, "rows.csv"), `${rows.join("\n")}\n`);
    await writeFile(join(folder, "prompt.txt"), "REC-{id}- Write a line about {topic}.");
    await writeFile(
      join(folder, "job.yaml"),
      JSON.stringify({
        model: "anthropic.claude-3-haiku-20240307-v1:0",
        region: "us-east-1",
        prompt: "prompt.txt",
        input: "rows.csv",
        id: "id",
        output: "results.jsonl",
        maxTokens: 100,
      }),
    );
    const output = join(folder, "results.jsonl");
    const journal = journalPaths(output).journal;
    const child = startRun(folder, emulator.url);
    let stderr = "";
    child.stderr?.on("data", (chunk) => {
      stderr += String(chunk);
    });
    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", (status) => resolve(status)),
    );
    await until(
      async () => (await journaledIds(journal)).size >= 100,
      60_000,
      "100 journaled records",
    );
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/Interrupted/);
    // Every record the interrupted run finished is in the output, whole.
    const after = (await readFile(output, "utf8")).split("\n").filter((line) => line.length > 0);
    for (const line of after) JSON.parse(line);
    expect(after.length).toBe((await journaledIds(journal)).size);
    expect(after.length).toBeLessThan(3000);
    const rerun = startRun(folder, emulator.url);
    expect(await new Promise((resolve) => rerun.once("exit", (status) => resolve(status)))).toBe(0);
    const lines = (await readFile(output, "utf8")).split("\n").filter((line) => line.length > 0);
    expect(new Set(lines.map((line) => (JSON.parse(line) as { id: string }).id)).size).toBe(3000);
    expect(lines).toHaveLength(3000);
  });
});
