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
  const { file, idColumn, signal } = options;
  const format = datasetFormatOf(file, options.format);
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  if (!(limit >= 0))
    throw new RangeError(`limit must be a whole number of rows, got ${String(options.limit)}`);
  await checkIsFile(file);
  if (limit === 0) return;

  const rows =
    format === "csv" || format === "tsv"
      ? readCsvRows(file, { delimiter: format === "tsv" ? "\t" : ",", signal })
      : format === "jsonl"
        ? readJsonlRows(file, { signal })
        : readJsonArrayRows(file, { signal });
  const seen =
    idColumn !== undefined && (options.checkDuplicates ?? true)
      ? new IdIndex({ words: 1, expected: 4096 })
      : undefined;

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
    yield { rowNumber: row.rowNumber, line: row.line, id, fields: row.fields };
    if (row.rowNumber >= limit) return;
  }
}

function idOf(row: RawRow, idColumn: string, file: string): string {
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
