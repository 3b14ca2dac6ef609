// Test helpers for the family dialects: documentation fixtures, shape comparison, stream
// decoding. Lives beside the fixtures so it is neither built nor shipped.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  type BedrockRuntimeClient,
  InvokeModelCommand,
  type InvokeModelWithResponseStreamCommandOutput,
} from "@aws-sdk/client-bedrock-runtime";

/** A fixture: the body, where it came from, and whether it is an example or a typed shape. */
export interface Fixture {
  readonly source: string;
  readonly kind: "example" | "documented-shape";
  readonly body: any;
}

/** Reads `__fixtures__/<name>.json`, splitting the `_`-prefixed metadata from the body. */
export function loadFixture(name: string): Fixture {
  const path = fileURLToPath(new URL(`./${name}.json`, import.meta.url));
  const raw = JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  const body: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) if (!key.startsWith("_")) body[key] = value;
  if (typeof raw._source !== "string" || !raw._source.startsWith("https://"))
    throw new Error(`fixture ${name} has no _source URL`);
  const kind = raw._kind === "example" ? "example" : "documented-shape";
  return { source: raw._source, kind, body };
}

/** The JSON body of a fixture, as a request body string. */
export function fixtureBody(name: string): string {
  return JSON.stringify(loadFixture(name).body);
}

const TYPE_WORDS = new Set([
  "int",
  "integer",
  "float",
  "number",
  "string",
  "boolean",
  "null",
  "object",
  "array",
  "any",
]);

/** A documented shape from an example body: each value replaced by its type. */
function shapeOfExample(value: unknown): unknown {
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length ? [shapeOfExample(value[0])] : [];
  if (typeof value === "object")
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([key, item]) => [
        key,
        shapeOfExample(item),
      ]),
    );
  return typeof value;
}

function matchesType(value: unknown, word: string): boolean {
  switch (word) {
    case "int":
    case "integer":
      return Number.isInteger(value);
    case "float":
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "string":
      return typeof value === "string";
    case "boolean":
      return typeof value === "boolean";
    case "null":
      return value === null;
    case "array":
      return Array.isArray(value);
    case "object":
      return value !== null && typeof value === "object" && !Array.isArray(value);
    default:
      return true;
  }
}

/**
 * Compares a reply with a fixture's shape and lists every difference: a missing key, an
 * unexpected key, a value of another type. Keys in `optional` (dotted paths such as
 * `error` or `choices.message.tool_calls`) may be absent.
 */
export function shapeMismatches(
  actual: unknown,
  fixture: Fixture,
  optional: readonly string[] = [],
): string[] {
  const shape = fixture.kind === "example" ? shapeOfExample(fixture.body) : fixture.body;
  const problems: string[] = [];
  compare(actual, shape, "", new Set(optional), problems);
  return problems;
}

function compare(
  actual: unknown,
  shape: unknown,
  path: string,
  optional: ReadonlySet<string>,
  problems: string[],
): void {
  const where = path || "(root)";
  if (typeof shape === "string") {
    const words = shape.split("|");
    if (words.every((word) => TYPE_WORDS.has(word))) {
      if (!words.some((word) => matchesType(actual, word)))
        problems.push(`${where}: expected ${shape}, got ${JSON.stringify(actual)?.slice(0, 60)}`);
      return;
    }
    if (typeof actual !== "string") problems.push(`${where}: expected a string`);
    return;
  }
  if (Array.isArray(shape)) {
    if (!Array.isArray(actual)) {
      problems.push(`${where}: expected an array`);
      return;
    }
    if (shape.length) for (const item of actual) compare(item, shape[0], path, optional, problems);
    return;
  }
  if (shape !== null && typeof shape === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
      problems.push(`${where}: expected an object`);
      return;
    }
    const expected = shape as Record<string, unknown>;
    const got = actual as Record<string, unknown>;
    for (const key of Object.keys(expected)) {
      const keyPath = path ? `${path}.${key}` : key;
      if (!(key in got)) {
        if (!optional.has(keyPath)) problems.push(`${keyPath}: missing`);
        continue;
      }
      compare(got[key], expected[key], keyPath, optional, problems);
    }
    for (const key of Object.keys(got))
      if (!(key in expected)) problems.push(`${path ? `${path}.${key}` : key}: unexpected key`);
    return;
  }
  if (actual !== shape) problems.push(`${where}: expected ${JSON.stringify(shape)}`);
}

/** Every decoded chunk of an InvokeModelWithResponseStream reply, in order. */
export async function streamChunks(
  response: InvokeModelWithResponseStreamCommandOutput,
): Promise<any[]> {
  const chunks: any[] = [];
  for await (const event of response.body!) {
    if (event.chunk?.bytes) chunks.push(JSON.parse(Buffer.from(event.chunk.bytes).toString()));
  }
  return chunks;
}

/** The token-count and latency headers of the last reply a client received. */
export interface UsageHeaders {
  readonly input: number;
  readonly output: number;
  readonly latency: number;
}

/**
 * Records the raw headers of every reply a client receives: the SDK does not model Bedrock's
 * `X-Amzn-Bedrock-*` usage headers, so a deserialize-step middleware reads them off the wire.
 */
export function recordUsageHeaders(client: BedrockRuntimeClient): () => UsageHeaders {
  let last: Record<string, string> = {};
  client.middlewareStack.add(
    (next) => async (args) => {
      const result = await next(args);
      last = ((result.response as { headers?: Record<string, string> }).headers ?? {}) as Record<
        string,
        string
      >;
      return result;
    },
    { step: "deserialize", name: "recordUsageHeaders" },
  );
  return () => ({
    input: Number(last["x-amzn-bedrock-input-token-count"]),
    output: Number(last["x-amzn-bedrock-output-token-count"]),
    latency: Number(last["x-amzn-bedrock-invocation-latency"]),
  });
}

/** What a refused request came back as. */
export interface Refusal {
  readonly name: string;
  readonly message: string;
  readonly status: number | undefined;
}

/** Sends a body that must be refused and returns the error's class name, message and status. */
export async function refusal(
  client: BedrockRuntimeClient,
  modelId: string,
  body: unknown,
): Promise<Refusal> {
  try {
    await client.send(
      new InvokeModelCommand({
        modelId,
        body: typeof body === "string" ? body : JSON.stringify(body),
      }),
    );
  } catch (error) {
    const failure = error as Error & { $metadata?: { httpStatusCode?: number } };
    return {
      name: failure.name,
      message: failure.message,
      status: failure.$metadata?.httpStatusCode,
    };
  }
  throw new Error(`expected ${modelId} to refuse ${JSON.stringify(body).slice(0, 80)}`);
}

/** Bedrock's wording for a body that breaks the schema, for one or more violations. */
export function malformed(...violations: string[]): string {
  return `Malformed input request: ${violations.join("")}, please reformat your input and try again.`;
}
