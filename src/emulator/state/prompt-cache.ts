// Bedrock prompt caching, as the emulator plays it. The facts, with their sources:
//
// - Models, minimums, checkpoints, TTLs, fields. The Bedrock user guide's table
//   (https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html#prompt-caching-models),
//   in its 2025-12 and 2026-05 versions: Claude 3.5 Haiku 2,048 tokens per checkpoint; Claude
//   3.7 Sonnet, Sonnet 4, Opus 4, Opus 4.1 and Sonnet 4.6 1,024; Claude Opus 4.5, Opus 4.6,
//   Haiku 4.5 4,096; Sonnet 4.5 1,024 in the 2025-12 table and 4,096 in the 2026-05 one (we
//   follow the newer). Every model allows 4 checkpoints per request, in `system`, `messages`
//   and `tools` for Claude, in `system` and `messages` only for Nova. Nova Micro, Lite, Pro and
//   Premier: "1K" tokens per checkpoint and "a maximum number of 20K tokens for prompt caching".
//   Claude 3.5 Sonnet v2 caches only for accounts admitted to the preview ("no additional
//   customers will be granted access"), so it is left out here.
// - Minimum. "You can only create a cache checkpoint if your total prompt prefix meets the
//   minimum number of tokens … your first cache checkpoint can be defined after 1,024 tokens and
//   your second cache checkpoint can be defined after 2,048 tokens. If you try to add a cache
//   checkpoint before meeting the minimum number of tokens, your inference will still succeed,
//   but your prefix will not be cached." (same page) So each checkpoint must add the minimum to
//   the last one that counted; a short one is ignored, not refused.
// - TTL. 5 minutes by default, reset by every cache hit; `ttl: "1h"` on Claude Opus 4.5, Haiku
//   4.5 and Sonnet 4.5 (Converse `cachePoint.ttl`, Claude InvokeModel `cache_control.ttl`). The
//   service refuses a TTL the model does not offer (reported by callers, e.g.
//   github.com/can1357/oh-my-pi/pull/6409); the wording of that refusal is ours.
// - Order of the prefix. tools, then system, then messages (Anthropic's prompt-caching guide;
//   measured on Bedrock Converse in public notes: a system checkpoint cached tools + system).
// - Usage. Converse `usage.cacheReadInputTokens` / `cacheWriteInputTokens`, and "when prompt
//   caching is enabled, the inputTokens field represents only the non-cached input tokens …
//   total input tokens = inputTokens + cacheReadInputTokens + cacheWriteInputTokens" (same
//   page). Claude bodies: `usage.cache_read_input_tokens` / `cache_creation_input_tokens`
//   (present, as 0, in the AWS example bodies). Nova bodies: `usage.cacheReadInputTokenCount` /
//   `cacheWriteInputTokenCount`. Headers `X-Amzn-Bedrock-Cache-Read-Input-Token-Count` /
//   `-Cache-Write-`; stream `amazon-bedrock-invocationMetrics.cacheReadInputTokenCount` /
//   `cacheWriteInputTokenCount` (bedrock-facts.md §2.2, §2.4). We report the fields for every
//   model that caches, 0 when nothing was cached, and `totalTokens` counts the cached tokens.
// - Price. Reads at a discount, writes at the model's premium (Claude: writes 1.25×, reads 0.1×
//   the input price; Nova: reads 75% off, writes at the input price) — priced by the client's
//   price table, not here.
// - Quotas. "cache hits are not deducted against your rate limit" (same page); AWS's agent
//   toolkit: TPM is reserved for input + cache write + cache read + max tokens at the start and
//   "cache-read tokens are released at settlement" (bedrock-facts.md §1.2). So admission
//   reserves the whole input and the release refunds the tokens read from the cache.
// - Models without caching. Bedrock refuses a cache point with AccessDeniedException "You invoked
//   an unsupported model, or your request did not allow prompt caching. See the documentation
//   for more information." (github.com/posit-dev/positron/issues/12142 and other reports; one
//   report saw it as a ValidationException — we follow the majority).
// - Too many checkpoints. Claude answers "A maximum of 4 blocks with cache_control may be
//   provided. Found 5." (Anthropic's error, reported widely); Nova's wording is ours.
// - Not modelled: Claude's ~20-block lookback from a single checkpoint (we look up only at the
//   checkpoints given), Nova's implicit caching (latency only, nothing billed), the latency a
//   cache hit saves, and the 1-hour write price.

