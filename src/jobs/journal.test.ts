import { spawn } from "node:child_process";
import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../clock/manual-clock.js";
import { jobFingerprint, rowHash } from "./fingerprint.js";
import type { InputError } from "./input-error.js";
import { FileJournal, type JournalEntry, journalPaths, MemoryJournal } from "./journal.js";

const FINGERPRINT = jobFingerprint({
  model: "anthropic.claude-3-haiku-20240307-v1:0",
  api: "converse",
  template: "Tell me about {state_name}",
  options: { maxTokens: 200, temperature: 0 },
});

let folder: string;
let counter = 0;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "quarry-journal-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

function freshPath(): string {
  return join(folder, `case-${++counter}`, "journal.jsonl");
}

function entry(
  id: string,
  rowNumber: number,
  state: "completed" | "failed" = "completed",
): JournalEntry {
  return {
    id,
    rowNumber,
    state,
    rowHash: rowHash(id, { name: id }),
    attemptsMade: 1,
    finishedOn: 1_700_000_000_000 + rowNumber,
    ...(state === "completed"
      ? { result: { name: id } }
      : { failedReason: "invalid reply", raw: "nope" }),
  };
}

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, "utf8")).split("\n").filter((line) => line !== "");
}

async function collect(
  journal: FileJournal | MemoryJournal,
  order: "journal" | "input" = "journal",
) {
  const ids: string[] = [];
  for await (const item of journal.entries({ order })) ids.push(`${item.id}:${item.state}`);
  return ids;
}

