import { hashString } from "../state/seeded-random.js";
import { stringFromPattern } from "./string-from-pattern.js";

// Generates a value that validates against a JSON Schema (draft-07 and 2020-12 keywords), the
// way a model that follows its tool schema or structured-output schema would answer. The value
// is a deterministic function of the schema and the seed, so a replayed prompt gets the same
// tool input. Coverage: types, required, enum, const, numeric bounds and multipleOf, string
// lengths, formats and patterns, array bounds, tuples and uniqueItems, nested objects,
// allOf/anyOf/oneOf and local `$ref`s into `$defs`/`definitions`.

/** Options for `sampleFromSchema`. */
export interface SchemaSampleOptions {
  /**
   * Seeds the words, numbers and enum members chosen, so different prompts get different values.
   * @default 0
   */
  readonly seed?: number;
  /**
   * Nesting depth after which optional properties are left out and arrays are kept at their
   * minimum size, so recursive schemas terminate.
   * @default 6
   */
  readonly maxDepth?: number;
  /**
   * Values a model would copy from the prompt (quoted strings, call signs, codes): free-form
   * string fields take them in order, each once, where they fit the field's length.
   * @default []
   */
  readonly hints?: readonly string[];
}

type Schema = Record<string, unknown>;

const WORDS = [
  "amber",
  "basil",
  "cedar",
  "delta",
  "ember",
  "falcon",
  "garden",
  "harbor",
  "island",
  "juniper",
  "lantern",
  "meadow",
  "nimbus",
  "orchard",
  "prairie",
  "quartz",
  "river",
  "summit",
  "timber",
  "valley",
];

/** A value that validates against `schema` (booleans and objects, as JSON Schema allows). */
export function sampleFromSchema(schema: unknown, options: SchemaSampleOptions = {}): unknown {
  const seed = options.seed ?? 0;
  const maxDepth = options.maxDepth ?? 6;
  if (!Number.isInteger(maxDepth) || maxDepth < 0) {
    throw new RangeError(
      `sampleFromSchema options.maxDepth must be a non-negative integer, got ${String(maxDepth)}`,
    );
  }
  return new SchemaSampler(schema, seed, maxDepth, options.hints ?? []).sample(schema, "", 0, 0);
}

class SchemaSampler {
  readonly #root: unknown;
  readonly #seed: number;
  readonly #maxDepth: number;
  readonly #hints: string[];

  constructor(root: unknown, seed: number, maxDepth: number, hints: readonly string[]) {
    this.#root = root;
    this.#seed = seed;
    this.#maxDepth = maxDepth;
    this.#hints = [...hints];
  }

