import { describe, expect, it } from "vitest";
import { ManualClock } from "../../clock/manual-clock.js";
import { BUILTIN_MODELS } from "../catalog/builtin-models.js";
import type { CatalogModel } from "../catalog/catalog-model.js";
import { EmulatorError } from "../emulator-error.js";
import { CachePrefix } from "./cache-prefix.js";
import { type CacheCheckpoint, PromptCache } from "./prompt-cache.js";

const model = (id: string): CatalogModel => BUILTIN_MODELS.find((entry) => entry.modelId === id)!;
const SONNET_37 = model("anthropic.claude-3-7-sonnet-20250219-v1:0"); // 1,024 per checkpoint
const HAIKU_45 = model("anthropic.claude-haiku-4-5-20251001-v1:0"); // 4,096, 1h TTL
const HAIKU_3 = model("anthropic.claude-3-haiku-20240307-v1:0"); // no caching
const NOVA_PRO = model("amazon.nova-pro-v1:0"); // 1,000, system and messages, 20K at most

const MINUTE = 60_000;

/** A checkpoint after `tokens` tokens of a prompt named `name`. */
const at = (
  name: string,
  tokens: number,
  extra: Partial<CacheCheckpoint> = {},
): CacheCheckpoint => ({
  prefixTokens: tokens,
  prefixKey: `${name}:${tokens}`,
  field: "system",
  ...extra,
});

function refusal(run: () => unknown): EmulatorError {
  try {
    run();
  } catch (error) {
    if (error instanceof EmulatorError) return error;
    throw error;
  }
  throw new Error("expected a refusal");
}

