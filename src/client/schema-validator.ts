import { Ajv, type ValidateFunction } from "ajv";
import { z } from "zod";

/** A zod schema (zod 4) or a JSON Schema object. */
export type SchemaInput = z.ZodType | Readonly<Record<string, unknown>>;

/** The outcome of checking a value against a schema. */
export type SchemaCheck =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly message: string };

/** A schema in both forms a call needs: JSON Schema for the wire, a check for the values. */
export interface SchemaValidator {
  readonly jsonSchema: Readonly<Record<string, unknown>>;
  check(value: unknown): SchemaCheck;
}

// One Ajv for every JSON Schema this process validates; compiled functions are cached by it.
let ajv: Ajv | undefined;

/** Whether a value is a zod schema. */
export function isZodSchema(schema: unknown): schema is z.ZodType {
  return (
    typeof schema === "object" &&
    schema !== null &&
    "_zod" in schema &&
    typeof (schema as { safeParse?: unknown }).safeParse === "function"
  );
}

/** Builds a validator from a zod schema or a JSON Schema. */
export function schemaValidator(schema: SchemaInput, what: string): SchemaValidator {
  if (isZodSchema(schema)) {
    const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema) as Record<string, unknown>;
    return {
      jsonSchema,
      check(value) {
        const parsed = schema.safeParse(value);
        if (parsed.success) return { ok: true, value: parsed.data };
        return {
          ok: false,
          message: parsed.error.issues
            .map(
              (issue) => `${issue.path.length ? issue.path.join(".") : "(root)"}: ${issue.message}`,
            )
            .join("; "),
        };
      },
    };
  }
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    throw new TypeError(
      `${what} must be a zod schema or a JSON Schema object; got ${typeof schema}.`,
    );
  }
  const { $schema: _dialect, ...jsonSchema } = schema as Record<string, unknown>;
  ajv ??= new Ajv({ allErrors: true, strict: false });
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(jsonSchema);
  } catch (error) {
    throw new TypeError(`${what} is not a valid JSON Schema: ${(error as Error).message}`);
  }
  return {
    jsonSchema,
    check(value) {
      if (validate(value)) return { ok: true, value };
      return {
        ok: false,
        message: (validate.errors ?? [])
          .map((error) => `${error.instancePath || "(root)"}: ${error.message ?? "invalid"}`)
          .join("; "),
      };
    },
  };
}
