import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, stat, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The child: opens the journal and the JSONL output beside it, skips what the journal holds,
// and journals the rest in batches of varying size with padding, so that a kill is likely to
// land inside a write. It prints "flushed" after every batch.
const CHILD = `
import { FileJournal, journalPaths } from ${JSON.stringify(fileURLToPath(new URL("./journal.ts", import.meta.url)))};
import { JsonlOutputWriter } from ${JSON.stringify(fileURLToPath(new URL("./output-writer.ts", import.meta.url)))};
import { jobFingerprint, rowHash } from ${JSON.stringify(fileURLToPath(new URL("./fingerprint.ts", import.meta.url)))};
const [output, total, seed] = process.argv.slice(-3);
let state = Number(seed) >>> 0;
const random = () => { state = (state + 0x6d2b79f5) >>> 0; let t = state; t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61); return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
const paths = journalPaths(output);
const journal = await FileJournal.open({ path: paths.journal, lockPath: paths.lock, fingerprint: jobFingerprint({ model: "m", api: "converse", template: "t" }), flushIntervalMs: 1, maxBatch: 4096 });
const writer = await JsonlOutputWriter.open({ path: output, journal });
const done = journal.completedIds();
process.stdout.write("ready\\n");
let sinceFlush = 0;
for (let row = 1; row <= Number(total); row++) {
  const id = "record-" + row;
  if (done.has(id)) continue;
  journal.append({ id, rowNumber: row, state: "completed", rowHash: rowHash(id, { row }), attemptsMade: 1, finishedOn: Date.now(), result: { row, padding: "x".repeat(200 + Math.floor(random() * 2000)) } });
  if (++sinceFlush >= 1 + Math.floor(random() * 40)) {
    sinceFlush = 0;
    await journal.flush();
    process.stdout.write("flushed\\n");
  }
}
await journal.flush();
await writer.close();
await journal.close();
process.stdout.write("finished\\n");
`;

// Large enough that no killed run can finish the job: a run is killed within 6 batches of at
// most 40 records plus 8 ms, so four runs cannot get through it.
const TOTAL = 5000;

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "quarry-crash-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** Mulberry32: the kill moments are random but replay from the seed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Runs the child; when `killAfterFlushes` is set, SIGKILLs it `delayMs` after that many batches
 * were reported (so the kill falls anywhere in the next batches, writes included).
 */
function runChild(
  output: string,
  seed: number,
  killAfterFlushes?: number,
  delayMs = 0,
): Promise<"killed" | "finished"> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        CHILD,
        "--",
        output,
        String(TOTAL),
        String(seed),
      ],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let flushes = 0;
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (killAfterFlushes === undefined) return;
      flushes = stdout.split("flushed").length - 1;
      if (flushes >= killAfterFlushes && child.exitCode === null && !child.killed) {
        setTimeout(() => child.kill("SIGKILL"), delayMs);
      }
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve("killed");
      else if (code === 0 && stdout.includes("finished")) resolve("finished");
      else reject(new Error(`child exited with ${code ?? signal}: ${stderr}`));
    });
  });
}

describe("journal and JSONL output under kill -9", () => {
  it("finish every record exactly once, with no torn line, across repeated crashes", async () => {
    const output = join(folder, "results.jsonl");
    const journal = join(folder, ".quarry", "results.jsonl.journal.jsonl");
    const random = seeded(20240611);
    let kills = 0;
    let torn = 0;
    let finished = false;
    for (let run = 0; run < 4 && !finished; run++) {
      const outcome = await runChild(output, run + 1, 1 + Math.floor(random() * 6), random() * 8);
      if (outcome === "finished") {
        finished = true;
        break;
      }
      kills++;
      // A kill inside a write leaves a prefix of the batch. Real kills rarely land inside the
      // kernel's copy of a few megabytes, so every other crash also cuts each file at a seeded
      // byte of its last 4 KiB — as if the last write had been interrupted there.
      if (run % 2 === 1) {
        for (const file of [journal, output]) {
          const size = (await stat(file)).size;
          await truncate(file, Math.max(0, size - 1 - Math.floor(random() * 4096)));
        }
        torn++;
      }
    }
    if (!finished) expect(await runChild(output, 99)).toBe("finished");
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(torn).toBeGreaterThanOrEqual(1);

    const journalLines = (await readFile(journal, "utf8")).split("\n");
    expect(journalLines.pop()).toBe("");
    const journalIds = journalLines.slice(1).map((line) => (JSON.parse(line) as { id: string }).id);
    expect(journalIds).toHaveLength(TOTAL);
    expect(new Set(journalIds).size).toBe(TOTAL);

    const outputLines = (await readFile(output, "utf8")).split("\n");
    expect(outputLines.pop()).toBe("");
    const outputRecords = outputLines.map(
      (line) => JSON.parse(line) as { id: string; rowNumber: number; status: string },
    );
    expect(outputRecords).toHaveLength(TOTAL);
    expect(new Set(outputRecords.map((record) => record.id)).size).toBe(TOTAL);
    for (const record of outputRecords) {
      expect(record.status).toBe("completed");
      expect(record.id).toBe(`record-${record.rowNumber}`);
    }
  });
});
