import { readFile } from "node:fs/promises";
import { InputError } from "./input-error.js";

/**
 * Reads a small text file the job names (a template, a schema, the job file), turning the
 * file-system error into an `input.unreadable-file` error that says which file, which option
 * named it and what went wrong. A byte-order mark is dropped.
 *
 * @param purpose what the file is for, as the user would say it ("prompt template").
 * @param field the job option that named the file, when there is one.
 */
export async function readTextFile(
  path: string,
  purpose: string,
  options: { readonly field?: string; readonly signal?: AbortSignal } = {},
): Promise<string> {
  try {
    const text = await readFile(path, { encoding: "utf8", signal: options.signal });
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (error) {
    if ((error as { name?: string }).name === "AbortError") throw error;
    throw unreadableFileError(path, purpose, error, options.field);
  }
}

/** The `input.unreadable-file` error for a file-system error on `path`. */
export function unreadableFileError(
  path: string,
  purpose: string,
  error: unknown,
  field?: string,
): InputError {
  const code = (error as { code?: string }).code;
  const reason =
    code === "ENOENT"
      ? "does not exist"
      : code === "EISDIR"
        ? "is a folder, not a file"
        : code === "EACCES" || code === "EPERM"
          ? "cannot be read (permission denied)"
          : `cannot be read (${(error as Error).message})`;
  return new InputError("input.unreadable-file", `the ${purpose} file ${reason}`, {
    file: path,
    field,
    cause: error,
    hint:
      code === "ENOENT"
        ? "Check the path; relative paths are resolved against the job file's folder."
        : undefined,
  });
}
