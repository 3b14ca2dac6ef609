import { awsErrors } from "../emulator-error.js";

/** Deepest nesting a request body may have; deeper bodies are refused before any recursion. */
export const MAX_JSON_DEPTH = 100;

/**
 * Refuses a parsed body nested deeper than `MAX_JSON_DEPTH` with the ValidationException Bedrock
 * sends for a malformed body. Checked without recursion, so that a hostile body cannot exhaust
 * the stack of anything that walks it later (validation, token counting, JSON.stringify).
 */
export function assertJsonDepth(value: unknown, limit = MAX_JSON_DEPTH): void {
  const pending: [unknown, number][] = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (node === null || typeof node !== "object") continue;
    if (depth > limit)
      throw awsErrors.validation(
        "Malformed input request, please reformat your input and try again.",
      );
    for (const child of Array.isArray(node) ? node : Object.values(node))
      if (child !== null && typeof child === "object") pending.push([child, depth + 1]);
  }
}