describe("FileJournal", () => {
  it("writes a header, then batches entries until the timer fires on the clock", async () => {
    const clock = new ManualClock();
    const path = freshPath();
    const journal = await FileJournal.open({
      path,
      fingerprint: FINGERPRINT,
      clock,
      flushIntervalMs: 200,
    });
    const flushed: string[][] = [];
    journal.onFlush((batch) => {
      flushed.push(batch.map((item) => item.id));
    });
    expect(journal.append(entry("a", 1))).toBe(true);
    expect(journal.append(entry("b", 2))).toBe(true);
    await clock.advance(199);
    expect(flushed).toEqual([]);
    expect(await lines(path)).toHaveLength(1);
    const written = new Promise<void>((resolve) => journal.onFlush(() => resolve()));
    await clock.advance(1);
    await written;
    expect(flushed).toEqual([["a", "b"]]);
    const text = await lines(path);
    expect(text).toHaveLength(3);
    expect(JSON.parse(text[0]!)).toMatchObject({
      type: "quarry-journal",
      version: 1,
      fingerprint: FINGERPRINT,
    });
    expect(JSON.parse(text[1]!)).toMatchObject({
      id: "a",
      rowNumber: 1,
      state: "completed",
      result: { name: "a" },
    });
    await journal.close();
  });

  it("flushes a full batch at once, and what is left at close", async () => {
    const clock = new ManualClock();
    const path = freshPath();
    const journal = await FileJournal.open({ path, fingerprint: FINGERPRINT, clock, maxBatch: 2 });
    const written = new Promise<void>((resolve) => journal.onFlush(() => resolve()));
    journal.append(entry("a", 1));
    journal.append(entry("b", 2));
    await written;
    expect(await lines(path)).toHaveLength(3);
    journal.append(entry("c", 3));
    await journal.close();
    expect(await lines(path)).toHaveLength(4);
    expect(clock.pendingTimers).toBe(0);
  });

  it("ignores re-adding a completed id, in the same run and after a reopen", async () => {
    const path = freshPath();
    const first = await FileJournal.open({
      path,
      fingerprint: FINGERPRINT,
      clock: new ManualClock(),
    });
    expect(first.append(entry("a", 1))).toBe(true);
    expect(first.append(entry("a", 1))).toBe(false);
    await first.close();
    const second = await FileJournal.open({
      path,
      fingerprint: FINGERPRINT,
      clock: new ManualClock(),
    });
    expect(second.append(entry("a", 1))).toBe(false);
    expect(second.completedIds().has("a")).toBe(true);
    expect(second.completedIds().has("b")).toBe(false);
    expect(second.counts).toEqual({ completed: 1, failed: 0 });
    await second.close();
    expect(await lines(path)).toHaveLength(2);
  });

  it("lets a later outcome supersede a failure, and reads back the latest only", async () => {
    const path = freshPath();
    const journal = await FileJournal.open({
      path,
      fingerprint: FINGERPRINT,
      clock: new ManualClock(),
    });
    journal.append(entry("a", 1, "failed"));
    journal.append(entry("b", 2));
    expect(journal.stateOf("a")).toBe("failed");
    expect(journal.append(entry("a", 1, "completed"))).toBe(true);
    expect(journal.counts).toEqual({ completed: 2, failed: 0 });
    expect(await collect(journal)).toEqual(["b:completed", "a:completed"]);
    expect(await collect(journal, "input")).toEqual(["a:completed", "b:completed"]);
    await journal.close();
  });

  it("treats failed records as to do with retryFailed, and as done without", async () => {
    const path = freshPath();
    const first = await FileJournal.open({
      path,
      fingerprint: FINGERPRINT,
      clock: new ManualClock(),
    });
    first.append(entry("a", 1, "failed"));
    first.append(entry("b", 2));
    await first.close();
    const lookup = (id: string, rowNumber: number) => ({
      id,
      rowNumber,
      rowHash: rowHash(id, { name: id }),
    });
    const plain = await FileJournal.open({
      path,
      fingerprint: FINGERPRINT,
      clock: new ManualClock(),
    });
    expect(plain.check(lookup("a", 1))).toBe("failed");
    expect(plain.check(lookup("b", 2))).toBe("completed");
    expect(plain.check(lookup("c", 3))).toBeUndefined();
    await plain.close();
    const retry = await FileJournal.open({
      path,
      fingerprint: FINGERPRINT,
      clock: new ManualClock(),
      retryFailed: true,
    });
    expect(retry.check(lookup("a", 1))).toBeUndefined();
    expect(retry.check(lookup("b", 2))).toBe("completed");
    await retry.close();
  });

  it("refuses an input row that changed since it was journaled, naming the row", async () => {
    const path = freshPath();
    const journal = await FileJournal.open({
      path,
      fingerprint: FINGERPRINT,
      clock: new ManualClock(),
    });
    journal.append(entry("AL", 1));
    let caught: InputError | undefined;
    try {
      journal.check({
        id: "AL",
        rowNumber: 1,
        line: 2,
        rowHash: rowHash("AL", { name: "Alabama!" }),
        file: "/d.csv",
      });
    } catch (error) {
      caught = error as InputError;
    }
    expect(caught).toMatchObject({
      code: "input.row-changed",
      file: "/d.csv",
      row: 1,
      line: 2,
      recordId: "AL",
    });
    await journal.close();
  });

  it("cuts a torn last line and resumes cleanly", async () => {
    const path = freshPath();
    const journal = await FileJournal.open({
      path,
      fingerprint: FINGERPRINT,
      clock: new ManualClock(),
    });
    journal.append(entry("a", 1));
    journal.append(entry("b", 2));
    await journal.close();
    const whole = await readFile(path, "utf8");
    await appendFile(path, '{"id":"c","rowNumber":3,"state":"compl');
    const reopened = await FileJournal.open({
      path,
      fingerprint: FINGERPRINT,
      clock: new ManualClock(),
    });
    expect(await readFile(path, "utf8")).toBe(whole);
    expect(reopened.stateOf("c")).toBeUndefined();
    reopened.append(entry("c", 3));
    await reopened.close();
    const text = await lines(path);
    expect(text).toHaveLength(4);
    for (const line of text) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("starts over when even the header was torn", async () => {
    const path = freshPath();
    await FileJournal.open({ path, fingerprint: FINGERPRINT }).then((journal) => journal.close());
    await writeFile(path, '{"type":"quarry-jour');
    const journal = await FileJournal.open({ path, fingerprint: FINGERPRINT });
    await journal.close();
    expect(JSON.parse((await lines(path))[0]!)).toMatchObject({ type: "quarry-journal" });
  });

  it("refuses a journal damaged before its last line", async () => {
    const path = freshPath();
    const journal = await FileJournal.open({ path, fingerprint: FINGERPRINT });
    journal.append(entry("a", 1));
    await journal.close();
    await appendFile(path, `garbage\n${JSON.stringify(entry("b", 2))}\n`);
    await expect(FileJournal.open({ path, fingerprint: FINGERPRINT })).rejects.toMatchObject({
      code: "input.journal-corrupt",
      line: 3,
    });
  });

  it("refuses a changed job, naming what changed", async () => {
    const path = freshPath();
    const journal = await FileJournal.open({ path, fingerprint: FINGERPRINT });
    journal.append(entry("a", 1));
    await journal.close();
    const changed = jobFingerprint({
      model: "amazon.nova-lite-v1:0",
      api: "converse",
      template: "Tell me all about {state_name}",
      schema: { type: "object" },
      options: { maxTokens: 200, temperature: 0.7 },
    });
    const error = (await FileJournal.open({ path, fingerprint: changed }).catch(
      (caught) => caught,
    )) as InputError;
    expect(error.code).toBe("input.job-changed");
    expect(error.file).toBe(path);
    expect(error.message).toContain(
      'the model changed from "anthropic.claude-3-haiku-20240307-v1:0" to "amazon.nova-lite-v1:0"',
    );
    expect(error.message).toContain("the prompt template changed");
    expect(error.message).toContain("a schema was added");
    expect(error.message).toContain("temperature changed from 0 to 0.7");
    expect(error.message).toContain("1 completed");
    expect(error.hint).toContain("--fresh");
    // The refusal released the lock: the unchanged job opens.
    await (await FileJournal.open({ path, fingerprint: FINGERPRINT })).close();
  });

  it("archives the old journal and starts over with fresh", async () => {
    const path = freshPath();
    const journal = await FileJournal.open({ path, fingerprint: FINGERPRINT });
    journal.append(entry("a", 1));
    await journal.close();
    const changed = jobFingerprint({ model: "other", api: "converse", template: "x" });
    const fresh = await FileJournal.open({ path, fingerprint: changed, fresh: true });
    expect(fresh.counts).toEqual({ completed: 0, failed: 0 });
    expect(fresh.header.fingerprint.model).toBe("other");
    await fresh.close();
    const archived = await readdir(join(path, "..", "archive"));
    expect(archived).toHaveLength(1);
    expect(archived[0]).toMatch(/^journal\..*\.jsonl$/);
  });

  it("refuses a second run while the first holds the lock, and takes over a dead run's lock", async () => {
    const path = freshPath();
    const first = await FileJournal.open({ path, fingerprint: FINGERPRINT });
    const refused = (await FileJournal.open({ path, fingerprint: FINGERPRINT }).catch(
      (caught) => caught,
    )) as InputError;
    expect(refused.code).toBe("input.journal-locked");
    expect(refused.message).toContain(`pid ${process.pid}`);
    await first.close();

    // A lock left by a process that has exited.
    const child = spawn(process.execPath, ["-e", ""]);
    const deadPid = await new Promise<number>((resolve) =>
      child.on("exit", () => resolve(child.pid!)),
    );
    const lockPath = path.replace(/\.jsonl$/, ".lock");
    await writeFile(
      lockPath,
      JSON.stringify({
        pid: deadPid,
        hostname: (await import("node:os")).hostname(),
        startedOn: "earlier",
        token: "t",
      }),
    );
    const takeover = await FileJournal.open({ path, fingerprint: FINGERPRINT });
    expect(JSON.parse(await readFile(lockPath, "utf8")).pid).toBe(process.pid);
    await takeover.close();
    await expect(readFile(lockPath)).rejects.toMatchObject({ code: "ENOENT" });
  });

  it("refuses a lock held by a live pid as the isAlive check reports it", async () => {
    const path = freshPath();
    const lockPath = path.replace(/\.jsonl$/, ".lock");
    await FileJournal.open({ path, fingerprint: FINGERPRINT }).then((journal) => journal.close());
    await writeFile(
      lockPath,
      JSON.stringify({
        pid: 999_999,
        hostname: (await import("node:os")).hostname(),
        startedOn: "now",
        token: "t",
      }),
    );
    await expect(
      FileJournal.open({ path, fingerprint: FINGERPRINT, isAlive: (pid) => pid === 999_999 }),
    ).rejects.toMatchObject({ code: "input.journal-locked" });
    const taken = await FileJournal.open({ path, fingerprint: FINGERPRINT, isAlive: () => false });
    await taken.close();
  });

  it("reads entries back in input order however they finished", async () => {
    const path = freshPath();
    const journal = await FileJournal.open({ path, fingerprint: FINGERPRINT, maxBatch: 3 });
    const rows = [5, 3, 9, 1, 2, 8, 7, 4, 6];
    for (const row of rows) journal.append(entry(`r${row}`, row));
    expect(await collect(journal, "input")).toEqual(
      rows.sort((a, b) => a - b).map((row) => `r${row}:completed`),
    );
    await journal.close();
  });

  it("places the journal in .quarry beside the output", () => {
    expect(journalPaths("/work/out/results.jsonl")).toEqual({
      folder: "/work/out/.quarry",
      journal: "/work/out/.quarry/results.jsonl.journal.jsonl",
      lock: "/work/out/.quarry/results.jsonl.journal.lock",
      archive: "/work/out/.quarry/archive",
    });
  });
});

describe("MemoryJournal", () => {
  it("follows the same rules", async () => {
    const journal = new MemoryJournal(FINGERPRINT);
    const seen: string[] = [];
    journal.onFlush((batch) => {
      seen.push(...batch.map((item) => item.id));
    });
    expect(journal.append(entry("b", 2, "failed"))).toBe(true);
    expect(journal.append(entry("a", 1))).toBe(true);
    expect(journal.append(entry("a", 1))).toBe(false);
    expect(journal.append(entry("b", 2))).toBe(true);
    await journal.flush();
    expect(seen).toEqual(["b", "a", "b"]);
    expect(journal.counts).toEqual({ completed: 2, failed: 0 });
    expect(await collect(journal, "input")).toEqual(["a:completed", "b:completed"]);
  });
});
