import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import formatsModule from "ajv-formats";
import { z } from "zod";
import { type ExtractedJson, extractJson } from "./extract-json.js";
import { InputError } from "./input-error.js";
import { repairJson } from "./repair-json.js";

/** A JSON Schema document (an object; `true`/`false` schemas are not useful for replies). */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** What a job's replies are checked against: a zod schema (in code) or a JSON Schema. */
export type OutputSchema<T = unknown> = z.ZodType<T> | JsonSchema;

/** A reply that yielded a valid value. */
export interface StructuredSuccess<T> {
  readonly ok: true;
  readonly value: T;
  /** True when the JSON needed a safe repair (trailing comma, quotes, closing brackets...). */
  readonly repaired: boolean;
  readonly source: ExtractedJson["source"];
}

/** A reply that did not. `message` is worded to be sent back to the model. */
export interface StructuredFailure {
  readonly ok: false;
  /**
   * `no-json`: nothing JSON-like; `truncated`: cut off inside a value; `invalid-json`: not JSON
   * even after safe repairs; `schema`: JSON that does not match the schema.
   */
  readonly kind: "no-json" | "truncated" | "invalid-json" | "schema";
  /** Short problem lines (`/flower: is required`); for `schema`, one per violation. */
  readonly problems: readonly string[];
  /** One paragraph for the model and for the failure record. */
  readonly message: string;
  /** The reply as received. */
  readonly raw: string;
  /** Whether the model stopped because it ran out of output tokens. */
  readonly hitTokenLimit: boolean;
}

/** The outcome of `StructuredOutput.parse`. */
export type StructuredResult<T> = StructuredSuccess<T> | StructuredFailure;

/** Outcome of validating a value that is already JSON. */
export type ValidationResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Options of `parse`. */
export interface ParseReplyOptions {
  /**
   * The stop reason the model gave (`max_tokens`, `length`, `end_turn`...): a reply that stopped
   * at the token limit gets a failure message that says so.
   */
  readonly stopReason?: string;
}

/** Problem lines kept in a message: enough to act on, short enough to send back. */
const MAX_PROBLEMS = 10;

/**
 * A reply contract: turns a model's reply text into a value checked against a schema, or into a
 * failure whose message can be sent back to the model (see `buildRepairPrompt`).
 *
 * The reply is extracted (whole, fenced or embedded in prose — `extractJson`), repaired only where
 * safe (`repairJson`), then validated: with Ajv (all errors, formats, the draft the schema names;
 * draft-07 when it names none) for a JSON Schema, with zod itself for a zod schema.
 */
export class StructuredOutput<T = unknown> {
  /** The schema as JSON Schema: for native structured output and for re-ask prompts. */
  readonly jsonSchema: JsonSchema;
  /** The root type the schema asks for, when it names one. */
  readonly root: "object" | "array" | undefined;
  readonly #validate: (value: unknown) => ValidationResult<T>;

  private constructor(jsonSchema: JsonSchema, validate: (value: unknown) => ValidationResult<T>) {
    this.jsonSchema = jsonSchema;
    const type = jsonSchema.type;
    this.root = type === "object" || type === "array" ? type : undefined;
    this.#validate = validate;
  }

  /**
   * Builds the contract for a zod schema or a JSON Schema object. Something that is neither, or a
   * JSON Schema Ajv cannot compile, is an `input.schema-invalid` error with Ajv's reason.
   */
  static from<T = unknown>(schema: OutputSchema<T>): StructuredOutput<T> {
    if (isZodSchema(schema)) {
      const zodSchema = schema as z.ZodType<T>;
      return new StructuredOutput<T>(z.toJSONSchema(zodSchema) as JsonSchema, (value) =>
        validateWithZod(zodSchema, value),
      );
    }
    if (schema === null || typeof schema !== "object" || Array.isArray(schema))
      throw new InputError(
        "input.schema-invalid",
        `a schema must be a zod schema or a JSON Schema object, got ${schema === null ? "null" : Array.isArray(schema) ? "an array" : typeof schema}`,
        { field: "schema" },
      );
    const validate = compileJsonSchema(schema as JsonSchema);
    return new StructuredOutput<T>(schema as JsonSchema, (value) =>
      validate(value)
        ? { ok: true, value: value as T }
        : { ok: false, problems: describeAjvErrors(validate.errors ?? []) },
    );
  }

  /** Validates a value that is already parsed (native structured output, tool input). */
  validate(value: unknown): ValidationResult<T> {
    return this.#validate(value);
  }

  /** Extracts, repairs where safe, and validates the JSON in a reply. */
  parse(reply: string, options: ParseReplyOptions = {}): StructuredResult<T> {
    const hitTokenLimit = isTokenLimit(options.stopReason);
    const fail = (kind: StructuredFailure["kind"], problems: readonly string[]) =>
      failure(kind, problems, reply, hitTokenLimit);
    const candidate = extractJson(reply, { root: this.root });
    if (candidate === undefined)
      return fail("no-json", [
        `the reply contains no JSON ${this.root ?? "value"}${hitTokenLimit ? " (it stopped at the token limit)" : ""}`,
      ]);
    const parsed = repairJson(candidate);
    if (!parsed.ok)
      return fail(parsed.kind === "truncated" ? "truncated" : "invalid-json", [parsed.message]);
    const checked = this.#validate(parsed.value);
    if (!checked.ok) return fail("schema", checked.problems);
    return { ok: true, value: checked.value, repaired: parsed.repaired, source: candidate.source };
  }
}

