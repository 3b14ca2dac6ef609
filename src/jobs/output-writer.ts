import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { type FileHandle, mkdir, open, rename, unlink } from "node:fs/promises";
import { dirname, extname } from "node:path";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { stringify } from "csv-stringify";
import { InputError } from "./input-error.js";
import type { JournalEntry, JournalStore, JournalUsage } from "./journal.js";

/** The output formats of a job. */
export type OutputFormat = "jsonl" | "csv" | "json";

/**
 * One output record (a JSONL line, a JSON array element). Every record carries its id and input
 * row, so that records may finish — and be written — in any order.
 */
export interface OutputRecord {
  readonly id: string;
  readonly rowNumber: number;
  readonly status: "completed" | "failed";
  /** The parsed reply (or the reply text, without a schema). */
  readonly result?: unknown;
  readonly failedReason?: string;
  readonly errorCode?: string;
  /** The last reply as received, for failures. */
  readonly raw?: string;
  readonly attemptsMade: number;
  readonly usage?: JournalUsage;
  readonly costUsd?: number;
  readonly stopReason?: string;
  /** ISO time it finished. */
  readonly finishedOn: string;
  /** The carried input columns. */
  readonly input?: Readonly<Record<string, unknown>>;
}

const FORMATS_BY_EXTENSION: Readonly<Record<string, OutputFormat>> = {
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".csv": "csv",
  ".json": "json",
};

/** The format of an output file, from `explicit` or its extension; JSONL when it has none. */
export function outputFormatOf(file: string, explicit?: OutputFormat): OutputFormat {
  if (explicit !== undefined) return explicit;
  const extension = extname(file).toLowerCase();
  if (extension === "") return "jsonl";
  const format = FORMATS_BY_EXTENSION[extension];
  if (format === undefined)
    throw new InputError(
      "input.unknown-format",
      `cannot tell the output's format from its extension "${extension}"; expected .jsonl, .csv or .json`,
      { file, field: "output", hint: 'Rename the output or set "outputFormat" in the job.' },
    );
  return format;
}

/** A journal entry as the user sees it. */
export function toOutputRecord(entry: JournalEntry): OutputRecord {
  return dropUndefined({
    id: entry.id,
    rowNumber: entry.rowNumber,
    status: entry.state,
    result: entry.result,
    failedReason: entry.failedReason,
    errorCode: entry.errorCode,
    raw: entry.state === "failed" ? entry.raw : undefined,
    attemptsMade: entry.attemptsMade,
    usage: entry.usage,
    costUsd: entry.costUsd,
    stopReason: entry.stopReason,
    finishedOn: new Date(entry.finishedOn).toISOString(),
    input: entry.carry,
  }) as unknown as OutputRecord;
}

/** Options of `JsonlOutputWriter.open`. */
export interface JsonlOutputOptions {
  /** The output file. */
  readonly path: string;
  /** The journal the output follows. */
  readonly journal: JournalStore;
  /**
   * Leave failed records out of the rebuilt file (a `--retry-failed` run is about to redo them);
   * `close` puts back any that were not redone. @default false
   */
  readonly omitFailed?: boolean;
  readonly signal?: AbortSignal;
}

/**
 * The JSONL output, written as records finish. It follows the journal rather than the runner:
 * each flushed journal batch becomes one append of complete lines, so the output never holds a
 * record the journal does not.
 *
 * On open the file is rebuilt from the journal (atomically), which repairs whatever a crash left
 * — a torn last line, lines journaled but not yet copied — without ever duplicating a record.
 * The rebuild reads the journal once; a run that starts from nothing writes an empty file.
 */
export class JsonlOutputWriter {
  readonly path: string;
  readonly #journal: JournalStore;
  readonly #handle: FileHandle;
  readonly #unsubscribe: () => void;
  readonly #omitFailed: boolean;
  #closed = false;

  private constructor(
    path: string,
    journal: JournalStore,
    handle: FileHandle,
    omitFailed: boolean,
  ) {
    this.path = path;
    this.#journal = journal;
    this.#handle = handle;
    this.#omitFailed = omitFailed;
    this.#unsubscribe = journal.onFlush((entries) => this.write(entries));
  }

