import type { EmulatorConfig } from "../config/emulator-config.js";
import type { ToolCall } from "../families/invocation-types.js";
import { hashString } from "../state/seeded-random.js";
import { type CompiledScriptRule, loadScriptRules } from "./load-script-rules.js";
import type { ResponderStage } from "./text-responder.js";

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * A responder stage that answers from scripted rules: the first rule whose `model` (if any)
 * names the model called and whose `contains` / `pattern` matches the prompt text wins. A rule
 * with neither matches every prompt. Without a match the next stage answers.
 */
export function scriptedStage(rules: readonly CompiledScriptRule[]): ResponderStage {
  return (call, context) => {
    for (const rule of rules) {
      if (
        rule.model !== undefined &&
        rule.model !== context.requestedId &&
        rule.model !== context.model.modelId
      )
        continue;
      if (rule.contains !== undefined && !call.promptText.includes(rule.contains)) continue;
      let groups: RegExpExecArray | undefined;
      if (rule.pattern) {
        const found = rule.pattern.exec(call.promptText);
        if (!found) continue;
        groups = found;
      }
      const fill = (text: string) => (groups ? substitute(text, groups) : text);
      const text =
        rule.reply !== undefined
          ? fill(rule.reply)
          : rule.hasJson
            ? JSON.stringify(fillStrings(rule.json, fill))
            : "";
      const toolCalls: ToolCall[] = rule.toolCalls.map((tool, index) => ({
        id: toolUseId(`${call.promptText}\u0000${tool.name}\u0000${index}`, context.seed),
        name: tool.name,
        input: fillStrings(tool.input, fill),
      }));
      return {
        text,
        ...(toolCalls.length ? { toolCalls } : {}),
        ...(rule.stopReason ? { stopReason: rule.stopReason } : {}),
      };
    }
    return undefined;
  };
}

/**
 * The scripted stage for a configuration, or none when `responder.script` is unset. Reads the
 * script file synchronously: this runs at start-up and on `configure()`, never per request.
 */
export function scriptedStagesFor(config: EmulatorConfig): ResponderStage[] {
  const rules = loadScriptRules(config.responder.script);
  return rules.length ? [scriptedStage(rules)] : [];
}

/** Replaces `$1`…`$99` and `$<name>` with the pattern's groups (a missing group is empty). */
function substitute(text: string, groups: RegExpExecArray): string {
  return text.replace(
    /\$(?:(\d{1,2})|<([A-Za-z_]\w*)>)/g,
    (_match, index?: string, name?: string) =>
      index !== undefined ? (groups[Number(index)] ?? "") : (groups.groups?.[name!] ?? ""),
  );
}

/** Applies `fill` to every string inside a JSON value. */
function fillStrings(value: unknown, fill: (text: string) => string): unknown {
  if (typeof value === "string") return fill(value);
  if (Array.isArray(value)) return value.map((item) => fillStrings(item, fill));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, fillStrings(item, fill)]),
    );
  return value;
}

/** A tool-use id shaped like Bedrock's (`tooluse_` + 22 characters), stable for a prompt. */
function toolUseId(text: string, seed: number): string {
  let state = hashString(text, seed);
  let id = "tooluse_";
  for (let i = 0; i < 22; i++) {
    state = Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + i;
    id += ID_ALPHABET[(state >>> 0) % ID_ALPHABET.length];
  }
  return id;
}
