import { createHash } from "node:crypto";

/** How a cassette recognises a request: method, normalised path, and a hash of the body. */
export interface RequestKey {
  readonly method: string;
  /** Each segment decoded and re-encoded, so `:` and `%3A` in a model id are the same key. */
  readonly path: string;
  /** SHA-256 (hex) of the body with volatile fields removed and object keys sorted. */
  readonly bodySha256: string;
  /**
   * The `x-amzn-bedrock-*` request headers (guardrail, trace, performance configuration,
   * service tier), which change the answer as much as the body does; absent when none was sent.
   */
  readonly bedrockHeaders?: Readonly<Record<string, string>>;
}

/**
 * Top-level body fields that vary from run to run without changing the answer: Converse's
 * `requestMetadata` carries caller tags such as trace ids.
 */
export const VOLATILE_BODY_FIELDS: readonly string[] = ["requestMetadata"];

/**
 * The cassette key of a request. A JSON body is hashed in a canonical form (sorted keys, no
 * whitespace, volatile fields dropped), so the same call from boto3 and from the JavaScript SDK
 * — which order and space their JSON differently — finds the same recording; any other body is
 * hashed byte for byte. The query string is part of the path.
 */
export function requestKey(
  method: string,
  rawPath: string,
  query: string,
  body: Buffer,
  headers: Readonly<Record<string, string | string[] | undefined>> = {},
): RequestKey {
  const path =
    rawPath
      .split("/")
      .map((segment) => encodeURIComponent(safeDecode(segment)))
      .join("/") + (query ? `?${query}` : "");
  const bedrockHeaders: Record<string, string> = {};
  for (const name of Object.keys(headers).sort()) {
    const value = headers[name];
    if (value !== undefined && name.toLowerCase().startsWith("x-amzn-bedrock-"))
      bedrockHeaders[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return {
    method: method.toUpperCase(),
    path,
    bodySha256: sha256(canonicalBody(body)),
    ...(Object.keys(bedrockHeaders).length ? { bedrockHeaders } : {}),
  };
}

/** The key as one string, for lookups. */
export function keyString(key: RequestKey): string {
  const headers = key.bedrockHeaders ? ` ${JSON.stringify(sortKeys(key.bedrockHeaders))}` : "";
  return `${key.method} ${key.path} ${key.bodySha256}${headers}`;
}

function canonicalBody(body: Buffer): Buffer | string {
  if (body.length === 0) return body;
  let json: unknown;
  try {
    json = JSON.parse(body.toString("utf8"));
  } catch {
    return body;
  }
  if (json !== null && typeof json === "object" && !Array.isArray(json)) {
    const trimmed: Record<string, unknown> = { ...(json as Record<string, unknown>) };
    for (const field of VOLATILE_BODY_FIELDS) delete trimmed[field];
    json = trimmed;
  }
  return JSON.stringify(sortKeys(json));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  return value;
}

function sha256(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