  /** Samples `raw` at `path`; `variant` shifts choices so array items can differ. */
  sample(raw: unknown, path: string, depth: number, variant: number): unknown {
    const schema = this.#normalize(raw, depth);
    if (schema === undefined) return null;
    if ("const" in schema) return schema.const;
    if (Array.isArray(schema.enum) && schema.enum.length > 0) {
      const choices = schema.enum as unknown[];
      return choices[(this.#hash(path) + variant) % choices.length];
    }
    switch (typeOf(schema, depth)) {
      case "object":
        return this.#object(schema, path, depth, variant);
      case "array":
        return this.#array(schema, path, depth, variant);
      case "integer":
        return this.#number(schema, path, variant, true);
      case "number":
        return this.#number(schema, path, variant, false);
      case "boolean":
        return variant % 2 === 0;
      case "null":
        return null;
      default:
        return this.#string(schema, path, variant);
    }
  }

  /** Resolves `$ref`, `allOf` and the first usable `anyOf`/`oneOf` branch into one schema. */
  #normalize(raw: unknown, depth: number): Schema | undefined {
    if (raw === true || raw === undefined) return {};
    if (raw === false || raw === null || typeof raw !== "object") return undefined;
    let schema = raw as Schema;
    for (let hops = 0; typeof schema.$ref === "string" && hops < 32; hops++) {
      const { $ref, ...rest } = schema;
      const target = this.#resolveRef($ref as string);
      if (target === null || typeof target !== "object") return rest;
      schema = merge(target as Schema, rest);
    }
    if (Array.isArray(schema.allOf)) {
      const { allOf, ...rest } = schema;
      let merged: Schema = rest;
      for (const part of allOf) {
        const resolved = this.#normalize(part, depth);
        if (resolved) merged = merge(merged, resolved);
      }
      schema = merged;
    }
    for (const keyword of ["oneOf", "anyOf"] as const) {
      const branches = schema[keyword];
      if (!Array.isArray(branches) || branches.length === 0) continue;
      const { [keyword]: _omit, ...rest } = schema;
      const resolved = branches
        .map((branch) => this.#normalize(branch, depth))
        .filter((branch): branch is Schema => branch !== undefined);
      // Prefer a branch that is not just `null`, so optional values still carry data.
      const chosen = resolved.find((branch) => branch.type !== "null") ?? resolved[0];
      schema = chosen ? merge(rest, chosen) : rest;
    }
    return schema;
  }

  #resolveRef(ref: string): unknown {
    if (!ref.startsWith("#")) return undefined;
    let node: unknown = this.#root;
    for (const raw of ref.slice(1).split("/").slice(1)) {
      const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
      if (node === null || typeof node !== "object") return undefined;
      node = (node as Record<string, unknown>)[key];
    }
    return node;
  }

  #object(schema: Schema, path: string, depth: number, variant: number): Record<string, unknown> {
    const properties = isObject(schema.properties) ? schema.properties : {};
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const shallow = depth < this.#maxDepth;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(properties)) {
      if (!required.has(key) && (!shallow || child === false)) continue;
      out[key] = this.sample(child, `${path}/${key}`, depth + 1, variant);
    }
    const additional = schema.additionalProperties;
    for (const key of required) {
      if (key in out) continue;
      out[key] = this.sample(
        isObject(additional) ? additional : {},
        `${path}/${key}`,
        depth + 1,
        variant,
      );
    }
    const dependent = isObject(schema.dependentRequired) ? schema.dependentRequired : {};
    for (const [key, needs] of Object.entries(dependent)) {
      if (!(key in out) || !Array.isArray(needs)) continue;
      for (const need of needs as string[])
        if (!(need in out))
          out[need] = this.sample(properties[need], `${path}/${need}`, depth + 1, variant);
    }
    const minProperties = typeof schema.minProperties === "number" ? schema.minProperties : 0;
    for (let n = 1; Object.keys(out).length < minProperties && additional !== false; n++) {
      const key = this.#extraKey(schema, n);
      if (!(key in out))
        out[key] = this.sample(
          isObject(additional) ? additional : {},
          `${path}/${key}`,
          depth + 1,
          variant,
        );
    }
    const maxProperties =
      typeof schema.maxProperties === "number" ? schema.maxProperties : Infinity;
    for (const key of Object.keys(out).reverse()) {
      if (Object.keys(out).length <= maxProperties) break;
      if (!required.has(key)) delete out[key];
    }
    return out;
  }

  #extraKey(schema: Schema, n: number): string {
    const patterns = isObject(schema.patternProperties)
      ? Object.keys(schema.patternProperties)
      : [];
    for (const pattern of patterns) {
      const key = stringFromPattern(pattern, { extraRepeats: n, pick: (count) => n % count });
      if (key) return key;
    }
    return `extra_${n}`;
  }

  #array(schema: Schema, path: string, depth: number, variant: number): unknown[] {
    const prefix = Array.isArray(schema.prefixItems)
      ? (schema.prefixItems as unknown[])
      : Array.isArray(schema.items)
        ? (schema.items as unknown[])
        : [];
    const rest = Array.isArray(schema.items)
      ? schema.additionalItems
      : schema.items === undefined && prefix.length > 0
        ? false
        : schema.items;
    const minItems = typeof schema.minItems === "number" ? schema.minItems : 0;
    const maxItems = Math.min(
      typeof schema.maxItems === "number" ? schema.maxItems : Infinity,
      rest === false ? prefix.length : Infinity,
    );
    // One item beyond the minimum where allowed: an example array reads better than an empty one.
    const wanted = depth < this.#maxDepth ? Math.max(minItems, prefix.length, 1) : minItems;
    const count = Math.max(0, Math.min(wanted, maxItems));
    const items: unknown[] = [];
    const seen = new Set<string>();
    for (let index = 0; index < count; index++) {
      const itemSchema = index < prefix.length ? prefix[index] : rest;
      let item: unknown;
      // uniqueItems: shift the variant until the item differs from those already chosen.
      for (let attempt = 0; attempt < 16; attempt++) {
        item = this.sample(itemSchema, `${path}/${index}`, depth + 1, variant + index + attempt);
        if (schema.uniqueItems !== true || !seen.has(JSON.stringify(item))) break;
      }
      seen.add(JSON.stringify(item));
      items.push(item);
    }
    return items;
  }

  #number(schema: Schema, path: string, variant: number, integer: boolean): number {
    const step =
      typeof schema.multipleOf === "number" && schema.multipleOf > 0
        ? schema.multipleOf
        : undefined;
    let low = typeof schema.minimum === "number" ? schema.minimum : -Infinity;
    let high = typeof schema.maximum === "number" ? schema.maximum : Infinity;
    const epsilon = integer ? 1 : (step ?? 0.5);
    if (typeof schema.exclusiveMinimum === "number")
      low = Math.max(low, schema.exclusiveMinimum + epsilon);
    else if (schema.exclusiveMinimum === true) low += epsilon;
    if (typeof schema.exclusiveMaximum === "number")
      high = Math.min(high, schema.exclusiveMaximum - epsilon);
    else if (schema.exclusiveMaximum === true) high -= epsilon;
    if (integer) {
      low = Math.ceil(low);
      high = Math.floor(high);
    }

    const spread = 1 + (this.#hash(path) % 90);
    let value: number;
    if (Number.isFinite(low) && Number.isFinite(high)) value = low + (high - low) / 2;
    else if (Number.isFinite(low)) value = low + spread;
    else if (Number.isFinite(high)) value = high - spread;
    else value = spread;
    if (!integer && !step && !Number.isFinite(low) && !Number.isFinite(high)) value += 0.5;
    value += variant * (step ?? 1);
    if (value > high) value = Math.max(low, high - variant * (step ?? 1));
    if (integer) value = Math.floor(value);

    if (step) {
      let snapped = Math.round(value / step) * step;
      if (snapped < low) snapped = Math.ceil(low / step) * step;
      if (snapped > high) snapped = Math.floor(high / step) * step;
      value = Number(snapped.toPrecision(12));
    }
    return Math.min(high, Math.max(low, value));
  }

  #string(schema: Schema, path: string, variant: number): string {
    const minLength = typeof schema.minLength === "number" ? schema.minLength : 0;
    const maxLength = typeof schema.maxLength === "number" ? schema.maxLength : Infinity;
    let text: string | undefined;
    if (typeof schema.pattern === "string") {
      const seed = this.#hash(path) + variant;
      for (let extra = 0; extra <= Math.max(4, minLength) && text === undefined; extra++) {
        let choice = seed + extra;
        const candidate = stringFromPattern(schema.pattern, {
          extraRepeats: extra,
          // Prefer the first character of each class a third of the time: readable, still varied.
          pick: (count) => (choice++ % 3 === 0 ? 0 : choice % count),
        });
        if (
          candidate !== undefined &&
          candidate.length >= minLength &&
          candidate.length <= maxLength
        )
          text = candidate;
      }
      if (text !== undefined) return text;
    }
    text = formatted(
      typeof schema.format === "string" ? schema.format : "",
      variant,
      this.#hash(path),
    );
    if (text === undefined && schema.format === undefined) {
      const hint = this.#hints.findIndex(
        (candidate) => candidate.length >= minLength && candidate.length <= maxLength,
      );
      if (hint >= 0) return this.#hints.splice(hint, 1)[0]!;
    }
    if (text === undefined) {
      const key =
        path
          .split("/")
          .filter((segment) => !/^\d+$/.test(segment))
          .pop() || "value";
      const words = key
        .replace(/([a-z])([A-Z])/g, "$1 $2")
        .replace(/[_\-.]+/g, " ")
        .toLowerCase();
      text = `${words} ${WORDS[(this.#hash(path) + variant) % WORDS.length]}`;
      if (variant > 0) text += ` ${variant + 1}`;
    }
    while (text.length < minLength) text += text.length === 0 ? "x" : " x";
    return text.length > maxLength ? text.slice(0, maxLength) : text;
  }

  #hash(path: string): number {
    return hashString(path, this.#seed);
  }
}

