import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DatasetRecord,
  datasetFormatOf,
  type ReadDatasetOptions,
  readDataset,
  recordsFromRows,
} from "./dataset-reader.js";
import type { InputError } from "./input-error.js";

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), "quarry-dataset-"));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

async function file(name: string, text: string): Promise<string> {
  const path = join(folder, name);
  await writeFile(path, text);
  return path;
}

async function readAll(options: ReadDatasetOptions): Promise<DatasetRecord[]> {
  const records: DatasetRecord[] = [];
  for await (const record of readDataset(options)) records.push(record);
  return records;
}

async function failure(options: ReadDatasetOptions): Promise<InputError> {
  try {
    await readAll(options);
  } catch (error) {
    return error as InputError;
  }
  throw new Error("expected the read to fail");
}

describe("readDataset: CSV", () => {
  it("reads rows keyed by the header, with row and line numbers, ids from the row number", async () => {
    const path = await file(
      "states.csv",
      '\uFEFFstate_name , code\nAlabama,AL\n\n"New\nYork",NY\r\nOhio,OH\n',
    );
    const records = await readAll({ file: path });
    expect(records).toEqual([
      { rowNumber: 1, line: 2, id: "1", fields: { state_name: "Alabama", code: "AL" } },
      { rowNumber: 2, line: 4, id: "2", fields: { state_name: "New\nYork", code: "NY" } },
      { rowNumber: 3, line: 6, id: "3", fields: { state_name: "Ohio", code: "OH" } },
    ]);
  });

  it("takes ids from the id column and stops after limit rows", async () => {
    const path = await file("ids.csv", "code,name\nAL,Alabama\nAK,Alaska\nAZ,Arizona\n");
    const records = await readAll({ file: path, idColumn: "code", limit: 2 });
    expect(records.map((record) => record.id)).toEqual(["AL", "AK"]);
  });

  it("reads TSV", async () => {
    const path = await file("states.tsv", "a\tb\n1\t2\n");
    expect((await readAll({ file: path }))[0]?.fields).toEqual({ a: "1", b: "2" });
  });

  it("refuses a ragged row, naming file, row and line", async () => {
    const path = await file("ragged.csv", "a,b\n1,2\n\n3,4,5\n");
    const error = await failure({ file: path });
    expect(error).toMatchObject({ code: "input.malformed-row", file: path, row: 2, line: 4 });
    expect(error.message).toContain("has 3 fields but the header has 2");
  });

  it("refuses an unclosed quote with its line", async () => {
    const path = await file("quote.csv", 'a,b\n1,2\n3,"four\n');
    const error = await failure({ file: path });
    expect(error).toMatchObject({ code: "input.malformed-row", file: path, row: 2 });
    expect(error.line).toBeGreaterThanOrEqual(3);
  });

  it("refuses a header that names a column twice or leaves one unnamed", async () => {
    expect(await failure({ file: await file("twice.csv", "a,b,a\n1,2,3\n") })).toMatchObject({
      code: "input.malformed-row",
      line: 1,
      field: "a",
    });
    expect(await failure({ file: await file("unnamed.csv", "a,,c\n1,2,3\n") })).toMatchObject({
      code: "input.malformed-row",
      line: 1,
    });
  });

  it("refuses a duplicate id, naming both rows", async () => {
    const path = await file("dupe.csv", "code\nAL\nAK\nAL\n");
    const error = await failure({ file: path, idColumn: "code" });
    expect(error).toMatchObject({
      code: "input.duplicate-id",
      row: 3,
      line: 4,
      field: "code",
      recordId: "AL",
    });
    expect(error.message).toContain("already used by row 1");
  });

  it("refuses a missing or empty id", async () => {
    const missing = await failure({ file: await file("noid.csv", "cod\nAL\n"), idColumn: "code" });
    expect(missing).toMatchObject({ code: "input.missing-id", row: 1, line: 2, field: "code" });
    expect(missing.message).toContain('did you mean "cod"?');
    const empty = await failure({
      file: await file("emptyid.csv", "code,x\nAL,1\n ,2\n"),
      idColumn: "code",
    });
    expect(empty).toMatchObject({ code: "input.missing-id", row: 2, line: 3 });
  });

  it("reports a missing file and an unknown extension", async () => {
    expect(await failure({ file: join(folder, "absent.csv") })).toMatchObject({
      code: "input.unreadable-file",
    });
    expect(() => datasetFormatOf("data.xlsx")).toThrow(/\.xlsx/);
    expect(datasetFormatOf("data.txt", "jsonl")).toBe("jsonl");
  });
});

