import { createReadStream } from "node:fs";
import type { RawRow } from "./dataset-reader.js";
import { InputError } from "./input-error.js";
import { describeJsonType } from "./jsonl-reader.js";
import { unreadableFileError } from "./read-text-file.js";

enum State {
  /** Before the opening `[`. */
  Start,
  /** After `[` or `,`: an element (or, right after `[`, the closing `]`) comes next. */
  ElementOrEnd,
  /** Inside an element (an object), between its first and last brace. */
  InElement,
  /** After an element: `,` or `]` comes next. */
  CommaOrEnd,
  /** After the closing `]`: only whitespace may follow. */
  Done,
}

/**
 * Streams the elements of a file holding one top-level JSON array of objects, without holding the
 * array: a small scanner finds where each element starts and ends (tracking depth and strings)
 * and `JSON.parse`s one element at a time. Neither Node nor the installed dependencies stream
 * JSON (`JSON.parse` needs the whole text; no `stream-json`-like package is installed), and the
 * scanner is all that is needed because elements must be objects: it never has to understand
 * numbers or literals, only brackets, strings and escapes.
 *
 * A file that is not an array, an element that is not an object or not valid JSON, a trailing
 * comma, text after the array and a file that ends inside the array are `input.malformed-row`
 * errors naming the file, the row (the element's 1-based position) and its line.
 */
export async function* readJsonArrayRows(
  file: string,
  options: { readonly signal?: AbortSignal } = {},
): AsyncGenerator<RawRow> {
  const stream = createReadStream(file, {
    encoding: "utf8",
    highWaterMark: 256 * 1024,
    signal: options.signal,
  });
  let state = State.Start;
  let line = 1;
  let rowNumber = 0;
  let afterComma = false;
  // The element being read: its text so far (when it spans chunks), depth and string state.
  let parts: string[] = [];
  let elementLine = 0;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let first = true;

  const malformed = (detail: string, row?: number, at = line) =>
    new InputError("input.malformed-row", detail, { file, row, line: at });

  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      let text = chunk;
      if (first) {
        first = false;
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      }
      let elementStart = state === State.InElement ? 0 : -1;
      for (let index = 0; index < text.length; index++) {
        const code = text.charCodeAt(index);
        if (state === State.InElement) {
          if (code === 10) line++;
          if (inString) {
            if (escaped) escaped = false;
            else if (code === 92 /* \ */) escaped = true;
            else if (code === 34 /* " */) inString = false;
            continue;
          }
          if (code === 34) inString = true;
          else if (code === 123 /* { */ || code === 91 /* [ */) depth++;
          else if (code === 125 /* } */ || code === 93 /* ] */) {
            depth--;
            if (depth === 0) {
              parts.push(text.slice(elementStart, index + 1));
              const elementText = parts.length === 1 ? parts[0]! : parts.join("");
              parts = [];
              let value: unknown;
              try {
                value = JSON.parse(elementText);
              } catch (error) {
                throw malformed(
                  `the array's element ${rowNumber} is not valid JSON (${(error as Error).message})`,
                  rowNumber,
                  elementLine,
                );
              }
              state = State.CommaOrEnd;
              elementStart = -1;
              yield { rowNumber, line: elementLine, fields: value as Record<string, unknown> };
            }
          }
          continue;
        }
        if (code === 10) {
          line++;
          continue;
        }
        if (code === 32 || code === 9 || code === 13) continue;
        switch (state) {
          case State.Start:
            if (code !== 91)
              throw malformed(
                `the file must hold a JSON array of objects ([{...}, {...}]), but it starts with ${quoteCharacter(text, index)}`,
              );
            state = State.ElementOrEnd;
            afterComma = false;
            break;
          case State.ElementOrEnd:
            if (code === 93 && !afterComma) {
              state = State.Done;
              break;
            }
            if (code === 93) throw malformed("the array has a trailing comma", rowNumber);
            rowNumber++;
            if (code !== 123)
              throw malformed(
                `each element of the array must be an object, but element ${rowNumber} is ${describeStart(code)}`,
                rowNumber,
              );
            state = State.InElement;
            elementStart = index;
            elementLine = line;
            depth = 1;
            inString = false;
            escaped = false;
            break;
          case State.CommaOrEnd:
            if (code === 44 /* , */) {
              state = State.ElementOrEnd;
              afterComma = true;
            } else if (code === 93) {
              state = State.Done;
            } else {
              throw malformed(
                `expected "," or "]" after element ${rowNumber}, found ${quoteCharacter(text, index)}`,
                rowNumber,
              );
            }
            break;
          case State.Done:
            throw malformed(`unexpected ${quoteCharacter(text, index)} after the end of the array`);
        }
      }
      if (state === State.InElement) parts.push(text.slice(Math.max(0, elementStart)));
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    if ((error as { name?: string }).name === "AbortError") throw error;
    throw unreadableFileError(file, "input", error);
  } finally {
    stream.destroy();
  }
  // (Widened again: the compiler cannot follow assignments made inside the loop's switch.)
  const end = state as State;
  if (end === State.Start) throw malformed("the file is empty; it must hold a JSON array");
  if (end !== State.Done)
    throw malformed(
      end === State.InElement
        ? `the file ends inside element ${rowNumber}: it was cut short`
        : "the file ends before the array's closing ]: it was cut short",
      end === State.InElement ? rowNumber : undefined,
      end === State.InElement ? elementLine : line,
    );
}

function describeStart(code: number): string {
  if (code === 91) return describeJsonType([]);
  if (code === 34) return describeJsonType("");
  if (code === 116 || code === 102) return describeJsonType(true);
  if (code === 110) return describeJsonType(null);
  if (code === 45 || (code >= 48 && code <= 57)) return describeJsonType(0);
  return `not JSON (it starts with ${JSON.stringify(String.fromCharCode(code))})`;
}

function quoteCharacter(text: string, index: number): string {
  return JSON.stringify(text.slice(index, index + 12));
}
