import { closestName } from "./closest-name.js";
import { InputError } from "./input-error.js";
import { readTextFile } from "./read-text-file.js";

/**
 * A piece of a parsed template: literal text, or a placeholder to fill from the row.
 * `line` is the placeholder's 1-based line in the template, for messages.
 */
export type TemplatePart =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "variable"; readonly name: string; readonly line: number };

/** Where the row being rendered came from, so that a missing variable names file, row and line. */
export interface RenderContext {
  readonly file?: string;
  readonly rowNumber?: number;
  readonly line?: number;
  readonly recordId?: string;
}

// A plain name: a letter or underscore, then letters, digits, underscores; dots reach into
// nested JSON fields and hyphens allow CSV headers such as `first-name`. Nothing else: no spaces,
// no quotes — which is what keeps `{ "state": "..." }` literal.
const PLAIN_NAME = "[A-Za-z_][A-Za-z0-9_]*(?:[.-][A-Za-z0-9_]+)*";
const PLACEHOLDER = new RegExp(`\\{(${PLAIN_NAME})\\}`, "y");
const ESCAPED = new RegExp(`\\{\\{(${PLAIN_NAME})\\}\\}`, "y");

/**
 * A prompt template in the seeds' language: `{name}` is replaced by the row's `name` field.
 *
 * - A brace that does not enclose a plain name stays literal, so a template that shows the model
 *   a JSON example (`{ "state": "state_name", ... }`) works unchanged.
 * - `{{name}}` writes a literal `{name}`. Other doubled braces are ordinary text: `{{"a": 1}}`
 *   stays `{{"a": 1}}` (unlike Python's `str.format`, which would need every brace doubled).
 * - `{a.b}` reads field `b` of the object in field `a` (JSON inputs), unless the row has a field
 *   literally named `a.b`, which wins.
 *
 * The text is parsed once; `render` only concatenates.
 */
export class PromptTemplate {
  /** The template's text as given. */
  readonly text: string;
  /** The file it was read from, when it was. */
  readonly file: string | undefined;
  /** The parsed template. */
  readonly parts: readonly TemplatePart[];
  readonly #variables: readonly string[];

  constructor(text: string, options: { readonly file?: string } = {}) {
    this.text = text;
    this.file = options.file;
    this.parts = parseTemplate(text);
    const names: string[] = [];
    for (const part of this.parts)
      if (part.kind === "variable" && !names.includes(part.name)) names.push(part.name);
    this.#variables = names;
  }

  /** Reads and parses a template file; an unreadable file is an `input.unreadable-file` error. */
  static async fromFile(
    path: string,
    options: {
      readonly field?: string;
      readonly purpose?: string;
      readonly signal?: AbortSignal;
    } = {},
  ): Promise<PromptTemplate> {
    const text = await readTextFile(path, options.purpose ?? "prompt template", options);
    return new PromptTemplate(text, { file: path });
  }

  /** The distinct placeholder names, in order of first use. */
  variables(): readonly string[] {
    return this.#variables;
  }

  /**
   * Fills the placeholders from `row`. A field that is absent or null is an
   * `input.missing-variable` error naming the data file, row, line and variable. Strings are
   * inserted as they are, numbers and booleans as written, objects and arrays as JSON.
   */
  render(row: Readonly<Record<string, unknown>>, context: RenderContext = {}): string {
    let out = "";
    for (const part of this.parts) {
      if (part.kind === "text") {
        out += part.text;
        continue;
      }
      const value = lookUp(row, part.name);
      if (value === undefined || value === null) throw this.#missing(part, row, value, context);
      out += typeof value === "string" ? value : stringify(value);
    }
    return out;
  }

  #missing(
    part: { readonly name: string; readonly line: number },
    row: Readonly<Record<string, unknown>>,
    value: null | undefined,
    context: RenderContext,
  ): InputError {
    const where = this.file ? `${this.file} line ${part.line}` : `line ${part.line}`;
    const fields = Object.keys(row);
    const suggestion = value === undefined ? closestName(part.name, fields) : undefined;
    const detail =
      value === null
        ? `the prompt template (${where}) uses {${part.name}}, but the row's "${part.name}" is null`
        : `the prompt template (${where}) uses {${part.name}}, but the row has no field "${part.name}"` +
          (suggestion ? ` (did you mean "${suggestion}"?)` : "") +
          (fields.length > 0
            ? `; its fields are ${fields
                .slice(0, 12)
                .map((name) => `"${name}"`)
                .join(", ")}${fields.length > 12 ? ", ..." : ""}`
            : "");
    return new InputError("input.missing-variable", detail, {
      file: context.file,
      row: context.rowNumber,
      line: context.line,
      field: part.name,
      recordId: context.recordId,
      hint: `Add the field to every row, or write {{${part.name}}} for a literal {${part.name}}.`,
    });
  }
}

function parseTemplate(text: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let literal = "";
  let line = 1;
  let position = 0;
  let literalStart = 0;
  const flush = (end: number) => {
    literal += text.slice(literalStart, end);
  };
  while (position < text.length) {
    const brace = text.indexOf("{", position);
    if (brace < 0) break;
    line += countNewlines(text, position, brace);
    ESCAPED.lastIndex = brace;
    const escaped = ESCAPED.exec(text);
    if (escaped) {
      flush(brace);
      literal += `{${escaped[1]}}`;
      position = literalStart = brace + escaped[0].length;
      continue;
    }
    PLACEHOLDER.lastIndex = brace;
    const placeholder = PLACEHOLDER.exec(text);
    if (placeholder) {
      flush(brace);
      if (literal) parts.push({ kind: "text", text: literal });
      literal = "";
      parts.push({ kind: "variable", name: placeholder[1]!, line });
      position = literalStart = brace + placeholder[0].length;
      continue;
    }
    position = brace + 1;
  }
  flush(text.length);
  if (literal) parts.push({ kind: "text", text: literal });
  return parts;
}

function countNewlines(text: string, from: number, to: number): number {
  let count = 0;
  for (
    let index = text.indexOf("\n", from);
    index >= 0 && index < to;
    index = text.indexOf("\n", index + 1)
  )
    count++;
  return count;
}

function lookUp(row: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.hasOwn(row, name)) return row[name];
  if (!name.includes(".")) return undefined;
  let value: unknown = row;
  for (const key of name.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function stringify(value: unknown): string {
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}
