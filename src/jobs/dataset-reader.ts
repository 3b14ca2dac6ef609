import { stat } from "node:fs/promises";
import { extname } from "node:path";
import { closestName } from "./closest-name.js";
import { readCsvRows } from "./csv-reader.js";
import { IdIndex } from "./id-index.js";
import { InputError } from "./input-error.js";
import { readJsonArrayRows } from "./json-array-reader.js";
import { readJsonlRows } from "./jsonl-reader.js";
import { unreadableFileError } from "./read-text-file.js";

/** The dataset formats a job reads. */
export type DatasetFormat = "csv" | "tsv" | "jsonl" | "json";

/** A row as a format reader yields it, before it is given an id. */
export interface RawRow {
  /** 1-based data row (a CSV header is not a row; blank lines are not rows). */
  readonly rowNumber: number;
  /** 1-based line the row starts on, when the format has lines. */
  readonly line?: number;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** One input record of a job. */
export interface DatasetRecord extends RawRow {
  /** The record's stable id: the id column's value, or the row number as text. */
  readonly id: string;
}

/** Options of `readDataset`. */
export interface ReadDatasetOptions {
  /** The dataset file. */
  readonly file: string;
  /** The format. @default from the extension: .csv, .tsv, .jsonl/.ndjson, .json */
  readonly format?: DatasetFormat;
  /**
   * The field holding each record's id. A row without it, or with it empty, is an error.
   * @default the row number
   */
  readonly idColumn?: string;
  /** Read only the first `limit` rows. @default every row */
  readonly limit?: number;
  /**
   * Refuse a repeated id (`input.duplicate-id`). Costs ~25 bytes per row (see `IdIndex`).
   * @default true
   */
  readonly checkDuplicates?: boolean;
  readonly signal?: AbortSignal;
}

const FORMATS_BY_EXTENSION: Readonly<Record<string, DatasetFormat>> = {
  ".csv": "csv",
  ".tsv": "tsv",
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".json": "json",
};

/**
 * The format of a dataset file, from `explicit` or else from its extension; an unknown extension
 * is an `input.unknown-format` error.
 */
export function datasetFormatOf(file: string, explicit?: DatasetFormat): DatasetFormat {
  if (explicit !== undefined) return explicit;
  const format = FORMATS_BY_EXTENSION[extname(file).toLowerCase()];
  if (format === undefined)
    throw new InputError(
      "input.unknown-format",
      `cannot tell the input's format from its extension "${extname(file)}"; expected .csv, .tsv, .jsonl, .ndjson or .json`,
      { file, field: "input", hint: 'Rename the file or set "inputFormat" in the job.' },
    );
  return format;
}

/**
 * Streams a dataset's records — CSV (with a header line), TSV, JSONL or a JSON array of objects —
 * giving each a stable id. Memory is one chunk of the file plus, when duplicates are checked, a
 * compact index of the ids seen (row numbers are unique by construction and need none).
 *
 * Every problem is an `InputError` naming the file, the row and (for line formats) the line:
 * a malformed row, a missing or empty id, a repeated id.
 */
export async function* readDataset(options: ReadDatasetOptions): AsyncGenerator<DatasetRecord> {
  const { file, signal } = options;
  const format = datasetFormatOf(file, options.format);
  checkLimit(options.limit);
  await checkIsFile(file);
  if (options.limit === 0) return;
  const rows =
    format === "csv" || format === "tsv"
      ? readCsvRows(file, { delimiter: format === "tsv" ? "\t" : ",", signal })
      : format === "jsonl"
        ? readJsonlRows(file, { signal })
        : readJsonArrayRows(file, { signal });
  yield* withIds(rows, options);
}

/** Options of `recordsFromRows`. */
export interface RecordsFromRowsOptions {
  /** The field holding each record's id. @default the row number */
  readonly idColumn?: string;
  /** Take only the first `limit` rows. @default every row */
  readonly limit?: number;
  /** Refuse a repeated id. @default true */
  readonly checkDuplicates?: boolean;
  /** What to call the rows' source in messages, when it is a file. @default none */
  readonly file?: string;
  readonly signal?: AbortSignal;
}

/**
 * Turns rows given in code (the library's `runJob`: an array, a generator, a database cursor)
 * into records, with the same ids and checks as a dataset file. A row that is not a plain object
 * is an `input.malformed-row` error naming its 1-based row number.
 */
export async function* recordsFromRows(
  rows: AsyncIterable<unknown> | Iterable<unknown>,
  options: RecordsFromRowsOptions = {},
): AsyncGenerator<DatasetRecord> {
  checkLimit(options.limit);
  if (options.limit === 0) return;
  const { file, signal } = options;
  async function* raw(): AsyncGenerator<RawRow> {
    let rowNumber = 0;
    for await (const fields of rows) {
      signal?.throwIfAborted();
      rowNumber++;
      if (fields === null || typeof fields !== "object" || Array.isArray(fields))
        throw new InputError(
          "input.malformed-row",
          `each row must be an object of fields, but this one is ${fields === null ? "null" : Array.isArray(fields) ? "an array" : `a ${typeof fields}`}`,
          { file, row: rowNumber },
        );
      yield { rowNumber, fields: fields as Record<string, unknown> };
    }
  }
  yield* withIds(raw(), options);
}

/** Gives rows their ids, checks them, and stops after `limit` rows. */
async function* withIds(
  rows: AsyncGenerator<RawRow>,
  options: {
    readonly file?: string;
    readonly idColumn?: string;
    readonly limit?: number;
    readonly checkDuplicates?: boolean;
  },
): AsyncGenerator<DatasetRecord> {
  const { file, idColumn } = options;
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const seen =
    idColumn !== undefined && (options.checkDuplicates ?? true)
      ? new IdIndex({ words: 1, expected: 4096 })
      : undefined;
  try {
    for await (const row of rows) {
      const id = idColumn === undefined ? String(row.rowNumber) : idOf(row, idColumn, file);
      if (seen) {
        const { slot, inserted } = seen.insert(id);
        if (!inserted)
          throw new InputError(
            "input.duplicate-id",
            `the id "${id}" was already used by row ${seen.get(slot, 0)}; ids must be unique`,
            { file, row: row.rowNumber, line: row.line, field: idColumn, recordId: id },
          );
        seen.set(slot, 0, row.rowNumber);
      }
      yield row.line === undefined
        ? { rowNumber: row.rowNumber, id, fields: row.fields }
        : { rowNumber: row.rowNumber, line: row.line, id, fields: row.fields };
      if (row.rowNumber >= limit) return;
    }
  } finally {
    await rows.return(undefined);
  }
}

function checkLimit(limit: number | undefined): void {
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0))
    throw new RangeError(`limit must be a whole number of rows ≥ 0, got ${String(limit)}`);
}

function idOf(row: RawRow, idColumn: string, file: string | undefined): string {
  const value = row.fields[idColumn];
  const location = { file, row: row.rowNumber, line: row.line, field: idColumn };
  if (value === undefined) {
    const suggestion = closestName(idColumn, Object.keys(row.fields));
    throw new InputError(
      "input.missing-id",
      `the row has no id column "${idColumn}"${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`,
      {
        ...location,
        hint: 'Set "id" in the job to a column every row has, or leave it out to use row numbers.',
      },
    );
  }
  if (typeof value === "string") {
    if (value.trim() === "")
      throw new InputError("input.missing-id", `the id "${idColumn}" is empty`, location);
    return value;
  }
  if ((typeof value === "number" && Number.isFinite(value)) || typeof value === "bigint")
    return String(value);
  throw new InputError(
    "input.missing-id",
    `the id "${idColumn}" must be a string or a number, got ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`,
    location,
  );
}

async function checkIsFile(file: string): Promise<void> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw Object.assign(new Error("not a file"), { code: "EISDIR" });
  } catch (error) {
    throw unreadableFileError(file, "input", error, "input");
  }
}