import type { Clock } from "../../clock/clock.js";
import type {
  CacheField,
  CacheTtl,
  CatalogModel,
  PromptCacheSupport,
} from "../catalog/catalog-model.js";
import { awsErrors } from "../emulator-error.js";

const CLAUDE_FIELDS: readonly CacheField[] = ["tools", "system", "messages"];
const NOVA_FIELDS: readonly CacheField[] = ["system", "messages"];

const claude = (minimumTokens: number, oneHour = false): PromptCacheSupport => ({
  minimumTokens,
  maxCheckpoints: 4,
  ttls: oneHour ? ["5m", "1h"] : ["5m"],
  fields: CLAUDE_FIELDS,
});

const NOVA: PromptCacheSupport = {
  minimumTokens: 1_000,
  maxCheckpoints: 4,
  ttls: ["5m"],
  fields: NOVA_FIELDS,
  maxCachedTokens: 20_000,
};

/** Prompt caching per base model id, from the table cited above. */
export const PROMPT_CACHE_SUPPORT: Readonly<Record<string, PromptCacheSupport>> = {
  "anthropic.claude-3-5-haiku-20241022-v1:0": claude(2_048),
  "anthropic.claude-3-7-sonnet-20250219-v1:0": claude(1_024),
  "anthropic.claude-sonnet-4-20250514-v1:0": claude(1_024),
  "anthropic.claude-opus-4-20250514-v1:0": claude(1_024),
  "anthropic.claude-opus-4-1-20250805-v1:0": claude(1_024),
  "anthropic.claude-sonnet-4-5-20250929-v1:0": claude(4_096, true),
  "anthropic.claude-haiku-4-5-20251001-v1:0": claude(4_096, true),
  "anthropic.claude-opus-4-5-20251101-v1:0": claude(4_096, true),
  "amazon.nova-micro-v1:0": NOVA,
  "amazon.nova-lite-v1:0": NOVA,
  "amazon.nova-pro-v1:0": NOVA,
  "amazon.nova-premier-v1:0": NOVA,
};

/** One cache checkpoint of a request: the prefix before it, measured and fingerprinted. */
export interface CacheCheckpoint {
  /** Input tokens of everything before the checkpoint (tools, system, messages, in that order). */
  readonly prefixTokens: number;
  /** A digest of that prefix: equal prefixes, equal keys. */
  readonly prefixKey: string;
  /** The TTL asked for, if any (the model's default otherwise). */
  readonly ttl?: string;
  readonly field: CacheField;
}

/** Input tokens a request read from and wrote to the cache. */
export interface CacheUsage {
  readonly readTokens: number;
  readonly writeTokens: number;
}

/** What caching does for one request: its usage, and `commit` to write and refresh entries. */
export interface CachePlan {
  readonly usage: CacheUsage;
  /** Writes the new entries and resets the TTL of those read; call once the model runs. */
  commit(): void;
}

/** Which API a request came through, for the wording of refusals. */
export type CacheApi = "invoke" | "converse";

const UNSUPPORTED =
  "You invoked an unsupported model, or your request did not allow prompt caching. See the documentation for more information.";

const NO_CACHE: CachePlan = { usage: { readTokens: 0, writeTokens: 0 }, commit: () => {} };

const TTL_MS: Readonly<Record<CacheTtl, number>> = { "5m": 300_000, "1h": 3_600_000 };

/** Entries kept at most; the oldest go first beyond it (expired ones go as they are met). */
const MAX_ENTRIES = 100_000;

/**
 * The emulator's prompt cache: entries per model × prefix digest, each alive until its TTL runs
 * out on the emulator's clock (so tests drive expiry with a manual clock). `plan` looks a
 * request's checkpoints up without changing anything; the operation commits once the request
 * is admitted and past its fault draw, so a throttled or faulted request caches nothing.
 */
export class PromptCache {
  readonly #clock: Clock;
  /** `<model id>|<prefix key>` → expiry time on the clock. */
  readonly #entries = new Map<string, number>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** Entries alive now (for tests and diagnostics). */
  get size(): number {
    this.#sweep(this.#clock.now(), true);
    return this.#entries.size;
  }