  /** Rebuilds the output from the journal, then follows the journal's flushes. */
  static async open(options: JsonlOutputOptions): Promise<JsonlOutputWriter> {
    const omitFailed = options.omitFailed ?? false;
    await rebuildJsonl(options.path, options.journal, omitFailed, options.signal);
    const handle = await open(options.path, "a");
    return new JsonlOutputWriter(options.path, options.journal, handle, omitFailed);
  }

  /** Appends records, in one write of complete lines. */
  async write(entries: readonly JournalEntry[]): Promise<void> {
    if (this.#closed || entries.length === 0) return;
    let text = "";
    for (const entry of entries) text += `${JSON.stringify(toOutputRecord(entry))}\n`;
    const buffer = Buffer.from(text);
    let written = 0;
    while (written < buffer.length) {
      const { bytesWritten } = await this.#handle.write(buffer, written, buffer.length - written);
      written += bytesWritten;
    }
  }

  /**
   * Stops following the journal (call after the journal's last flush). When failures were left
   * out at open, the file is rebuilt so that none is missing.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    await this.#handle.close();
    if (this.#omitFailed) await rebuildJsonl(this.path, this.#journal, false);
  }
}

async function rebuildJsonl(
  path: string,
  journal: JournalStore,
  omitFailed: boolean,
  signal?: AbortSignal,
): Promise<void> {
  await writeAtomically(path, async (output) => {
    await pipeline(
      Readable.from(
        (async function* () {
          for await (const entry of journal.entries({ order: "journal", signal })) {
            if (omitFailed && entry.state === "failed") continue;
            yield `${JSON.stringify(toOutputRecord(entry))}\n`;
          }
        })(),
      ),
      output,
    );
  });
}

/** Options of `writeOutputFromJournal`. */
export interface WriteOutputOptions {
  readonly path: string;
  readonly journal: JournalStore;
  /** @default from the extension (see `outputFormatOf`) */
  readonly format?: OutputFormat;
  /** Record order. @default "input" */
  readonly order?: "input" | "journal";
  /**
   * CSV only: the result columns, in order (e.g. from the schema's properties). Columns found in
   * the results but not listed are added after them. @default as first met in the results
   */
  readonly resultColumns?: readonly string[];
  readonly signal?: AbortSignal;
}

/**
 * Writes a job's output from its journal — the end of a run for CSV and JSON, or any time for a
 * fresh copy — in input order without holding the records (the journal reads them back by
 * position), into a temporary file renamed over the output, so a reader never sees half a file.
 *
 * CSV flattens each result into columns (`a.b` for nested objects; arrays as JSON), after the
 * carried input columns; a result key that clashes with a carried or fixed column is written as
 * `result.<key>`. JSON writes an array of `OutputRecord`s.
 *
 * @returns how many records were written.
 */
export async function writeOutputFromJournal(options: WriteOutputOptions): Promise<number> {
  const format = outputFormatOf(options.path, options.format);
  const order = options.order ?? "input";
  const { journal, signal } = options;
  const records = async function* () {
    for await (const entry of journal.entries({ order, signal })) yield toOutputRecord(entry);
  };
  let count = 0;
  if (format === "jsonl" || format === "json") {
    await writeAtomically(options.path, async (output) => {
      await pipeline(
        Readable.from(
          (async function* () {
            if (format === "json") yield "[";
            for await (const record of records()) {
              const text = JSON.stringify(record);
              yield format === "json" ? `${count === 0 ? "\n" : ",\n"}  ${text}` : `${text}\n`;
              count++;
            }
            if (format === "json") yield count === 0 ? "]\n" : "\n]\n";
          })(),
        ),
        output,
      );
    });
    return count;
  }

  const columns = await csvColumns(journal, options.resultColumns ?? [], signal);
  await writeAtomically(options.path, async (output) => {
    await pipeline(
      Readable.from(
        (async function* () {
          for await (const record of records()) {
            count++;
            yield csvRow(record, columns);
          }
        })(),
      ),
      stringify({ header: true, columns: columns.map((column) => column.name) }),
      output,
    );
  });
  return count;
}

/** A CSV column and where its value comes from. */
interface CsvColumn {
  readonly name: string;
  readonly from: "meta" | "input" | "result";
  /** The key in the input, the flattened result or the record. */
  readonly key: string;
}

const LEADING_COLUMNS = ["id", "rowNumber", "status"] as const;
const TRAILING_COLUMNS = [
  "failedReason",
  "errorCode",
  "attemptsMade",
  "inputTokens",
  "outputTokens",
  "costUsd",
  "finishedOn",
] as const;

/** One pass over the journal to learn the carried and result columns. */
async function csvColumns(
  journal: JournalStore,
  resultColumns: readonly string[],
  signal?: AbortSignal,
): Promise<CsvColumn[]> {
  const inputKeys = new Set<string>();
  const resultKeys = new Set<string>(resultColumns);
  for await (const entry of journal.entries({ order: "journal", signal })) {
    if (entry.carry) for (const key of Object.keys(entry.carry)) inputKeys.add(key);
    if (entry.result !== undefined)
      for (const key of Object.keys(flatten(entry.result))) resultKeys.add(key);
  }
  const taken = new Set<string>([...LEADING_COLUMNS, ...TRAILING_COLUMNS]);
  const columns: CsvColumn[] = LEADING_COLUMNS.map((name) => ({ name, from: "meta", key: name }));
  for (const key of inputKeys) {
    const name = taken.has(key) ? `input.${key}` : key;
    taken.add(name);
    columns.push({ name, from: "input", key });
  }
  for (const key of resultKeys) {
    const name = taken.has(key) ? `result.${key}` : key;
    taken.add(name);
    columns.push({ name, from: "result", key });
  }
  for (const name of TRAILING_COLUMNS) columns.push({ name, from: "meta", key: name });
  return columns;
}

function csvRow(record: OutputRecord, columns: readonly CsvColumn[]): unknown[] {
  const result = record.result === undefined ? {} : flatten(record.result);
  const meta: Record<string, unknown> = {
    id: record.id,
    rowNumber: record.rowNumber,
    status: record.status,
    failedReason: record.failedReason,
    errorCode: record.errorCode,
    attemptsMade: record.attemptsMade,
    inputTokens: record.usage?.inputTokens,
    outputTokens: record.usage?.outputTokens,
    costUsd: record.costUsd,
    finishedOn: record.finishedOn,
  };
  return columns.map((column) => {
    const value =
      column.from === "meta"
        ? meta[column.key]
        : column.from === "input"
          ? record.input?.[column.key]
          : result[column.key];
    return cell(value);
  });
}

/**
 * A result as flat columns: nested objects joined with dots, arrays kept whole (as JSON). A
 * result that is not an object (the reply text, an array) is one column, `result`.
 */
export function flatten(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return { result: value };
  const out: Record<string, unknown> = {};
  const visit = (object: Record<string, unknown>, prefix: string) => {
    for (const [key, item] of Object.entries(object)) {
      const name = prefix ? `${prefix}.${key}` : key;
      if (item !== null && typeof item === "object" && !Array.isArray(item))
        visit(item as Record<string, unknown>, name);
      else out[name] = item;
    }
  };
  visit(value as Record<string, unknown>, "");
  return out;
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/**
 * Writes `path` through a temporary file in the same folder, renamed over it once complete: a
 * crash leaves the old file or the new one, never a mix. The temporary file is removed on error.
 */
export async function writeAtomically(
  path: string,
  write: (output: Writable) => Promise<void>,
): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  const stream = createWriteStream(temporary);
  const closed = new Promise<void>((resolve) => stream.once("close", () => resolve()));
  try {
    await write(stream);
    if (!stream.writableEnded) stream.end();
    await closed;
    if (stream.errored) throw stream.errored;
    await rename(temporary, path);
  } catch (error) {
    // The file may be opened after a failure was noticed: wait for the stream to close first.
    stream.destroy();
    await closed;
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

function dropUndefined<T extends Record<string, unknown>>(object: T): T {
  for (const key of Object.keys(object)) if (object[key] === undefined) delete object[key];
  return object;
}