function formatted(format: string, variant: number, hash: number): string | undefined {
  const day = 1 + ((hash + variant) % 28);
  const date = `2024-0${1 + (hash % 9)}-${String(day).padStart(2, "0")}`;
  switch (format) {
    case "date":
      return date;
    case "date-time":
      return `${date}T09:30:00Z`;
    case "time":
      return "09:30:00Z";
    case "duration":
      return `P${1 + variant}D`;
    case "email":
    case "idn-email":
      return `user${variant || ""}@example.com`;
    case "hostname":
    case "idn-hostname":
      return `host${variant || ""}.example.com`;
    case "ipv4":
      return `192.0.2.${1 + (variant % 250)}`;
    case "ipv6":
      return `2001:db8::${(1 + variant).toString(16)}`;
    case "uri":
    case "url":
    case "iri":
    case "uri-reference":
    case "iri-reference":
      return `https://example.com/resource/${1 + variant}`;
    case "uri-template":
      return "https://example.com/{id}";
    case "uuid": {
      const hex = (hash + variant).toString(16).padStart(12, "0").slice(-12);
      return `00000000-0000-4000-8000-${hex}`;
    }
    case "json-pointer":
      return "/items/0";
    case "relative-json-pointer":
      return "0";
    case "regex":
      return "^[a-z]+$";
    case "byte":
      return "c2FtcGxl";
    default:
      return undefined;
  }
}

/** The type to generate: the declared one (first non-null of a list), else inferred. */
function typeOf(schema: Schema, depth: number): string {
  const declared = schema.type;
  if (typeof declared === "string") return declared;
  if (Array.isArray(declared) && declared.length > 0)
    return (declared.find((type) => type !== "null") ?? declared[0]) as string;
  if ("properties" in schema || "required" in schema || "additionalProperties" in schema)
    return "object";
  if ("items" in schema || "prefixItems" in schema) return "array";
  if ("minimum" in schema || "maximum" in schema || "multipleOf" in schema) return "number";
  // A bare `{}` at the top is a tool input or a structured reply: both must be objects.
  return depth === 0 ? "object" : "string";
}

function merge(base: Schema, extra: Schema): Schema {
  const merged: Schema = { ...base, ...extra };
  if (isObject(base.properties) && isObject(extra.properties))
    merged.properties = { ...base.properties, ...extra.properties };
  if (Array.isArray(base.required) && Array.isArray(extra.required))
    merged.required = [...new Set([...base.required, ...extra.required])];
  return merged;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