/**
 * The follow-up message that asks the model again after a failed reply: what was wrong, and the
 * schema to match. Send it as the next user turn after the model's failed reply, so the model
 * sees its own answer.
 *
 * @param options.includeSchema repeat the schema in the message. @default true
 */
export function buildRepairPrompt(
  failed: StructuredFailure,
  options: { readonly jsonSchema?: JsonSchema; readonly includeSchema?: boolean } = {},
): string {
  const lines = [
    `Your previous reply could not be used. ${failed.message}`,
    failed.hitTokenLimit
      ? "Your reply was cut off at the output token limit: reply with the JSON only, as briefly as the schema allows."
      : "Reply again with only the corrected JSON value: no explanation, no code fence.",
  ];
  if ((options.includeSchema ?? true) && options.jsonSchema)
    lines.push(
      `The JSON must match this JSON Schema:\n${JSON.stringify(stripDialect(options.jsonSchema))}`,
    );
  return lines.join("\n");
}

/** Whether a stop reason means the output token limit was reached. */
export function isTokenLimit(stopReason: string | undefined): boolean {
  return stopReason !== undefined && /max.?tokens|length|max_new_tokens/i.test(stopReason);
}

/** Whether a value is a zod schema (zod 4). */
export function isZodSchema(value: unknown): value is z.ZodType {
  return (
    typeof value === "object" &&
    value !== null &&
    "_zod" in value &&
    typeof (value as { safeParse?: unknown }).safeParse === "function"
  );
}

function failure(
  kind: StructuredFailure["kind"],
  problems: readonly string[],
  raw: string,
  hitTokenLimit: boolean,
): StructuredFailure {
  const shown = problems.slice(0, MAX_PROBLEMS);
  const more = problems.length > shown.length ? `; and ${problems.length - shown.length} more` : "";
  const message =
    kind === "schema"
      ? `The reply must be JSON matching the schema; problems: ${shown.join("; ")}${more}.`
      : `The reply must be JSON matching the schema, but ${shown.join("; ")}.`;
  return { ok: false, kind, problems, message, raw, hitTokenLimit };
}

// Ajv's formats plugin is CommonJS; its default export arrives as the module object or as the
// function itself depending on the loader.
type FormatsPlugin = (ajv: Ajv) => Ajv;
const addFormats: FormatsPlugin =
  (formatsModule as unknown as { default?: FormatsPlugin }).default ??
  (formatsModule as unknown as FormatsPlugin);

function compileJsonSchema(schema: JsonSchema): ValidateFunction {
  const dialect = typeof schema.$schema === "string" ? schema.$schema : "";
  // One Ajv per schema: a shared instance refuses a second schema with the same `$id`.
  const options = { allErrors: true, strict: false, verbose: false } as const;
  const ajv = dialect.includes("2020-12")
    ? new Ajv2020(options)
    : dialect.includes("2019-09")
      ? new Ajv2019(options)
      : new Ajv(options);
  addFormats(ajv as Ajv);
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw new InputError(
      "input.schema-invalid",
      `the schema is not a valid JSON Schema: ${(error as Error).message}`,
      { field: "schema", cause: error },
    );
  }
}

/** Ajv's errors as `/pointer: problem` lines, the pointer naming the offending property. */
export function describeAjvErrors(errors: readonly ErrorObject[]): string[] {
  const lines: string[] = [];
  for (const error of errors) {
    const path = error.instancePath;
    const params = error.params as Record<string, unknown>;
    let line: string;
    switch (error.keyword) {
      case "required":
        line = `${path}/${escapePointer(String(params.missingProperty))}: is required`;
        break;
      case "additionalProperties":
        line = `${path}/${escapePointer(String(params.additionalProperty))}: is not allowed by the schema`;
        break;
      case "enum":
        line = `${path || "/"}: must be one of ${JSON.stringify(params.allowedValues)}`;
        break;
      case "const":
        line = `${path || "/"}: must be ${JSON.stringify(params.allowedValue)}`;
        break;
      default:
        line = `${path || "/"}: ${error.message ?? error.keyword}`;
    }
    if (!lines.includes(line)) lines.push(line);
  }
  return lines;
}

function validateWithZod<T>(schema: z.ZodType<T>, value: unknown): ValidationResult<T> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const lines: string[] = [];
  for (const issue of result.error.issues) {
    const pointer = issue.path.map((key) => `/${escapePointer(String(key))}`).join("");
    const absent = issue.code === "invalid_type" && valueAt(value, issue.path) === undefined;
    const line = `${pointer || "/"}: ${absent && issue.path.length > 0 ? "is required" : issue.message}`;
    if (!lines.includes(line)) lines.push(line);
  }
  return { ok: false, problems: lines };
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function escapePointer(key: string): string {
  return key.replaceAll("~", "~0").replaceAll("/", "~1");
}

function stripDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, ...rest } = schema;
  return rest;
}
