import { promptJsonShape } from "./prompt-json-schema.js";
import { sampleFromSchema } from "./schema-sample.js";
import { promptSeed, syntheticText } from "./synthetic-text.js";
import type { ResponderStage } from "./text-responder.js";

/**
 * Structured output: with a response schema (Converse `outputConfig.textFormat`), the reply is
 * JSON that validates against it. Without one, a prompt that asks for JSON and embeds a schema
 * or an example of the answer gets JSON of that shape, and one that only asks for JSON gets
 * `{"answer": "..."}`. Only the system prompt and the last user message are read.
 */
export const structuredOutputStage: ResponderStage = (call, context) => {
  const seed = promptSeed(call.promptText, context.seed);
  if (call.responseSchema !== undefined) {
    return { text: JSON.stringify(sampleFromSchema(call.responseSchema, { seed })) };
  }
  const last = call.turns.at(-1);
  if (last?.role !== "user") return undefined;
  const shape = promptJsonShape(`${call.system}\n${last.text}`);
  if (!shape) return undefined;
  if (shape.kind === "schema")
    return { text: JSON.stringify(sampleFromSchema(shape.schema, { seed })) };
  const answer = syntheticText({ targetTokens: 24, maxTokens: 24, seed }).text;
  return { text: JSON.stringify({ answer }) };
};
