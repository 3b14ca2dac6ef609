import { InputError } from "./input-error.js";
import { readTextFile } from "./read-text-file.js";
import { type JsonSchema, StructuredOutput } from "./structured-output.js";

/** A schema file, read, parsed and compiled. */
export interface LoadedJsonSchema {
  readonly file: string;
  readonly schema: JsonSchema;
  readonly output: StructuredOutput;
}

/**
 * Reads a JSON Schema file and compiles it. A missing or unreadable file is
 * `input.unreadable-file`; text that is not JSON (with its line and column when the parser says
 * where), JSON that is not an object, and an object Ajv cannot compile are
 * `input.schema-invalid` — each naming the file and the job option that named it.
 */
export async function loadJsonSchema(
  file: string,
  options: { readonly field?: string; readonly signal?: AbortSignal } = {},
): Promise<LoadedJsonSchema> {
  const field = options.field ?? "schema";
  const text = await readTextFile(file, "schema", { field, signal: options.signal });
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    throw new InputError("input.schema-invalid", `the schema file is not valid JSON (${message})`, {
      file,
      field,
      line: lineOfParseError(text, message),
      cause: error,
    });
  }
  if (schema === null || typeof schema !== "object" || Array.isArray(schema))
    throw new InputError(
      "input.schema-invalid",
      'the schema file must hold a JSON Schema object ({ "type": "object", ... })',
      { file, field },
    );
  try {
    return {
      file,
      schema: schema as JsonSchema,
      output: StructuredOutput.from(schema as JsonSchema),
    };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    throw new InputError("input.schema-invalid", error.detail, { file, field, cause: error.cause });
  }
}

/** The 1-based line a `JSON.parse` error points at, when its message gives a position. */
function lineOfParseError(text: string, message: string): number | undefined {
  const line = /line (\d+)/.exec(message);
  if (line) return Number(line[1]);
  const position = /position (\d+)/.exec(message);
  if (!position) return undefined;
  let count = 1;
  const end = Math.min(Number(position[1]), text.length);
  for (let index = 0; index < end; index++) if (text.charCodeAt(index) === 10) count++;
  return count;
}