describe("PromptCache", () => {
  it("writes a prefix on first use, then reads it while fresh", () => {
    const cache = new PromptCache(new ManualClock());
    const first = cache.plan(SONNET_37, [at("p", 1_500)], "converse");
    expect(first.usage).toEqual({ readTokens: 0, writeTokens: 1_500 });
    first.commit();
    const second = cache.plan(SONNET_37, [at("p", 1_500)], "converse");
    expect(second.usage).toEqual({ readTokens: 1_500, writeTokens: 0 });
  });

  it("caches nothing for a request that never commits (throttled or faulted)", () => {
    const cache = new PromptCache(new ManualClock());
    cache.plan(SONNET_37, [at("p", 1_500)], "converse");
    expect(cache.plan(SONNET_37, [at("p", 1_500)], "converse").usage.readTokens).toBe(0);
    expect(cache.size).toBe(0);
  });

  it("expires an entry 5 minutes after its last use, each hit resetting the TTL", async () => {
    const clock = new ManualClock();
    const cache = new PromptCache(clock);
    const use = () => {
      const plan = cache.plan(SONNET_37, [at("p", 2_000)], "converse");
      plan.commit();
      return plan.usage;
    };
    expect(use()).toEqual({ readTokens: 0, writeTokens: 2_000 });
    await clock.advance(4 * MINUTE);
    expect(use()).toEqual({ readTokens: 2_000, writeTokens: 0 });
    await clock.advance(4 * MINUTE); // 8 minutes after the write, 4 after the hit
    expect(use()).toEqual({ readTokens: 2_000, writeTokens: 0 });
    await clock.advance(5 * MINUTE);
    expect(cache.size).toBe(0);
    expect(use()).toEqual({ readTokens: 0, writeTokens: 2_000 });
  });

  it("keeps a 1h checkpoint for an hour on models that offer it", async () => {
    const clock = new ManualClock();
    const cache = new PromptCache(clock);
    cache.plan(HAIKU_45, [at("p", 5_000, { ttl: "1h" })], "converse").commit();
    await clock.advance(59 * MINUTE);
    expect(cache.plan(HAIKU_45, [at("p", 5_000, { ttl: "1h" })], "converse").usage.readTokens).toBe(
      5_000,
    );
    await clock.advance(61 * MINUTE);
    expect(cache.plan(HAIKU_45, [at("p", 5_000)], "converse").usage.readTokens).toBe(0);
  });

  it("ignores a checkpoint below the model's minimum, and one that adds less than it to the last", () => {
    const cache = new PromptCache(new ManualClock());
    expect(cache.plan(SONNET_37, [at("p", 1_023)], "converse").usage).toEqual({
      readTokens: 0,
      writeTokens: 0,
    });
    expect(cache.plan(HAIKU_45, [at("p", 4_000)], "converse").usage.writeTokens).toBe(0);
    // The second checkpoint needs 2,048 tokens in all: at 1,800 it does not count.
    const plan = cache.plan(SONNET_37, [at("p", 1_100), at("p", 1_800)], "converse");
    expect(plan.usage).toEqual({ readTokens: 0, writeTokens: 1_100 });
    plan.commit();
    expect(cache.size).toBe(1);
  });

  it("reads the longest cached prefix and writes what lies beyond it", () => {
    const cache = new PromptCache(new ManualClock());
    cache.plan(SONNET_37, [at("system", 1_200)], "converse").commit();
    const longer = cache.plan(SONNET_37, [at("system", 1_200), at("system", 3_000)], "converse");
    expect(longer.usage).toEqual({ readTokens: 1_200, writeTokens: 1_800 });
    longer.commit();
    expect(
      cache.plan(SONNET_37, [at("system", 1_200), at("system", 3_000)], "converse").usage,
    ).toEqual({ readTokens: 3_000, writeTokens: 0 });
  });

  it("keeps entries per model: the same prefix on another model is a miss", () => {
    const cache = new PromptCache(new ManualClock());
    cache.plan(SONNET_37, [at("p", 5_000)], "converse").commit();
    expect(cache.plan(HAIKU_45, [at("p", 5_000)], "converse").usage.readTokens).toBe(0);
  });

  it("honours Nova's fields and its 20K cap", () => {
    const cache = new PromptCache(new ManualClock());
    expect(cache.plan(NOVA_PRO, [at("t", 1_500, { field: "tools" })], "invoke").usage).toEqual({
      readTokens: 0,
      writeTokens: 0,
    });
    expect(cache.plan(NOVA_PRO, [at("m", 21_000, { field: "messages" })], "invoke").usage).toEqual({
      readTokens: 0,
      writeTokens: 0,
    });
    expect(cache.plan(NOVA_PRO, [at("m", 1_000, { field: "messages" })], "invoke").usage).toEqual({
      readTokens: 0,
      writeTokens: 1_000,
    });
  });

  it("refuses cache points on a model without caching, too many of them and an unoffered TTL", () => {
    const cache = new PromptCache(new ManualClock());
    const denied = refusal(() => cache.plan(HAIKU_3, [at("p", 5_000)], "converse"));
    expect(denied.exceptionName).toBe("AccessDeniedException");
    expect(denied.status).toBe(403);
    expect(denied.message).toBe(
      "You invoked an unsupported model, or your request did not allow prompt caching. See the documentation for more information.",
    );
    const five = [1, 2, 3, 4, 5].map((n) => at("p", n * 1_100));
    const tooMany = refusal(() => cache.plan(SONNET_37, five, "invoke"));
    expect(tooMany.exceptionName).toBe("ValidationException");
    expect(tooMany.message).toBe(
      "A maximum of 4 blocks with cache_control may be provided. Found 5.",
    );
    expect(refusal(() => cache.plan(SONNET_37, five, "converse")).message).toBe(
      "The model returned the following errors: A maximum of 4 blocks with cache_control may be provided. Found 5.",
    );
    const hour = refusal(() => cache.plan(SONNET_37, [at("p", 2_000, { ttl: "1h" })], "converse"));
    expect(hour.exceptionName).toBe("ValidationException");
    expect(hour.message).toMatch(/1h/);
    // Without a cache point nothing is asked of the model.
    expect(cache.plan(HAIKU_3, [], "converse").usage).toEqual({ readTokens: 0, writeTokens: 0 });
  });

  it("forgets everything on reset", () => {
    const cache = new PromptCache(new ManualClock());
    cache.plan(SONNET_37, [at("p", 2_000)], "converse").commit();
    cache.reset();
    expect(cache.plan(SONNET_37, [at("p", 2_000)], "converse").usage.readTokens).toBe(0);
  });
});

describe("CachePrefix", () => {
  it("measures and fingerprints the prefix before each mark", () => {
    const a = new CachePrefix();
    a.field("system");
    a.text({ text: "one two three" }, "one two three");
    a.mark("system", undefined);
    a.add({ image: 1 }, 1_000);
    a.mark("system", "1h");
    const [first, second] = a.checkpoints();
    expect(first).toMatchObject({ prefixTokens: 3, field: "system" });
    expect(second).toMatchObject({ prefixTokens: 1_003, ttl: "1h" });
    expect(first!.prefixKey).not.toBe(second!.prefixKey);

    const same = new CachePrefix();
    same.field("system");
    same.text({ text: "one two three" }, "one two three");
    same.mark("system", undefined);
    expect(same.checkpoints()[0]!.prefixKey).toBe(first!.prefixKey);

    const elsewhere = new CachePrefix();
    elsewhere.field("messages");
    elsewhere.text({ text: "one two three" }, "one two three");
    elsewhere.mark("messages", undefined);
    expect(elsewhere.checkpoints()[0]!.prefixKey).not.toBe(first!.prefixKey);
  });
});
