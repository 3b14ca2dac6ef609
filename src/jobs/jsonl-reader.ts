import type { RawRow } from "./dataset-reader.js";
import { InputError } from "./input-error.js";
import { readLines } from "./read-lines.js";
import { unreadableFileError } from "./read-text-file.js";

/**
 * Streams the rows of a JSON Lines file: one JSON object per line; blank lines are skipped (but
 * counted, so line numbers match an editor's). A line that is not JSON, or is JSON but not an
 * object, is an `input.malformed-row` error naming the file, row and line.
 */
export async function* readJsonlRows(
  file: string,
  options: { readonly signal?: AbortSignal } = {},
): AsyncGenerator<RawRow> {
  let rowNumber = 0;
  const lines = readLines(file, { signal: options.signal });
  for (;;) {
    let next: IteratorResult<{ text: string; number: number }>;
    try {
      next = await lines.next();
    } catch (error) {
      if ((error as { name?: string }).name === "AbortError") throw error;
      throw unreadableFileError(file, "input", error);
    }
    if (next.done) return;
    const { number } = next.value;
    let text = next.value.text;
    if (number === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.trim() === "") continue;
    rowNumber++;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new InputError(
        "input.malformed-row",
        `the line is not valid JSON (${(error as Error).message})`,
        { file, row: rowNumber, line: number, cause: error },
      );
    }
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new InputError(
        "input.malformed-row",
        `each line must be a JSON object, but this one is ${describeJsonType(value)}`,
        { file, row: rowNumber, line: number },
      );
    }
    yield { rowNumber, line: number, fields: value as Record<string, unknown> };
  }
}

/** "an array", "a string", ... for messages. */
export function describeJsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}
