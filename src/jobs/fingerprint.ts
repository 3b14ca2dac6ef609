import * as crypto from "node:crypto";

/**
 * What a job's results depend on, recorded in the journal's header so that a resumed run can
 * refuse to mix results from two different jobs. Short texts are kept as they are (so the refusal
 * can say "model was X, now Y"); long ones as hashes.
 *
 * Input rows are not part of it: a dataset can be larger than memory and is read as a stream, so
 * instead each journal entry carries a hash of its own row (`rowHash`), checked when that row is
 * met again on resume. The fingerprint plus the row hashes detect a changed template, system
 * prompt, model, API, schema, option or input row.
 */
export interface JobFingerprint {
  readonly version: 1;
  readonly model: string;
  readonly api: string;
  /** SHA-256 of the prompt template's text. */
  readonly template: string;
  /** SHA-256 of the system prompt's text, or null without one. */
  readonly system: string | null;
  /** SHA-256 of the schema in canonical JSON, or null without one. */
  readonly schema: string | null;
  /**
   * The options that change what is asked or what is recorded (max tokens, temperature, the id
   * column, the carried columns...), canonical.
   */
  readonly options: Readonly<Record<string, unknown>>;
}

/** The parts a fingerprint is made of. */
export interface FingerprintParts {
  readonly model: string;
  readonly api: string;
  readonly template: string;
  readonly system?: string | undefined;
  readonly schema?: unknown;
  /** Options that change the replies or the records; `undefined` values are dropped. */
  readonly options?: Readonly<Record<string, unknown>>;
}

/** Computes the fingerprint of a job. */
export function jobFingerprint(parts: FingerprintParts): JobFingerprint {
  const options: Record<string, unknown> = {};
  for (const key of Object.keys(parts.options ?? {}).sort()) {
    const value = parts.options?.[key];
    if (value !== undefined) options[key] = JSON.parse(canonicalJson(value));
  }
  return {
    version: 1,
    model: parts.model,
    api: parts.api,
    template: sha256(parts.template),
    system: parts.system === undefined ? null : sha256(parts.system),
    schema: parts.schema === undefined ? null : sha256(canonicalJson(parts.schema)),
    options,
  };
}

/**
 * What differs between the fingerprint a journal was started with and the current one, as
 * phrases ("the prompt template changed", "model changed from X to Y"); empty when equal.
 */
export function describeFingerprintChanges(
  previous: JobFingerprint,
  current: JobFingerprint,
): string[] {
  const changes: string[] = [];
  if (previous.model !== current.model)
    changes.push(`the model changed from "${previous.model}" to "${current.model}"`);
  if (previous.api !== current.api)
    changes.push(`the API changed from "${previous.api}" to "${current.api}"`);
  if (previous.template !== current.template) changes.push("the prompt template changed");
  if (previous.system !== current.system)
    changes.push(
      previous.system === null
        ? "a system prompt was added"
        : current.system === null
          ? "the system prompt was removed"
          : "the system prompt changed",
    );
  if (previous.schema !== current.schema)
    changes.push(
      previous.schema === null
        ? "a schema was added"
        : current.schema === null
          ? "the schema was removed"
          : "the schema changed",
    );
  const keys = new Set([
    ...Object.keys(previous.options ?? {}),
    ...Object.keys(current.options ?? {}),
  ]);
  for (const key of [...keys].sort()) {
    const before = previous.options?.[key];
    const after = current.options?.[key];
    if (canonicalJson(before) !== canonicalJson(after))
      changes.push(`${key} changed from ${showValue(before)} to ${showValue(after)}`);
  }
  return changes;
}

/**
 * A 64-bit hash (16 hex digits) of a record's id and fields, independent of key order: stored
 * with the record's journal entry to detect, on resume, that the input row was edited.
 */
export function rowHash(id: string, fields: Readonly<Record<string, unknown>>): string {
  return sha1(`${id}\u0000${canonicalJson(fields)}`).slice(0, 16);
}

// The one-shot `crypto.hash` (Node ≥ 20.12) is about twice as fast as a Hash object on short
// input, which matters once per row of a million-row dataset.
const sha1: (text: string) => string =
  typeof crypto.hash === "function"
    ? (text) => crypto.hash("sha1", text, "hex")
    : (text) => crypto.createHash("sha1").update(text).digest("hex");

/** JSON with object keys sorted at every level, so equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(",")}]`;
  const object = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(object).sort()) {
    if (object[key] === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${canonicalJson(object[key])}`);
  }
  return `{${parts.join(",")}}`;
}

function sha256(text: string): string {
  return crypto.createHash("sha256").update(text).digest("hex");
}

function showValue(value: unknown): string {
  return value === undefined ? "(not set)" : canonicalJson(value);
}
