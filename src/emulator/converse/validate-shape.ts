import { awsErrors } from "../emulator-error.js";

// Bedrock checks restJson1 request members against the Smithy model's constraints before the
// operation runs, and words violations as AWS's Coral validator does:
//
//   1 validation error detected: Value '0' at 'inferenceConfig.maxTokens' failed to satisfy
//   constraint: Member must have value greater than or equal to 1
//
// (seen e.g. in https://github.com/microsoft/semantic-kernel issues). Several violations are
// counted and joined with "; ". List members are addressed `name.N.member` (1-based).

/** A member's constraints, a small mirror of the Smithy/botocore shape model. */
export type Shape =
  | {
      readonly kind: "structure";
      readonly members: Readonly<Record<string, Shape>>;
      readonly required?: readonly string[];
    }
  | { readonly kind: "union"; readonly members: Readonly<Record<string, Shape>> }
  | { readonly kind: "list"; readonly member: Shape; readonly min?: number; readonly max?: number }
  | { readonly kind: "map"; readonly value: Shape; readonly min?: number; readonly max?: number }
  | {
      readonly kind: "string";
      readonly min?: number;
      readonly max?: number;
      readonly pattern?: RegExp;
      readonly enum?: readonly string[];
    }
  | { readonly kind: "integer" | "float"; readonly min?: number; readonly max?: number }
  | { readonly kind: "boolean" | "blob" | "document" };

/** Throws Bedrock's ValidationException listing every constraint `value` violates. */
export function validateShape(value: unknown, shape: Shape): void {
  const violations: string[] = [];
  check(value, shape, "", violations);
  if (violations.length === 0) return;
  const count = violations.length;
  throw awsErrors.validation(
    `${count} validation error${count === 1 ? "" : "s"} detected: ${violations.join("; ")}`,
  );
}

function check(value: unknown, shape: Shape, path: string, out: string[]): void {
  if (value === undefined || value === null) return;
  const fail = (constraint: string): void => {
    out.push(
      `Value ${describe(value)} at '${path}' failed to satisfy constraint: Member must ${constraint}`,
    );
  };
  switch (shape.kind) {
    case "structure":
    case "union": {
      if (!isRecord(value)) {
        fail("be a structure");
        return;
      }
      const required = shape.kind === "structure" ? (shape.required ?? []) : [];
      for (const name of required) {
        if (value[name] === undefined || value[name] === null)
          out.push(
            `Value null at '${join(path, name)}' failed to satisfy constraint: Member must not be null`,
          );
      }
      for (const [name, member] of Object.entries(shape.members))
        check(value[name], member, join(path, name), out);
      return;
    }
    case "list": {
      if (!Array.isArray(value)) {
        fail("be a list");
        return;
      }
      lengthBounds(value.length, shape, fail);
      value.forEach((item, index) => {
        check(item, shape.member, `${join(path, String(index + 1))}.member`, out);
      });
      return;
    }
    case "map": {
      if (!isRecord(value)) {
        fail("be a map");
        return;
      }
      lengthBounds(Object.keys(value).length, shape, fail);
      for (const [key, item] of Object.entries(value))
        check(item, shape.value, join(path, key), out);
      return;
    }
    case "string": {
      if (typeof value !== "string") {
        fail("be a string");
        return;
      }
      if (shape.enum && !shape.enum.includes(value)) {
        fail(`satisfy enum value set: [${shape.enum.join(", ")}]`);
        return;
      }
      lengthBounds(value.length, shape, fail);
      if (shape.pattern && !shape.pattern.test(value))
        fail(`satisfy regular expression pattern: ${shape.pattern.source}`);
      return;
    }
    case "integer":
    case "float": {
      if (typeof value !== "number" || (shape.kind === "integer" && !Number.isInteger(value))) {
        fail(`be ${shape.kind === "integer" ? "an integer" : "a number"}`);
        return;
      }
      if (shape.min !== undefined && value < shape.min)
        fail(`have value greater than or equal to ${shape.min}`);
      if (shape.max !== undefined && value > shape.max)
        fail(`have value less than or equal to ${shape.max}`);
      return;
    }
    case "boolean":
      if (typeof value !== "boolean") fail("be a boolean");
      return;
    case "blob":
      if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value))
        fail("be base64-encoded binary data");
      return;
    case "document":
      return;
  }
}

function lengthBounds(
  length: number,
  shape: { readonly min?: number; readonly max?: number },
  fail: (constraint: string) => void,
): void {
  if (
    shape.min !== undefined &&
    shape.max !== undefined &&
    (length < shape.min || length > shape.max)
  )
    fail(
      `have length greater than or equal to ${shape.min} and less than or equal to ${shape.max}`,
    );
  else if (shape.min !== undefined && length < shape.min)
    fail(`have length greater than or equal to ${shape.min}`);
  else if (shape.max !== undefined && length > shape.max)
    fail(`have length less than or equal to ${shape.max}`);
}

function describe(value: unknown): string {
  if (typeof value === "string") return `'${value}'`;
  if (typeof value === "number" || typeof value === "boolean") return `'${value}'`;
  const json = JSON.stringify(value);
  return `'${json.length > 200 ? `${json.slice(0, 200)}...` : json}'`;
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
