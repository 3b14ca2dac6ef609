import { closestName } from "./closest-name.js";
import type { DatasetRecord } from "./dataset-reader.js";
import { rowHash } from "./fingerprint.js";
import { InputError } from "./input-error.js";
import type { JournalState, JournalStore } from "./journal.js";
import type { PromptTemplate } from "./prompt-template.js";

/** A record ready to send: its prompts rendered, its carried columns picked, its journal state. */
export interface PreparedRecord {
  readonly id: string;
  readonly rowNumber: number;
  readonly line?: number;
  readonly rowHash: string;
  readonly prompt: string;
  readonly system?: string;
  /** The carried input columns, when the job carries any. */
  readonly carry?: Readonly<Record<string, unknown>>;
  /** What the journal holds for it: undefined when it is still to do. */
  readonly state: JournalState | undefined;
}

/** What `prepareRecord` needs besides the record. */
export interface PrepareRecordContext {
  /** The dataset file, for messages. */
  readonly file?: string;
  readonly template: PromptTemplate;
  readonly system?: PromptTemplate;
  /** Input columns to copy into the output. @default [] */
  readonly carry?: readonly string[];
  /** Where to look up the record's state (and check its row is unchanged). */
  readonly journal?: Pick<JournalStore, "check">;
}

/**
 * Turns an input record into what the runner sends, the same way for the preflight and the run:
 * renders the prompt and the system prompt (a missing variable is an `input.missing-variable`
 * error), picks the carried columns (a missing one is `input.missing-column`), hashes the row
 * and looks it up in the journal (an edited row is `input.row-changed`).
 */
export function prepareRecord(
  record: DatasetRecord,
  context: PrepareRecordContext,
): PreparedRecord {
  const where = {
    file: context.file,
    rowNumber: record.rowNumber,
    line: record.line,
    recordId: record.id,
  };
  const prompt = context.template.render(record.fields, where);
  const system = context.system?.render(record.fields, where);
  let carry: Record<string, unknown> | undefined;
  if (context.carry && context.carry.length > 0) {
    carry = {};
    for (const column of context.carry) {
      if (!Object.hasOwn(record.fields, column)) {
        const suggestion = closestName(column, Object.keys(record.fields));
        throw new InputError(
          "input.missing-column",
          `the job carries "${column}", but the row has no such field${suggestion ? ` (did you mean "${suggestion}"?)` : ""}`,
          {
            file: context.file,
            row: record.rowNumber,
            line: record.line,
            field: column,
            recordId: record.id,
          },
        );
      }
      carry[column] = record.fields[column];
    }
  }
  const hash = rowHash(record.id, record.fields);
  const state = context.journal?.check({
    id: record.id,
    rowNumber: record.rowNumber,
    line: record.line,
    rowHash: hash,
    file: context.file,
  });
  return {
    id: record.id,
    rowNumber: record.rowNumber,
    ...(record.line === undefined ? {} : { line: record.line }),
    rowHash: hash,
    prompt,
    ...(system === undefined ? {} : { system }),
    ...(carry === undefined ? {} : { carry }),
    state,
  };
}
