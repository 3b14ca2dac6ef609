// Structured prompts without native structured output: a prompt that asks for JSON and carries
// a JSON Schema, or a JSON example of the answer (as the seed notebook's templates do), gets a
// reply of that shape. A prompt that only says "respond in JSON" gets `{"answer": ...}`.

/** Phrases that ask for a JSON reply, not merely mention JSON. */
const ASKS_FOR_JSON =
  /\b(?:in|as|with|valid|only|return|respond|reply|output|format(?:ted)?)\s+(?:(?:a|an|the|following|this)\s+)?json\b|\bjson\s+(?:format|object|only|output|response|schema)\b/i;

/** What a structured prompt asks for. */
export type PromptJsonShape =
  | { readonly kind: "schema"; readonly schema: unknown }
  | { readonly kind: "answer" };

/**
 * The JSON shape a prompt asks its reply to have: the schema it embeds, or one inferred from the
 * JSON example it embeds, or a plain answer object; undefined when it does not ask for JSON.
 */
export function promptJsonShape(prompt: string): PromptJsonShape | undefined {
  if (!/json/i.test(prompt)) return undefined;
  const embedded = embeddedJsonObjects(prompt);
  for (const value of embedded) {
    if (looksLikeSchema(value)) return { kind: "schema", schema: value };
  }
  if (!ASKS_FOR_JSON.test(prompt)) return undefined;
  const example = embedded[0];
  if (example !== undefined) return { kind: "schema", schema: schemaFromExample(example) };
  return { kind: "answer" };
}

/** A JSON Schema every value of the example's shape validates against. */
export function schemaFromExample(example: unknown): Record<string, unknown> {
  if (example === null) return { type: "null" };
  if (Array.isArray(example)) {
    return example.length > 0
      ? { type: "array", items: schemaFromExample(example[0]), minItems: 1 }
      : { type: "array" };
  }
  switch (typeof example) {
    case "string":
      return { type: "string" };
    case "number":
      return { type: Number.isInteger(example) ? "integer" : "number" };
    case "boolean":
      return { type: "boolean" };
    case "object": {
      const entries = Object.entries(example as Record<string, unknown>);
      return {
        type: "object",
        properties: Object.fromEntries(
          entries.map(([key, value]) => [key, schemaFromExample(value)]),
        ),
        required: entries.map(([key]) => key),
      };
    }
    default:
      return {};
  }
}

function looksLikeSchema(value: Record<string, unknown>): boolean {
  if (typeof value.$schema === "string") return true;
  const properties = value.properties;
  if (properties === null || typeof properties !== "object" || Array.isArray(properties))
    return false;
  return (
    value.type === "object" ||
    Object.values(properties).every(
      (child) =>
        child !== null && typeof child === "object" && ("type" in child || "enum" in child),
    )
  );
}

/** Every top-level `{...}` in the text that parses as a JSON object, in order. */
function embeddedJsonObjects(text: string): Record<string, unknown>[] {
  const found: Record<string, unknown>[] = [];
  for (let start = text.indexOf("{"); start >= 0; ) {
    const end = matchingBrace(text, start);
    if (end < 0) break;
    try {
      const value: unknown = JSON.parse(text.slice(start, end + 1));
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        found.push(value as Record<string, unknown>);
        start = text.indexOf("{", end + 1);
        continue;
      }
    } catch {
      // Not JSON (a template placeholder, prose in braces): look inside it instead.
    }
    start = text.indexOf("{", start + 1);
  }
  return found;
}

/** The index of the brace closing the one at `start`, skipping braces inside JSON strings. */
function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === "\\") i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === "{") depth++;
    else if (char === "}" && --depth === 0) return i;
  }
  return -1;
}
