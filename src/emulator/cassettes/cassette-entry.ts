import type { RequestKey } from "./request-key.js";

/** One recorded exchange: one line of a cassette file (JSONL). */
export interface CassetteEntry {
  /** The AWS operation, e.g. `InvokeModel`. */
  readonly operation: string;
  /** The model id as the request's path gave it. */
  readonly modelId?: string;
  readonly key: RequestKey;
  readonly status: number;
  /** Scrubbed response headers (see `scrubHeaders`). */
  readonly headers: Readonly<Record<string, string>>;
  /** `utf8` for text that survives the round trip unchanged, else `base64` (event streams). */
  readonly bodyEncoding: "utf8" | "base64";
  readonly body: string;
  /** When it was recorded (ISO 8601), for people reading the file. */
  readonly recordedAt: string;
}

/** Encodes a response body for a cassette line, keeping it byte-exact. */
export function encodeBody(
  body: Buffer,
  contentType: string | undefined,
): Pick<CassetteEntry, "bodyEncoding" | "body"> {
  if (!contentType?.includes("eventstream")) {
    const text = body.toString("utf8");
    if (Buffer.from(text, "utf8").equals(body)) return { bodyEncoding: "utf8", body: text };
  }
  return { bodyEncoding: "base64", body: body.toString("base64") };
}

/** The exact bytes of a recorded body. */
export function decodeBody(entry: Pick<CassetteEntry, "bodyEncoding" | "body">): Buffer {
  return Buffer.from(entry.body, entry.bodyEncoding === "base64" ? "base64" : "utf8");
}

/** Checks one parsed cassette line; returns what is wrong, or undefined. */
export function entryProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    return "expected a JSON object";
  const entry = value as Record<string, unknown>;
  const key = entry.key as Record<string, unknown> | undefined;
  if (typeof entry.operation !== "string") return '"operation" must be a string';
  if (
    !key ||
    typeof key.method !== "string" ||
    typeof key.path !== "string" ||
    typeof key.bodySha256 !== "string"
  )
    return '"key" must be {method, path, bodySha256}';
  if (typeof entry.status !== "number" || !Number.isInteger(entry.status))
    return '"status" must be an integer';
  if (entry.headers === null || typeof entry.headers !== "object")
    return '"headers" must be an object';
  if (entry.bodyEncoding !== "utf8" && entry.bodyEncoding !== "base64")
    return '"bodyEncoding" must be "utf8" or "base64"';
  if (typeof entry.body !== "string") return '"body" must be a string';
  return undefined;
}
