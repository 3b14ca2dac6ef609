import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../clock/manual-clock.js";
import { jobFingerprint, rowHash } from "./fingerprint.js";
import { FileJournal, type JournalEntry, journalPaths } from "./journal.js";
import {
  flatten,
  JsonlOutputWriter,
  outputFormatOf,
  writeAtomically,
  writeOutputFromJournal,
} from "./output-writer.js";

const FINGERPRINT = jobFingerprint({ model: "m", api: "converse", template: "{state_name}" });

let folder: string;
let counter = 0;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "quarry-output-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

function caseFolder(): string {
  return join(folder, `case-${++counter}`);
}

function flowerEntry(id: string, rowNumber: number, flower?: string): JournalEntry {
  const base = {
    id,
    rowNumber,
    rowHash: rowHash(id, { state_name: id }),
    attemptsMade: flower ? 1 : 3,
    finishedOn: Date.UTC(2024, 5, 1, 12, 0, rowNumber),
    usage: { inputTokens: 40, outputTokens: 20 },
    carry: { state_name: id, status: "carried" },
  };
  return flower
    ? { ...base, state: "completed", result: { state: id, flower, color: { primary: "white" } } }
    : {
        ...base,
        state: "failed",
        failedReason: "The reply must be JSON matching the schema; problems: /flower: is required.",
        errorCode: "schema",
        raw: '{"state": "x"}',
      };
}

async function openJournal(output: string): Promise<FileJournal> {
  const paths = journalPaths(output);
  return FileJournal.open({
    path: paths.journal,
    lockPath: paths.lock,
    fingerprint: FINGERPRINT,
    clock: new ManualClock(),
  });
}

