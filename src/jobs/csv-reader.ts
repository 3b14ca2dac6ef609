import { createReadStream } from "node:fs";
import { parse } from "csv-parse";
import type { RawRow } from "./dataset-reader.js";
import { InputError } from "./input-error.js";
import { unreadableFileError } from "./read-text-file.js";

/** Options of `readCsvRows`. */
export interface CsvReaderOptions {
  /** The field separator. @default "," (or a tab for `.tsv` files, chosen by `readDataset`) */
  readonly delimiter?: string;
  readonly signal?: AbortSignal;
}

/**
 * Streams the data rows of a CSV file with a header line, as objects keyed by the (trimmed)
 * header names; every value is a string. Empty lines are skipped. A header with an empty or
 * repeated name, a row whose field count differs from the header's, and a quoting error are
 * `input.malformed-row` errors naming the file, the row and the line the row starts on.
 */
export async function* readCsvRows(
  file: string,
  options: CsvReaderOptions = {},
): AsyncGenerator<RawRow> {
  const input = createReadStream(file, { highWaterMark: 256 * 1024, signal: options.signal });
  const parser = parse({
    bom: true,
    delimiter: options.delimiter ?? ",",
    // Empty lines come through as [""] and are skipped here, so that line numbers can be counted
    // without csv-parse's per-record `info` objects, which double the parsing cost.
    skip_empty_lines: false,
    // Both line endings, always: auto-detection from the first line puts a stray "\r" into the
    // last field of every CRLF row after an LF header (and miscounts lines).
    record_delimiter: ["\r\n", "\n"],
    // Field counts are checked here, so that the error can name the header's count.
    relax_column_count: true,
  });
  input.on("error", (error) => parser.destroy(error));
  input.pipe(parser);

  let header: string[] | undefined;
  let rowNumber = 0;
  // The line the next record starts on: each record spans one line plus the line breaks inside
  // its quoted fields, which the parsed values keep.
  let nextLine = 1;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      const line = nextLine;
      nextLine += 1 + countLineBreaks(record);
      if (record.length === 1 && record[0] === "") continue;
      if (header === undefined) {
        header = checkHeader(record, file, line);
        continue;
      }
      rowNumber++;
      if (record.length !== header.length) {
        throw new InputError(
          "input.malformed-row",
          `the row has ${record.length} field${record.length === 1 ? "" : "s"} but the header has ${header.length}`,
          {
            file,
            row: rowNumber,
            line,
            hint: "Quote fields that contain the delimiter, and give every row the header's columns.",
          },
        );
      }
      const fields: Record<string, unknown> = {};
      for (let index = 0; index < header.length; index++)
        setField(fields, header[index]!, record[index]!);
      yield { rowNumber, line, fields };
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as { code?: string }).code;
    if (typeof code === "string" && code.startsWith("CSV_")) {
      const csvError = error as { lines?: number; message: string };
      throw new InputError("input.malformed-row", `the CSV is malformed: ${csvError.message}`, {
        file,
        row: header === undefined ? undefined : rowNumber + 1,
        line: csvError.lines,
        cause: error,
      });
    }
    if ((error as { name?: string }).name === "AbortError") throw error;
    throw unreadableFileError(file, "input", error);
  } finally {
    input.destroy();
    parser.destroy();
  }
}

function countLineBreaks(record: readonly string[]): number {
  let count = 0;
  for (const field of record) {
    for (let index = field.indexOf("\n"); index >= 0; index = field.indexOf("\n", index + 1))
      count++;
  }
  return count;
}

function checkHeader(record: string[], file: string, line: number): string[] {
  const names = record.map((name) => name.trim());
  const seen = new Set<string>();
  names.forEach((name, index) => {
    if (name === "")
      throw new InputError("input.malformed-row", `the header's column ${index + 1} has no name`, {
        file,
        line,
      });
    if (seen.has(name))
      throw new InputError("input.malformed-row", `the header names "${name}" twice`, {
        file,
        line,
        field: name,
      });
    seen.add(name);
  });
  return names;
}

/** Sets a field even when the header names it `__proto__`. */
export function setField(fields: Record<string, unknown>, name: string, value: unknown): void {
  if (name === "__proto__")
    Object.defineProperty(fields, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  else fields[name] = value;
}
