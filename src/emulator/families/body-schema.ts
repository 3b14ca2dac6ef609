import { Ajv, type ErrorObject } from "ajv";
import { awsErrors } from "../emulator-error.js";

// Bedrock validates InvokeModel bodies with a JSON Schema validator whose messages look like
// `#: required key [messages] not found` and `#/temperature: 1.5 is not less or equal to 1`,
// concatenated when there are several. We validate with Ajv and word its errors that way.
const ajv = new Ajv({ allErrors: true, strict: false });

/** A compiled body check: throws Bedrock's ValidationException for a body that does not fit. */
export type BodyCheck = (body: unknown) => void;

/** Compiles a JSON Schema into a body check with Bedrock-style messages. */
export function compileBodySchema(schema: object): BodyCheck {
  const validate = ajv.compile(schema);
  return (body: unknown) => {
    if (validate(body)) return;
    const violations = (validate.errors ?? []).map((error) => describe(error, body));
    throw awsErrors.malformedInput([...new Set(violations)].join(""));
  };
}

function describe(error: ErrorObject, body: unknown): string {
  const pointer = `#${error.instancePath}`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `${pointer}: required key [${String(params.missingProperty)}] not found`;
    case "additionalProperties":
      return `${pointer}: extraneous key [${String(params.additionalProperty)}] is not permitted`;
    case "type":
      return `${pointer}: expected type: ${typeName(String(params.type))}, found: ${valueTypeName(valueAt(body, error.instancePath))}`;
    case "enum":
    case "const":
      return `${pointer}: ${String(valueAt(body, error.instancePath))} is not a valid enum value`;
    case "maximum":
      return `${pointer}: ${String(valueAt(body, error.instancePath))} is not less or equal to ${String(params.limit)}`;
    case "minimum":
      return `${pointer}: ${String(valueAt(body, error.instancePath))} is not greater or equal to ${String(params.limit)}`;
    case "exclusiveMinimum":
      return `${pointer}: ${String(valueAt(body, error.instancePath))} is not greater than ${String(params.limit)}`;
    case "minItems":
      return `${pointer}: expected minimum item count: ${String(params.limit)}, found: ${lengthAt(body, error.instancePath)}`;
    case "maxItems":
      return `${pointer}: expected maximum item count: ${String(params.limit)}, found: ${lengthAt(body, error.instancePath)}`;
    case "minLength":
      return `${pointer}: expected minLength: ${String(params.limit)}, actual: ${lengthAt(body, error.instancePath)}`;
    case "maxLength":
      return `${pointer}: expected maxLength: ${String(params.limit)}, actual: ${lengthAt(body, error.instancePath)}`;
    case "uniqueItems":
      return `${pointer}: array items are not unique`;
    case "minProperties":
      return `${pointer}: minimum size: [${String(params.limit)}], found: [${sizeAt(body, error.instancePath)}]`;
    case "maxProperties":
      return `${pointer}: maximum size: [${String(params.limit)}], found: [${sizeAt(body, error.instancePath)}]`;
    default:
      return `${pointer}: ${error.message ?? "is invalid"}`;
  }
}

function valueAt(body: unknown, pointer: string): unknown {
  let value = body;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    value =
      value !== null && typeof value === "object"
        ? (value as Record<string, unknown>)[key]
        : undefined;
  }
  return value;
}

function lengthAt(body: unknown, pointer: string): number {
  const value = valueAt(body, pointer);
  return Array.isArray(value) || typeof value === "string" ? value.length : 0;
}

function sizeAt(body: unknown, pointer: string): number {
  const value = valueAt(body, pointer);
  return value !== null && typeof value === "object" ? Object.keys(value).length : 0;
}

function typeName(type: string): string {
  switch (type) {
    case "object":
      return "JSONObject";
    case "array":
      return "JSONArray";
    default:
      return type
        .split(",")
        .map((t) => t[0]!.toUpperCase() + t.slice(1))
        .join(" or ");
  }
}

function valueTypeName(value: unknown): string {
  if (value === null) return "Null";
  if (Array.isArray(value)) return "JSONArray";
  if (typeof value === "object") return "JSONObject";
  if (typeof value === "number") return Number.isInteger(value) ? "Integer" : "BigDecimal";
  return typeName(typeof value);
}