  /** Forgets every entry. */
  reset(): void {
    this.#entries.clear();
  }

  /**
   * Looks a request's checkpoints up. Throws Bedrock's refusals: a checkpoint on a model that
   * does not cache (AccessDeniedException), more checkpoints than the model allows or a TTL it
   * does not offer (ValidationException). Checkpoints too short, too long or in a field the
   * model does not cache are ignored, as Bedrock ignores them.
   */
  plan(model: CatalogModel, checkpoints: readonly CacheCheckpoint[], api: CacheApi): CachePlan {
    if (checkpoints.length === 0) return NO_CACHE;
    const support = model.promptCache;
    if (!support) throw awsErrors.accessDenied(UNSUPPORTED);
    if (checkpoints.length > support.maxCheckpoints)
      throw awsErrors.validation(tooManyCheckpoints(model, checkpoints.length, api, support));
    for (const checkpoint of checkpoints) {
      if (
        checkpoint.ttl !== undefined &&
        !(support.ttls as readonly string[]).includes(checkpoint.ttl)
      )
        throw awsErrors.validation(
          `The cache TTL ${checkpoint.ttl} isn't supported by this model. Use ${support.ttls.map((ttl) => `"${ttl}"`).join(" or ")}, or leave ttl out, and try again.`,
        );
    }

    // A checkpoint counts when it adds the minimum to the last one that counted.
    const valid: CacheCheckpoint[] = [];
    let counted = 0;
    for (const checkpoint of checkpoints) {
      if (!support.fields.includes(checkpoint.field)) continue;
      if (
        support.maxCachedTokens !== undefined &&
        checkpoint.prefixTokens > support.maxCachedTokens
      )
        continue;
      if (checkpoint.prefixTokens - counted < support.minimumTokens) continue;
      valid.push(checkpoint);
      counted = checkpoint.prefixTokens;
    }
    if (valid.length === 0) return NO_CACHE;

    const now = this.#clock.now();
    this.#sweep(now, false);
    let hit = -1;
    for (let index = valid.length - 1; index >= 0; index--) {
      const expiresAt = this.#entries.get(entryKey(model, valid[index]!));
      if (expiresAt !== undefined && expiresAt > now) {
        hit = index;
        break;
      }
    }
    const readTokens = hit >= 0 ? valid[hit]!.prefixTokens : 0;
    const last = valid[valid.length - 1]!;
    const writeTokens = hit === valid.length - 1 ? 0 : last.prefixTokens - readTokens;
    const defaultTtl = support.ttls[0] ?? "5m";
    return {
      usage: { readTokens, writeTokens },
      commit: () => {
        const at = this.#clock.now();
        for (const checkpoint of valid) {
          const key = entryKey(model, checkpoint);
          const ttl = (checkpoint.ttl as CacheTtl | undefined) ?? defaultTtl;
          // Re-inserted so the map's order stays oldest-first for eviction.
          this.#entries.delete(key);
          this.#entries.set(key, at + TTL_MS[ttl]);
        }
        while (this.#entries.size > MAX_ENTRIES) {
          const oldest = this.#entries.keys().next().value as string;
          this.#entries.delete(oldest);
        }
      },
    };
  }

  /** Drops expired entries from the front of the map (all of it when `full`). */
  #sweep(now: number, full: boolean): void {
    let checked = 0;
    for (const [key, expiresAt] of this.#entries) {
      if (expiresAt <= now) this.#entries.delete(key);
      else if (!full && ++checked > 16) break;
    }
  }
}

function entryKey(model: CatalogModel, checkpoint: CacheCheckpoint): string {
  return `${model.modelId}|${checkpoint.prefixKey}`;
}

function tooManyCheckpoints(
  model: CatalogModel,
  count: number,
  api: CacheApi,
  support: PromptCacheSupport,
): string {
  if (model.dialect === "anthropic-messages") {
    const message = `A maximum of ${support.maxCheckpoints} blocks with cache_control may be provided. Found ${count}.`;
    return api === "converse" ? `The model returned the following errors: ${message}` : message;
  }
  return `The request has ${count} cache points; this model allows at most ${support.maxCheckpoints}. Remove some cache points and try again.`;
}
