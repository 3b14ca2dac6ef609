import { describe, expect, it } from "vitest";
import { MODEL_CATALOG } from "./model-catalog.js";
import { BATCH_FACTOR, estimateCost, PRICE_TABLE, priceOf } from "./price-table.js";
import { resolveModel } from "./resolve-model.js";

const HAIKU_3 = "anthropic.claude-3-haiku-20240307-v1:0";
const SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0";

describe("price table", () => {
  it("has a dated, sourced entry for every catalog model", () => {
    for (const entry of MODEL_CATALOG) {
      const price = priceOf(entry.baseModelId);
      expect(price, entry.baseModelId).toBeDefined();
      expect(price!.source.url).toMatch(/^https:\/\//);
      expect(price!.source.date).toMatch(/^\d{4}-\d{2}-\d{2}/);
      expect(["aws", "secondary", "unverified"]).toContain(price!.source.verification);
      if (entry.kind === "image") expect(price!.perImage).toBeGreaterThan(0);
      else expect(price!.tokens?.inputPerMillion).toBeGreaterThan(0);
    }
    expect(
      PRICE_TABLE.every((price) =>
        MODEL_CATALOG.some((entry) => entry.baseModelId === price.baseModelId),
      ),
    ).toBe(true);
  });

  it("prices Claude's cache writes at 1.25x and reads at 0.1x the input price", () => {
    expect(priceOf("anthropic.claude-3-7-sonnet-20250219-v1:0")?.tokens).toEqual({
      inputPerMillion: 3,
      outputPerMillion: 15,
      cacheWritePerMillion: 3.75,
      cacheReadPerMillion: 0.3,
    });
  });
});

describe("estimateCost", () => {
  it("prices input and output tokens on demand", () => {
    const estimate = estimateCost({
      model: HAIKU_3,
      region: "us-east-1",
      inputTokens: 1_000_000,
      outputTokens: 200_000,
    });
    expect(estimate.inputUsd).toBeCloseTo(0.25, 10);
    expect(estimate.outputUsd).toBeCloseTo(0.25, 10);
    expect(estimate.usd).toBeCloseTo(0.5, 10);
    expect(estimate.verification).toBe("secondary");
    expect(estimate.notes).toEqual([]);
  });

  it("charges geographic profiles the source Region's price, and batch half", () => {
    const onDemand = estimateCost({
      model: HAIKU_3,
      region: "us-east-1",
      inputTokens: 4000,
      outputTokens: 1000,
    });
    const profile = estimateCost({
      model: `us.${HAIKU_3}`,
      region: "us-east-1",
      inputTokens: 4000,
      outputTokens: 1000,
    });
    expect(profile.usd).toBeCloseTo(onDemand.usd!, 12);
    expect(profile.sources.map((source) => source.note ?? "")).toContain(
      "Cross-region inference is charged at the source Region's price.",
    );
    const batch = estimateCost({
      model: HAIKU_3,
      region: "us-east-1",
      inputTokens: 4000,
      outputTokens: 1000,
      mode: "batch",
    });
    expect(batch.usd).toBeCloseTo(onDemand.usd! * BATCH_FACTOR, 12);
  });

  it("takes the 10% regional premium off for global profiles of the 4.5 models", () => {
    const job = { region: "us-east-1", inputTokens: 1_000_000, outputTokens: 1_000_000 };
    const global = estimateCost({ ...job, model: `global.${SONNET_45}` });
    const geographic = estimateCost({ ...job, model: `us.${SONNET_45}` });
    expect(global.usd).toBeCloseTo(18, 10);
    expect(geographic.usd).toBeCloseTo(19.8, 10);
    expect(
      global.sources.some((source) => source.url.includes("global-cross-region-inference")),
    ).toBe(true);
  });

  it("prices cache reads and writes where published, else as input with a note", () => {
    const claude = estimateCost({
      model: "us.anthropic.claude-3-7-sonnet-20250219-v1:0",
      region: "us-west-2",
      cacheReadTokens: 1_000_000,
      cacheWriteTokens: 1_000_000,
    });
    expect(claude.cacheReadUsd).toBeCloseTo(0.3, 10);
    expect(claude.cacheWriteUsd).toBeCloseTo(3.75, 10);
    const nova = estimateCost({
      model: "amazon.nova-pro-v1:0",
      region: "us-east-1",
      cacheReadTokens: 1_000_000,
      cacheWriteTokens: 1_000_000,
    });
    expect(nova.cacheReadUsd).toBeCloseTo(0.2, 10);
    expect(nova.cacheWriteUsd).toBeCloseTo(0.8, 10);
    expect(nova.notes.join(" ")).toMatch(/No cache-write price/);
  });

  it("prices images per image", () => {
    const estimate = estimateCost({
      model: "stability.stable-diffusion-xl-v1",
      region: "us-west-2",
      images: 10,
    });
    expect(estimate.usd).toBeCloseTo(0.4, 10);
    expect(estimate.verification).toBe("unverified");
  });

  it("marks a Region without a figure as unverified, and says why", () => {
    const estimate = estimateCost({ model: HAIKU_3, region: "eu-central-1", inputTokens: 1000 });
    expect(estimate.verification).toBe("unverified");
    expect(estimate.notes[0]).toMatch(/No figure for eu-central-1; the us-east-1 price is used/);
  });

  it("has no per-token estimate for provisioned throughput, nor for models without a price", () => {
    const provisioned = resolveModel(
      "arn:aws:bedrock:us-east-1:123456789012:provisioned-model/p1",
      { baseModelId: HAIKU_3 },
    );
    expect(
      estimateCost({ model: provisioned, region: "us-east-1", inputTokens: 10 }).usd,
    ).toBeUndefined();
    const unknown = resolveModel("anthropic.claude-opus-4-7-v1:0", { family: "anthropic-claude" });
    const estimate = estimateCost({ model: unknown, region: "us-east-1", inputTokens: 10 });
    expect(estimate.usd).toBeUndefined();
    expect(estimate.notes[0]).toMatch(/No price is known for anthropic\.claude-opus-4-7-v1:0/);
  });

  it("refuses negative counts", () => {
    expect(() => estimateCost({ model: HAIKU_3, region: "us-east-1", inputTokens: -1 })).toThrow(
      /inputTokens must be a non-negative number/,
    );
  });
});
