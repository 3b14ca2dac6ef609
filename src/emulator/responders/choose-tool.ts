import type { TextCall, ToolSpec } from "../families/invocation-types.js";

// The emulator's rule for when a model calls a tool, which tests can rely on:
//
// - `toolChoice: tool` calls the named tool;
// - `toolChoice: any` calls the tool the prompt matches best, else the first tool;
// - `toolChoice: auto` calls the best-matching tool only if the prompt matches one at all;
// - `toolChoice: none` never calls a tool.
//
// A prompt matches a tool when it contains the tool's full name, or one of the words of its name
// (split at `_`, `-`, `.` and camelCase humps) of four letters or more, compared without a plural
// "s": `top_song` matches "What is the most popular song on WZPZ?", `get_weather` matches "Is the
// weather nice?", and neither matches "Tell me a story." Only the last user message is read.

/** The tool the model calls for this prompt, or undefined when it answers in text. */
export function chooseTool(call: TextCall, prompt: string): ToolSpec | undefined {
  const { tools, toolChoice } = call;
  if (tools.length === 0 || toolChoice.type === "none") return undefined;
  if (toolChoice.type === "tool") return tools.find((tool) => tool.name === toolChoice.name);
  const promptWords = new Set(wordsOf(prompt));
  const lowerPrompt = prompt.toLowerCase();
  let best: ToolSpec | undefined;
  let bestScore = 0;
  for (const tool of tools) {
    const score = toolMatchScore(tool, promptWords, lowerPrompt);
    if (score > bestScore) {
      best = tool;
      bestScore = score;
    }
  }
  if (best) return best;
  return toolChoice.type === "any" ? tools[0] : undefined;
}

function toolMatchScore(tool: ToolSpec, promptWords: Set<string>, lowerPrompt: string): number {
  let score = lowerPrompt.includes(tool.name.toLowerCase()) ? 10 : 0;
  for (const word of wordsOf(splitName(tool.name))) {
    if (word.length >= 4 && promptWords.has(word)) score++;
  }
  return score;
}

function splitName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_\-.]+/g, " ");
}

/** Lower-case words with a trailing plural "s" removed. */
function wordsOf(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+/g) ?? []).map((word) =>
    word.length > 4 && word.endsWith("s") && !word.endsWith("ss") ? word.slice(0, -1) : word,
  );
}
