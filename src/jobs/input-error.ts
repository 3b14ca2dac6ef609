import { QuarryError, type QuarryErrorOptions } from "../errors/quarry-error.js";

/** Where in the user's files a problem is: what they need to open the file at the right place. */
export interface InputLocation {
  /** The file, as an absolute path. */
  readonly file?: string;
  /** The 1-based data row (the header of a CSV file is not a row). */
  readonly row?: number;
  /** The 1-based line in the file, for line-oriented formats (CSV, JSONL, YAML, JSON). */
  readonly line?: number;
  /** The column, field, template variable or job option concerned. */
  readonly field?: string;
}

/** Options of an `InputError`: the location plus what every `QuarryError` may carry. */
export interface InputErrorOptions extends QuarryErrorOptions, InputLocation {}

/**
 * A problem in what the user gave a job — the job file, the template, the dataset, the schema,
 * the journal beside the output — found before (or instead of) spending money. The code is always
 * `input.*`; the message starts with the location (`data.csv row 12 (line 13), field "state"`)
 * so that it can be printed as is.
 */
export class InputError extends QuarryError {
  override readonly name: string = "InputError";
  readonly file: string | undefined;
  readonly row: number | undefined;
  readonly line: number | undefined;
  readonly field: string | undefined;
  /** The message without the location prefix. */
  readonly detail: string;

  constructor(code: `input.${string}`, detail: string, options: InputErrorOptions = {}) {
    const where = describeLocation(options);
    super(code, where ? `${where}: ${detail}` : detail, options);
    this.file = options.file;
    this.row = options.row;
    this.line = options.line;
    this.field = options.field;
    this.detail = detail;
  }
}

/** `data.csv row 12 (line 13), field "state"`, or the parts of it that are known. */
export function describeLocation(location: InputLocation): string {
  const parts: string[] = [];
  if (location.file !== undefined) parts.push(location.file);
  if (location.row !== undefined) {
    parts.push(
      location.line !== undefined
        ? `row ${location.row} (line ${location.line})`
        : `row ${location.row}`,
    );
  } else if (location.line !== undefined) {
    parts.push(`line ${location.line}`);
  }
  let text = parts.join(" ");
  if (location.field !== undefined) text += `${text ? ", " : ""}field "${location.field}"`;
  return text;
}

/** Several input problems found in one pass (preflight reports them together, up to a limit). */
export class InputErrors extends InputError {
  override readonly name: string = "InputErrors";
  /** The problems found, in the order they were found. */
  readonly errors: readonly InputError[];
  /** How many problems there were in all (more than `errors.length` when the list was capped). */
  readonly total: number;

  constructor(errors: readonly InputError[], total = errors.length) {
    const first = errors[0];
    const more = total - 1;
    const summary =
      first === undefined
        ? "no problems"
        : more > 0
          ? `${first.message}\n(and ${more} more problem${more === 1 ? "" : "s"}:\n${errors
              .slice(1)
              .map((error) => `  ${error.message}`)
              .join("\n")}${total > errors.length ? `\n  ...` : ""})`
          : first.message;
    super(
      first?.code === undefined ? "input.invalid" : (first.code as `input.${string}`),
      summary,
      {
        hint: first?.hint,
      },
    );
    this.errors = errors;
    this.total = total;
  }
}
