import type { TextCall, ToolCall, Turn } from "../families/invocation-types.js";
import { chooseTool } from "./choose-tool.js";
import { sampleFromSchema } from "./schema-sample.js";
import { promptSeed } from "./synthetic-text.js";
import type { ResponderStage } from "./text-responder.js";
import { toolUseId } from "./tool-use-id.js";

/** How long a quoted tool result may be in the final answer before it is cut. */
const QUOTE_LIMIT = 300;

/**
 * Tool use, the way a model that follows its tools behaves:
 *
 * - when the last user message carries tool results, the model answers in text that quotes
 *   them (unless a structured-output schema asks for JSON, which the next stage writes);
 * - otherwise, when tools are offered and `chooseTool` picks one, the model calls it with an
 *   input generated from the tool's JSON Schema, so the input always validates against it.
 *
 * A conversation that ends with an assistant turn (a prefill) is left to the next stage.
 */
export const toolUseStage: ResponderStage = (call, context) => {
  const last = call.turns.at(-1);
  if (last?.role !== "user") return undefined;
  if (last.toolResults.length > 0) {
    if (call.responseSchema !== undefined) return undefined;
    return { text: answerFromResults(call, last) };
  }
  const tool = chooseTool(call, last.text);
  if (!tool) return undefined;
  const seed = promptSeed(call.promptText, context.seed);
  const sampled = sampleFromSchema(tool.inputSchema, { seed, hints: promptValues(last.text) });
  // A tool input is always a JSON object, whatever the schema's top says.
  const input =
    sampled !== null && typeof sampled === "object" && !Array.isArray(sampled) ? sampled : {};
  const prefix =
    call.toolUseIdPrefix ??
    (context.model.dialect === "anthropic-messages" ? "toolu_bdrk_01" : "tooluse_");
  const toolCall: ToolCall = {
    id: toolUseId(prefix, `${call.promptText}\u0000${tool.name}`, context.seed),
    name: tool.name,
    input,
  };
  // Forced tool choice yields only the call; a model choosing freely says what it is doing.
  const text =
    call.toolChoice.type === "auto" ? `I'll use the ${tool.name} tool to answer this.` : "";
  return { text, toolCalls: [toolCall], stopReason: "tool_use" };
};

/** A final answer that names each tool and quotes what it returned. */
function answerFromResults(call: TextCall, last: Turn): string {
  const names = new Map<string, string>();
  for (const turn of call.turns)
    for (const toolCall of turn.toolCalls) names.set(toolCall.id, toolCall.name);
  const parts = last.toolResults.map((result) => {
    const name = names.get(result.toolUseId) ?? "the tool";
    const quoted = quote(result.text);
    return result.status === "error"
      ? `${name} reported an error: ${quoted}`
      : `${name} returned ${quoted}`;
  });
  return `Based on the tool results, ${parts.join("; ")}.`;
}

function quote(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim() || "nothing";
  return flat.length > QUOTE_LIMIT ? `${flat.slice(0, QUOTE_LIMIT)}…` : flat;
}

/**
 * Values in a prompt that a model would copy into a tool's input: double-quoted strings, then codes
 * written in capitals or digits (call signs, tickers, ids such as `WZPZ` or `AB-1234`).
 */
export function promptValues(prompt: string): string[] {
  const quoted = [...prompt.matchAll(/"([^"\n]{1,80})"/g)].map((match) => match[1]!);
  const codes = prompt.match(/\b(?=[A-Z0-9-]*[A-Z])[A-Z0-9][A-Z0-9-]{1,15}\b/g) ?? [];
  return [...new Set([...quoted, ...codes.filter((code) => code !== "I")])];
}