async function jsonLines(path: string): Promise<Record<string, unknown>[]> {
  return (await readFile(path, "utf8"))
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("JsonlOutputWriter", () => {
  it("writes each flushed batch as lines carrying id, row, result, usage and attempts", async () => {
    const output = join(caseFolder(), "results.jsonl");
    const journal = await openJournal(output);
    const writer = await JsonlOutputWriter.open({ path: output, journal });
    journal.append(flowerEntry("Ohio", 2, "Carnation"));
    journal.append(flowerEntry("Iowa", 1));
    await journal.flush();
    expect(await jsonLines(output)).toEqual([
      {
        id: "Ohio",
        rowNumber: 2,
        status: "completed",
        result: { state: "Ohio", flower: "Carnation", color: { primary: "white" } },
        attemptsMade: 1,
        usage: { inputTokens: 40, outputTokens: 20 },
        finishedOn: "2024-06-01T12:00:02.000Z",
        input: { state_name: "Ohio", status: "carried" },
      },
      {
        id: "Iowa",
        rowNumber: 1,
        status: "failed",
        failedReason: "The reply must be JSON matching the schema; problems: /flower: is required.",
        errorCode: "schema",
        raw: '{"state": "x"}',
        attemptsMade: 3,
        usage: { inputTokens: 40, outputTokens: 20 },
        finishedOn: "2024-06-01T12:00:01.000Z",
        input: { state_name: "Iowa", status: "carried" },
      },
    ]);
    await writer.close();
    await journal.close();
  });

  it("repairs on open what a crash left: a torn line, and records journaled but not copied", async () => {
    const output = join(caseFolder(), "results.jsonl");
    const journal = await openJournal(output);
    journal.append(flowerEntry("Ohio", 1, "Carnation"));
    journal.append(flowerEntry("Iowa", 2, "Wild rose"));
    await journal.close();
    await writeFile(output, `${JSON.stringify({ id: "Ohio", rowNumber: 1 })}\n{"id":"Io`);
    const reopened = await openJournal(output);
    const writer = await JsonlOutputWriter.open({ path: output, journal: reopened });
    expect((await jsonLines(output)).map((record) => record.id)).toEqual(["Ohio", "Iowa"]);
    await writer.close();
    await reopened.close();
    expect((await readdir(join(output, ".."))).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });

  it("leaves failures out while they are retried, and puts back those not redone", async () => {
    const output = join(caseFolder(), "results.jsonl");
    const first = await openJournal(output);
    first.append(flowerEntry("Ohio", 1));
    first.append(flowerEntry("Iowa", 2));
    first.append(flowerEntry("Utah", 3, "Sego lily"));
    await first.close();
    const paths = journalPaths(output);
    const journal = await FileJournal.open({
      path: paths.journal,
      lockPath: paths.lock,
      fingerprint: FINGERPRINT,
      retryFailed: true,
    });
    const writer = await JsonlOutputWriter.open({ path: output, journal, omitFailed: true });
    expect((await jsonLines(output)).map((record) => record.id)).toEqual(["Utah"]);
    journal.append(flowerEntry("Ohio", 1, "Carnation"));
    await journal.flush();
    await writer.close();
    await journal.close();
    const records = await jsonLines(output);
    expect(records.map((record) => `${record.id}:${record.status}`)).toEqual([
      "Iowa:failed",
      "Utah:completed",
      "Ohio:completed",
    ]);
  });
});

describe("writeOutputFromJournal", () => {
  async function journalWithRecords(output: string): Promise<FileJournal> {
    const journal = await openJournal(output);
    journal.append(flowerEntry("Utah", 3, "Sego lily"));
    journal.append(flowerEntry("Ohio", 1, "Carnation, scarlet"));
    journal.append(flowerEntry("Iowa", 2));
    return journal;
  }

  it("writes CSV in input order: carried columns, flattened results, clashes prefixed", async () => {
    const output = join(caseFolder(), "results.csv");
    const journal = await journalWithRecords(output);
    expect(await writeOutputFromJournal({ path: output, journal })).toBe(3);
    await journal.close();
    const rows = parse(await readFile(output, "utf8"), { columns: true }) as Record<
      string,
      string
    >[];
    expect(Object.keys(rows[0]!)).toEqual([
      "id",
      "rowNumber",
      "status",
      "state_name",
      "input.status",
      "state",
      "flower",
      "color.primary",
      "failedReason",
      "errorCode",
      "attemptsMade",
      "inputTokens",
      "outputTokens",
      "costUsd",
      "finishedOn",
    ]);
    expect(rows.map((row) => row.id)).toEqual(["Ohio", "Iowa", "Utah"]);
    expect(rows[0]).toMatchObject({
      status: "completed",
      state_name: "Ohio",
      "input.status": "carried",
      flower: "Carnation, scarlet",
      "color.primary": "white",
      failedReason: "",
    });
    expect(rows[1]).toMatchObject({
      status: "failed",
      flower: "",
      errorCode: "schema",
      attemptsMade: "3",
    });
  });

  it("puts listed result columns first", async () => {
    const output = join(caseFolder(), "results.csv");
    const journal = await journalWithRecords(output);
    await writeOutputFromJournal({ path: output, journal, resultColumns: ["flower", "state"] });
    await journal.close();
    const header = (await readFile(output, "utf8")).split("\n")[0];
    expect(header).toContain("input.status,flower,state,color.primary,");
  });

  it("writes a JSON array in input order, or an empty one", async () => {
    const output = join(caseFolder(), "results.json");
    const journal = await journalWithRecords(output);
    await writeOutputFromJournal({ path: output, journal });
    const records = JSON.parse(await readFile(output, "utf8")) as { id: string }[];
    expect(records.map((record) => record.id)).toEqual(["Ohio", "Iowa", "Utah"]);
    await journal.close();
    const empty = join(caseFolder(), "empty.json");
    const none = await openJournal(empty);
    await writeOutputFromJournal({ path: empty, journal: none });
    await none.close();
    expect(JSON.parse(await readFile(empty, "utf8"))).toEqual([]);
  });

  it("keeps the old file when writing fails, and leaves no temporary file", async () => {
    const dir = caseFolder();
    const output = join(dir, "keep.json");
    await writeAtomically(output, async (stream) => {
      await new Promise<void>((resolve) => stream.end("[1]\n", resolve));
    });
    await expect(
      writeAtomically(output, async (stream) => {
        stream.write("[2,");
        throw new Error("disk on fire");
      }),
    ).rejects.toThrow("disk on fire");
    expect(await readFile(output, "utf8")).toBe("[1]\n");
    expect((await readdir(dir)).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
});

describe("helpers", () => {
  it("flattens results", () => {
    expect(flatten({ a: 1, b: { c: "x", d: [1, { e: 2 }] }, f: null })).toEqual({
      a: 1,
      "b.c": "x",
      "b.d": [1, { e: 2 }],
      f: null,
    });
    expect(flatten("plain text")).toEqual({ result: "plain text" });
    expect(flatten([1, 2])).toEqual({ result: [1, 2] });
  });

  it("tells the format from the extension", () => {
    expect(outputFormatOf("a.csv")).toBe("csv");
    expect(outputFormatOf("a.JSON")).toBe("json");
    expect(outputFormatOf("a")).toBe("jsonl");
    expect(outputFormatOf("a.txt", "jsonl")).toBe("jsonl");
    expect(() => outputFormatOf("a.xlsx")).toThrow(/\.xlsx/);
  });
});
