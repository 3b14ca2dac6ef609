import { createHash, type Hash } from "node:crypto";
import type { CacheField } from "../catalog/catalog-model.js";
import { countTokens } from "./count-tokens.js";
import type { CacheCheckpoint } from "./prompt-cache.js";

/**
 * Walks a request's prompt in cache order (tools, then system, then messages), counting the
 * tokens of each piece exactly as the request's input is counted and fingerprinting it, and
 * records a checkpoint wherever the request places a cache point. A dialect builds one only
 * when the request carries a cache point, so requests without one pay nothing for it.
 */
export class CachePrefix {
  readonly #hash: Hash = createHash("sha256");
  #tokens = 0;
  readonly #checkpoints: CacheCheckpoint[] = [];

  /** Starts a field: the same content under another field is another prefix. */
  field(name: CacheField): void {
    this.#hash.update(`\u0000${name}\u0000`);
  }

  /** A piece counted as the tokens of `text`; `part` (the wire block) is what is fingerprinted. */
  text(part: unknown, text: string): void {
    this.add(part, countTokens(text));
  }

  /** A piece of a given token count (images, documents, tool definitions). */
  add(part: unknown, tokens: number): void {
    this.#hash.update(JSON.stringify(part) ?? "null");
    this.#hash.update("\u0001");
    this.#tokens += tokens;
  }

  /** A cache point after everything added so far. */
  mark(field: CacheField, ttl: string | undefined): void {
    this.#checkpoints.push({
      prefixTokens: this.#tokens,
      prefixKey: this.#hash.copy().digest("base64url"),
      field,
      ...(ttl !== undefined ? { ttl } : {}),
    });
  }

  /** The checkpoints marked, in prompt order. */
  checkpoints(): readonly CacheCheckpoint[] {
    return this.#checkpoints;
  }
}

/** The `ttl` of a Converse `cachePoint` or a Claude `cache_control`, if it names one. */
export function ttlOf(marker: unknown): string | undefined {
  const ttl = (marker as { ttl?: unknown } | null | undefined)?.ttl;
  return typeof ttl === "string" ? ttl : undefined;
}