describe("readDataset: JSONL", () => {
  it("reads one object per line, skipping blank lines but counting them", async () => {
    const path = await file(
      "rows.jsonl",
      '{"id":"a","n":1}\n\n{"id":7,"n":{"deep":true}}\n{"id":"c"}',
    );
    const records = await readAll({ file: path, idColumn: "id" });
    expect(records).toEqual([
      { rowNumber: 1, line: 1, id: "a", fields: { id: "a", n: 1 } },
      { rowNumber: 2, line: 3, id: "7", fields: { id: 7, n: { deep: true } } },
      { rowNumber: 3, line: 4, id: "c", fields: { id: "c" } },
    ]);
  });

  it("refuses a line that is not JSON, or not an object", async () => {
    const bad = await failure({ file: await file("bad.jsonl", '{"a":1}\n\n{"a":\n') });
    expect(bad).toMatchObject({ code: "input.malformed-row", row: 2, line: 3 });
    expect(bad.message).toContain("not valid JSON");
    const array = await failure({ file: await file("array.jsonl", '{"a":1}\n[1,2]\n') });
    expect(array).toMatchObject({ code: "input.malformed-row", row: 2, line: 2 });
    expect(array.message).toContain("an array");
  });

  it("refuses an id that is neither string nor number", async () => {
    const error = await failure({
      file: await file("objid.jsonl", '{"id":{"x":1}}\n'),
      idColumn: "id",
    });
    expect(error).toMatchObject({ code: "input.missing-id", row: 1, line: 1 });
  });
});

describe("readDataset: JSON array", () => {
  it("streams the elements with their lines, whatever the strings hold", async () => {
    const path = await file(
      "rows.json",
      '[\n  {"id": "a", "text": "braces } ] { [ and \\"quotes\\""},\n  {"id": "b",\n   "nested": {"list": [1, {"x": 2}]}}\n]\n',
    );
    const records = await readAll({ file: path, idColumn: "id" });
    expect(records).toEqual([
      { rowNumber: 1, line: 2, id: "a", fields: { id: "a", text: 'braces } ] { [ and "quotes"' } },
      { rowNumber: 2, line: 3, id: "b", fields: { id: "b", nested: { list: [1, { x: 2 }] } } },
    ]);
  });

  it("reads elements that span read chunks", async () => {
    const big = "x".repeat(700_000);
    const path = await file("big.json", JSON.stringify([{ a: big }, { a: "é€😀" }, { a: big }]));
    const records = await readAll({ file: path });
    expect(records.map((record) => (record.fields.a as string).length)).toEqual([
      700_000, 4, 700_000,
    ]);
    expect(records[1]?.fields.a).toBe("é€😀");
  });

  it("reads an empty array", async () => {
    expect(await readAll({ file: await file("empty.json", " [ ] ") })).toEqual([]);
  });

  it.each([
    ["not-array.json", '{"a": 1}', undefined, 1, "must hold a JSON array"],
    ["scalar.json", '[{"a":1},\n 5]', 2, 2, "element 2 is a number"],
    ["invalid.json", '[{"a":1},\n{"a": tru}]', 2, 2, "not valid JSON"],
    ["trailing.json", '[{"a":1},\n]', 1, 2, "trailing comma"],
    ["after.json", '[{"a":1}] x', undefined, 1, "after the end"],
    ["cut.json", '[{"a":1},\n{"a": "b', 2, 2, "cut short"],
    ["missing-comma.json", '[{"a":1} {"a":2}]', 1, 1, 'expected "," or "]"'],
    ["blank.json", "", undefined, 1, "empty"],
  ])("refuses %s, naming row and line", async (name, text, row, line, message) => {
    const error = await failure({ file: await file(name, text) });
    expect(error.code).toBe("input.malformed-row");
    expect(error.row).toBe(row);
    expect(error.line).toBe(line);
    expect(error.message).toContain(message);
  });
});

describe("recordsFromRows", () => {
  async function all(iterator: AsyncIterable<DatasetRecord>): Promise<DatasetRecord[]> {
    const records: DatasetRecord[] = [];
    for await (const record of iterator) records.push(record);
    return records;
  }

  it("gives rows from code the same ids and checks as a file", async () => {
    async function* rows() {
      yield { code: "AL", name: "Alabama" };
      yield { code: 7, name: "Seven" };
      yield { code: "GA", name: "Georgia" };
    }
    expect(await all(recordsFromRows(rows(), { idColumn: "code", limit: 2 }))).toEqual([
      { rowNumber: 1, id: "AL", fields: { code: "AL", name: "Alabama" } },
      { rowNumber: 2, id: "7", fields: { code: 7, name: "Seven" } },
    ]);
    expect((await all(recordsFromRows([{ a: 1 }, { a: 2 }]))).map((record) => record.id)).toEqual([
      "1",
      "2",
    ]);
    await expect(
      all(recordsFromRows([{ code: "A" }, { code: "A" }], { idColumn: "code" })),
    ).rejects.toMatchObject({
      code: "input.duplicate-id",
      row: 2,
    });
  });

  it("refuses a row that is not an object", async () => {
    await expect(all(recordsFromRows([{ a: 1 }, "text"]))).rejects.toMatchObject({
      code: "input.malformed-row",
      row: 2,
    });
  });
});
