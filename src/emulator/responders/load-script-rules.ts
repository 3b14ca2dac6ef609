import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { QuarryError } from "../../errors/quarry-error.js";
import { type ScriptRule, scriptRuleSchema } from "../config/emulator-config.js";
import type { StopReason } from "../families/invocation-types.js";

/** The stop reasons a scripted rule may report (the emulator's Converse vocabulary). */
const STOP_REASONS: readonly StopReason[] = [
  "end_turn",
  "tool_use",
  "max_tokens",
  "stop_sequence",
  "guardrail_intervened",
  "content_filtered",
];

/** A scripted rule, checked and with its pattern compiled. */
export interface CompiledScriptRule {
  readonly contains?: string;
  readonly pattern?: RegExp;
  readonly model?: string;
  readonly reply?: string;
  /** Present (possibly `null`) when the rule answers with a JSON value. */
  readonly json?: unknown;
  readonly hasJson: boolean;
  readonly toolCalls: readonly { readonly name: string; readonly input: unknown }[];
  readonly stopReason?: StopReason;
  /** Where the rule came from, for messages: `rules.jsonl line 3` or `rule 2`. */
  readonly origin: string;
}

/** Options for `loadScriptRules`. */
export interface LoadScriptRulesOptions {
  /**
   * Directory a relative script path is resolved against.
   * @default process.cwd()
   */
  readonly baseDirectory?: string;
}

/**
 * Loads scripted replies from `responder.script`: a JSONL file of rules (one JSON object a
 * line; blank lines are skipped) or the rules inline. Every rule is validated when loaded, so a
 * typo fails at start-up (or on `configure()`) with the file and line, never mid-run.
 */
export function loadScriptRules(
  script: string | readonly ScriptRule[] | undefined,
  options: LoadScriptRulesOptions = {},
): CompiledScriptRule[] {
  if (script === undefined) return [];
  if (typeof script !== "string")
    return script.map((rule, index) =>
      compileRule(rule, `emulator config responder.script rule ${index + 1}`),
    );

  const path = resolve(options.baseDirectory ?? process.cwd(), script);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (cause) {
    throw new QuarryError(
      "emulator.config",
      `Cannot read the scripted replies file ${path} (responder.script)`,
      { cause, hint: "Give responder.script a JSONL file path, or an array of rules." },
    );
  }
  const rules: CompiledScriptRule[] = [];
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index]!.trim();
    if (!line) continue;
    const origin = `${path} line ${index + 1}`;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch (cause) {
      throw new QuarryError(
        "emulator.config",
        `Scripted replies ${origin}: not valid JSON (${(cause as Error).message})`,
        { cause, hint: "Each line of a script file is one JSON object: one rule." },
      );
    }
    const parsed = scriptRuleSchema.safeParse(data);
    if (!parsed.success) {
      const detail = parsed.error.issues
        .map((issue) => `${issue.path.length ? issue.path.join(".") : "(rule)"}: ${issue.message}`)
        .join("; ");
      throw new QuarryError("emulator.config", `Scripted replies ${origin}: ${detail}`, {
        hint: 'A rule has "contains" or "pattern", optionally "model", and "reply", "json" or "toolCalls".',
      });
    }
    rules.push(compileRule(parsed.data, origin));
  }
  return rules;
}

function compileRule(rule: ScriptRule, origin: string): CompiledScriptRule {
  const fail = (message: string) =>
    new QuarryError("emulator.config", `Scripted replies ${origin}: ${message}`);
  const hasJson = "json" in rule && rule.json !== undefined;
  if (rule.reply === undefined && !hasJson && !rule.toolCalls?.length)
    throw fail('expected "reply", "json" or "toolCalls", got none of them');
  if (rule.reply !== undefined && hasJson) throw fail('give either "reply" or "json", not both');
  let pattern: RegExp | undefined;
  if (rule.pattern !== undefined) {
    try {
      pattern = new RegExp(rule.pattern);
    } catch (cause) {
      throw fail(`"pattern" is not a valid regular expression: ${(cause as Error).message}`);
    }
  }
  if (rule.stopReason !== undefined && !STOP_REASONS.includes(rule.stopReason as StopReason))
    throw fail(
      `"stopReason" expects one of ${STOP_REASONS.join(", ")}, got ${JSON.stringify(rule.stopReason)}`,
    );
  return {
    ...(rule.contains !== undefined ? { contains: rule.contains } : {}),
    ...(pattern ? { pattern } : {}),
    ...(rule.model !== undefined ? { model: rule.model } : {}),
    ...(rule.reply !== undefined ? { reply: rule.reply } : {}),
    ...(hasJson ? { json: rule.json } : {}),
    hasJson,
    toolCalls: rule.toolCalls ?? [],
    ...(rule.stopReason !== undefined ? { stopReason: rule.stopReason as StopReason } : {}),
    origin,
  };
}
