import { type DatasetRecord, type ReadDatasetOptions, readDataset } from "./dataset-reader.js";
import { InputError, InputErrors } from "./input-error.js";
import type { JournalStore } from "./journal.js";
import { type PreparedRecord, prepareRecord } from "./prepare-record.js";
import type { PromptTemplate } from "./prompt-template.js";

/** Records that are not read from a file (see `recordsFromRows`). */
export interface RecordSource {
  readonly records: AsyncIterable<DatasetRecord>;
  /** What to call the source in messages. */
  readonly file?: string;
  /** The limit the records were taken with, if any (a limited pass cannot see removed rows). */
  readonly limit?: number;
}

/** Options of `preflight`. */
export interface PreflightOptions {
  /** The dataset to read (its `limit` is the job's `rows`), or records already made. */
  readonly dataset: ReadDatasetOptions | RecordSource;
  readonly template: PromptTemplate;
  readonly system?: PromptTemplate;
  /** @default [] */
  readonly carry?: readonly string[];
  /** The journal of a resumed run: each row is checked against it. */
  readonly journal?: Pick<JournalStore, "check" | "counts" | "stateOf">;
  /** Stop collecting problems after this many (the total is still counted). @default 20 */
  readonly maxErrors?: number;
  /**
   * Called with every record that renders, so that an estimate (tokens, dollars) needs no
   * second pass.
   */
  readonly onRecord?: (record: PreparedRecord, source: DatasetRecord) => void;
  readonly signal?: AbortSignal;
}

/** What the preflight found. */
export interface PreflightSummary {
  /** Rows read. */
  readonly rows: number;
  /** Rows still to send (not journaled, or failed with `retryFailed`). */
  readonly pending: number;
  /** Rows the journal holds as completed. */
  readonly completed: number;
  /** Rows the journal holds as failed (and not to retry). */
  readonly failed: number;
  /** Characters of all rendered prompts (system included) of the pending rows. */
  readonly promptCharacters: number;
  /** The longest rendered prompt, in characters. */
  readonly maxPromptCharacters: number;
}

/**
 * Reads every row and renders every prompt before a single request, so that bad input costs
 * nothing: a malformed row, a missing or repeated id, a missing template variable or carried
 * column, a row edited since it was journaled. Per-row problems are collected (up to
 * `maxErrors`) and thrown together as `InputErrors`; a problem that stops the reader (a
 * malformed row, a repeated id) ends the pass. Memory stays flat: nothing is kept per row but
 * the reader's id index.
 *
 * When the whole dataset was read, a journal holding records that no row matches means rows
 * were removed from the input since: an `input.row-changed` error.
 */
export async function preflight(options: PreflightOptions): Promise<PreflightSummary> {
  const maxErrors = options.maxErrors ?? 20;
  const errors: InputError[] = [];
  let total = 0;
  const problem = (error: unknown) => {
    if (!(error instanceof InputError)) throw error;
    total++;
    if (errors.length < maxErrors) errors.push(error);
  };
  const context = {
    file: options.dataset.file,
    template: options.template,
    system: options.system,
    carry: options.carry,
    journal: options.journal,
  };
  let rows = 0;
  let pending = 0;
  let completed = 0;
  let failed = 0;
  let promptCharacters = 0;
  let maxPromptCharacters = 0;
  let readToEnd = false;
  let journaledRows = 0;
  try {
    const records =
      "records" in options.dataset
        ? options.dataset.records
        : readDataset({ ...options.dataset, signal: options.signal });
    for await (const record of records) {
      rows++;
      let prepared: PreparedRecord;
      try {
        prepared = prepareRecord(record, context);
      } catch (error) {
        problem(error);
        continue;
      }
      if (options.journal?.stateOf(record.id) !== undefined) journaledRows++;
      if (prepared.state === "completed") completed++;
      else if (prepared.state === "failed") failed++;
      else {
        pending++;
        const characters = prepared.prompt.length + (prepared.system?.length ?? 0);
        promptCharacters += characters;
        if (characters > maxPromptCharacters) maxPromptCharacters = characters;
      }
      options.onRecord?.(prepared, record);
    }
    readToEnd = options.dataset.limit === undefined || rows < options.dataset.limit;
  } catch (error) {
    problem(error);
  }
  const counts = options.journal?.counts;
  if (readToEnd && counts !== undefined && errors.length === 0) {
    const orphans = counts.completed + counts.failed - journaledRows;
    if (orphans > 0)
      problem(
        new InputError(
          "input.row-changed",
          `the journal holds ${orphans} record${orphans === 1 ? "" : "s"} whose row${orphans === 1 ? " is" : "s are"} no longer in the input`,
          {
            file: options.dataset.file,
            hint: "Restore the removed rows to resume, or run with --fresh to start over (the old journal is archived).",
          },
        ),
      );
  }
  if (errors.length > 0)
    throw errors.length === 1 && total === 1 ? errors[0]! : new InputErrors(errors, total);
  return { rows, pending, completed, failed, promptCharacters, maxPromptCharacters };
}
