import { estimateTextTokens } from "../client/estimate-tokens.js";
import type { ResolvedModel } from "../models/resolve-model.js";
import type { JobSpec } from "./job-spec.js";
import type { PromptTemplate } from "./prompt-template.js";

/**
 * Where a job's calls place prompt-cache checkpoints: after the prefix every record shares.
 * https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html
 */
export interface PromptCachePlan {
  /** A checkpoint after the system prompt (the same for every record). */
  readonly afterSystem: boolean;
  /**
   * The prompt's opening text that every record shares, closed by a checkpoint; the rest of
   * the prompt follows in a second text block, so the model reads the same text.
   */
  readonly promptPrefix?: string;
}

/** What `planPromptCache` looks at. */
export interface PromptCachePlanOptions {
  readonly spec: Pick<JobSpec, "promptCaching">;
  readonly model: Pick<ResolvedModel, "capabilities">;
  readonly template: PromptTemplate;
  readonly system?: PromptTemplate;
}

/**
 * Plans a job's cache checkpoints, or returns undefined for none: when `promptCaching` is
 * `off`, when the model does not cache (Bedrock refuses cache points there), when the system
 * prompt has placeholders (every prefix then differs per record, since the system prompt comes
 * first), or when no shared prefix reaches the model's minimum. Bedrock wants each checkpoint
 * to add that minimum to the one before it, so the prompt's checkpoint counts from the system
 * prompt's when that one is placed, and from the start when it is not. Token counts are the
 * local estimate: a checkpoint it wrongly thinks long enough is merely not cached.
 */
export function planPromptCache(options: PromptCachePlanOptions): PromptCachePlan | undefined {
  const { spec, model, template, system } = options;
  if (spec.promptCaching === "off" || !model.capabilities.promptCaching) return undefined;
  if (system && system.variables().length > 0) return undefined;
  const minimum = model.capabilities.promptCacheMinimumTokens;

  const systemTokens = system ? estimateTextTokens(system.render({})) : 0;
  const afterSystem = system !== undefined && systemTokens >= minimum;
  const counted = afterSystem ? systemTokens : 0;

  const prefix = sharedPrefix(template);
  const prefixTokens = prefix ? estimateTextTokens(prefix) : 0;
  const promptPrefix =
    prefix && systemTokens + prefixTokens - counted >= minimum ? prefix : undefined;

  if (!afterSystem && promptPrefix === undefined) return undefined;
  return { afterSystem, ...(promptPrefix !== undefined ? { promptPrefix } : {}) };
}

/**
 * The template's text before its first placeholder, cut after its last line break so the
 * boundary falls between lines (where tokenizers break anyway); all of it when the template
 * has no placeholder or the text no line break.
 */
function sharedPrefix(template: PromptTemplate): string | undefined {
  const first = template.parts[0];
  if (first?.kind !== "text") return undefined;
  if (template.parts.length === 1) return first.text;
  const lastBreak = first.text.lastIndexOf("\n");
  return lastBreak >= 0 ? first.text.slice(0, lastBreak + 1) : first.text;
}
