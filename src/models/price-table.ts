/**
 * What a call costs: a dated, sourced price table for the catalog's models and `estimateCost`.
 *
 * The AWS pricing page (https://aws.amazon.com/bedrock/pricing/) renders its numbers in the
 * browser, so most figures here come from pages that quote it; every figure names its source,
 * the date, and how sure we are:
 * - `aws`: an AWS page states it;
 * - `secondary`: a third-party page quotes the AWS price;
 * - `unverified`: no source could be read; the figure is the last known list price and must be
 *   checked against the AWS page before anyone relies on it.
 *
 * Rules that apply across models (all read 2026-11-22):
 * - Cross-region (geographic) profiles cost what the source Region costs: "There's no additional
 *   charge for using cross-region inference and the price is calculated basis the region you
 *   made the request in (source region)." (https://aws.amazon.com/bedrock/pricing/)
 * - Global profiles are cheaper where documented: "Global cross-Region inference for Anthropic's
 *   Claude Sonnet 4.5 offers approximately 10% savings on both input and output token pricing
 *   compared to geographic cross-Region inference."
 *   (https://docs.aws.amazon.com/bedrock/latest/userguide/global-cross-region-inference.html)
 *   Put the other way round, as the price lists do: from Claude Sonnet/Haiku/Opus 4.5 on, the
 *   in-Region and geographic price is 10% above the global one.
 * - Batch inference costs 50% of on-demand for the models that support it
 *   (https://aws.amazon.com/bedrock/pricing/: "batch inference at a 50% lower price compared to
 *   on-demand inference pricing"). An older copy of the same page said batch cost the same as
 *   on-demand; the current wording is used.
 * - Provisioned throughput is billed per model unit and hour, not per token, so no per-call
 *   estimate exists for it.
 */
import { QuarryError } from "../errors/quarry-error.js";
import { type ModelRoute, type ResolvedModel, resolveModel } from "./resolve-model.js";

/** When the figures were read. */
export const PRICE_TABLE_DATE = "2026-11-22";

export type PriceVerification = "aws" | "secondary" | "unverified";

export interface PriceSource {
  readonly url: string;
  /** When the figure was read (and the page's own date, when it gives one). */
  readonly date: string;
  readonly verification: PriceVerification;
  readonly note?: string;
}

/** USD per million tokens. */
export interface TokenPrices {
  readonly inputPerMillion: number;
  readonly outputPerMillion: number;
  readonly cacheReadPerMillion?: number;
  readonly cacheWritePerMillion?: number;
}

export interface ModelPrice {
  readonly baseModelId: string;
  /** Regions the figure is for. Other Regions fall back to the first, marked unverified. */
  readonly regions: readonly string[];
  readonly tokens?: TokenPrices;
  /** USD per image at the model's standard size and quality. */
  readonly perImage?: number;
  /**
   * The in-Region and geographic-profile price over the global one (0.1 = 10% more); the
   * figures in `tokens` are then the global price.
   */
  readonly regionalPremium?: number;
  readonly source: PriceSource;
}

const READ = PRICE_TABLE_DATE;
const US = ["us-east-1", "us-west-2"];

const INVENTIVE: PriceSource = {
  url: "https://inventivehq.com/blog/aws-bedrock-pricing-guide",
  date: `${READ} (page undated)`,
  verification: "secondary",
};
const DEPLOYBASE: PriceSource = {
  url: "https://deploybase.ai/articles/amazon-bedrock-pricing",
  date: `${READ} (page dated 2026-01-05, quoting the AWS page of 2026-03-21)`,
  verification: "secondary",
};
const CLAUDER_NAVI: PriceSource = {
  url: "https://clauder-navi.com/en/bedrock-claude-cost/",
  date: `${READ} (page undated)`,
  verification: "secondary",
  note: "Cache writes 1.25x and reads 0.1x the input price; regional 10% above global from the 4.5 models on.",
};
const PRISTREN: PriceSource = {
  url: "https://pristren.com/blog/amazon-nova-micro-ultra-fast",
  date: `${READ} (page undated)`,
  verification: "secondary",
};
const SWFTE: PriceSource = {
  url: "https://www.swfte.com/de/blog/amazon-nova-pro-pricing",
  date: `${READ} (page dated 2026-05)`,
  verification: "secondary",
  note: "Cached input $0.20 per 1M (75% off).",
};
const WRING: PriceSource = {
  url: "https://www.wring.co/blog/aws-bedrock-batch-inference-guide",
  date: `${READ} (page dated 2026-03-14)`,
  verification: "secondary",
};
const UNVERIFIED: PriceSource = {
  url: "https://aws.amazon.com/bedrock/pricing/",
  date: READ,
  verification: "unverified",
  note: "Last known list price; no readable source. Check the AWS page.",
};

/** Claude's cache prices follow from the input price: writes 1.25x, reads 0.1x. */
function claudeTokens(input: number, output: number): TokenPrices {
  return {
    inputPerMillion: input,
    outputPerMillion: output,
    cacheWritePerMillion: round(input * 1.25),
    cacheReadPerMillion: round(input * 0.1),
  };
}

function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

const tokens = (
  inputPerMillion: number,
  outputPerMillion: number,
  extra: Partial<TokenPrices> = {},
): TokenPrices => ({
  inputPerMillion,
  outputPerMillion,
  ...extra,
});

/** The table, one entry per base model id (us-east-1 / us-west-2 figures). */
export const PRICE_TABLE: readonly ModelPrice[] = [
  {
    baseModelId: "anthropic.claude-3-haiku-20240307-v1:0",
    regions: US,
    tokens: tokens(0.25, 1.25),
    source: INVENTIVE,
  },
  {
    baseModelId: "anthropic.claude-3-sonnet-20240229-v1:0",
    regions: US,
    tokens: tokens(3, 15),
    source: INVENTIVE,
  },
  {
    baseModelId: "anthropic.claude-3-opus-20240229-v1:0",
    regions: US,
    tokens: tokens(15, 75),
    source: INVENTIVE,
  },
  {
    baseModelId: "anthropic.claude-3-5-sonnet-20240620-v1:0",
    regions: US,
    tokens: tokens(6, 30),
    source: {
      ...CLAUDER_NAVI,
      note: "Extended-access price of the older Claude 3.5 Sonnet; earlier pages (inventivehq) list $3/$15.",
    },
  },
  {
    baseModelId: "anthropic.claude-3-5-sonnet-20241022-v2:0",
    regions: US,
    tokens: tokens(6, 30),
    source: {
      ...CLAUDER_NAVI,
      verification: "unverified",
      note: "The source names 'the older Claude 3.5 Sonnet' without a version; v2 assumed alike.",
    },
  },
  {
    baseModelId: "anthropic.claude-3-5-haiku-20241022-v1:0",
    regions: US,
    tokens: claudeTokens(0.8, 4),
    source: DEPLOYBASE,
  },
  {
    baseModelId: "anthropic.claude-3-7-sonnet-20250219-v1:0",
    regions: US,
    tokens: claudeTokens(3, 15),
    source: DEPLOYBASE,
  },
  {
    baseModelId: "anthropic.claude-sonnet-4-20250514-v1:0",
    regions: US,
    tokens: claudeTokens(3, 15),
    source: {
      ...CLAUDER_NAVI,
      verification: "unverified",
      note: "The source prices Sonnet 4.6; Sonnet 4 assumed at the same tier price.",
    },
  },
  {
    baseModelId: "anthropic.claude-opus-4-20250514-v1:0",
    regions: US,
    tokens: claudeTokens(15, 75),
    source: DEPLOYBASE,
  },
  {
    baseModelId: "anthropic.claude-opus-4-1-20250805-v1:0",
    regions: US,
    tokens: claudeTokens(15, 75),
    source: { ...UNVERIFIED, note: "Assumed equal to Claude Opus 4." },
  },
  {
    baseModelId: "anthropic.claude-sonnet-4-5-20250929-v1:0",
    regions: US,
    tokens: claudeTokens(3, 15),
    regionalPremium: 0.1,
    source: CLAUDER_NAVI,
  },
  {
    baseModelId: "anthropic.claude-haiku-4-5-20251001-v1:0",
    regions: US,
    tokens: claudeTokens(1, 5),
    regionalPremium: 0.1,
    source: CLAUDER_NAVI,
  },
  {
    baseModelId: "anthropic.claude-opus-4-5-20251101-v1:0",
    regions: US,
    tokens: claudeTokens(5, 25),
    regionalPremium: 0.1,
    source: {
      ...CLAUDER_NAVI,
      verification: "unverified",
      note: "The source prices Opus 4.7 at $5/$25; Opus 4.5 assumed alike.",
    },
  },

  {
    baseModelId: "amazon.nova-micro-v1:0",
    regions: US,
    tokens: tokens(0.035, 0.14),
    source: PRISTREN,
  },
  {
    baseModelId: "amazon.nova-lite-v1:0",
    regions: US,
    tokens: tokens(0.06, 0.24),
    source: PRISTREN,
  },
  {
    baseModelId: "amazon.nova-pro-v1:0",
    regions: US,
    tokens: tokens(0.8, 3.2, { cacheReadPerMillion: 0.2 }),
    source: { ...SWFTE, note: "Input/output also on pristren.com; cached input $0.20 per 1M." },
  },
  {
    baseModelId: "amazon.nova-premier-v1:0",
    regions: US,
    tokens: tokens(2.5, 12.5),
    source: UNVERIFIED,
  },
  {
    baseModelId: "amazon.nova-2-lite-v1:0",
    regions: US,
    tokens: tokens(0.3, 2.5),
    source: UNVERIFIED,
  },

  {
    baseModelId: "meta.llama3-8b-instruct-v1:0",
    regions: US,
    tokens: tokens(0.3, 0.6),
    source: UNVERIFIED,
  },
  {
    baseModelId: "meta.llama3-70b-instruct-v1:0",
    regions: US,
    tokens: tokens(2.65, 3.5),
    source: UNVERIFIED,
  },
  {
    baseModelId: "meta.llama3-1-8b-instruct-v1:0",
    regions: US,
    tokens: tokens(0.22, 0.22),
    source: UNVERIFIED,
  },
  {
    baseModelId: "meta.llama3-1-70b-instruct-v1:0",
    regions: US,
    tokens: tokens(0.99, 0.99),
    source: {
      ...WRING,
      note: "Input $0.00099 per 1K; output assumed equal (Llama is priced flat).",
    },
  },
  {
    baseModelId: "meta.llama3-1-405b-instruct-v1:0",
    regions: US,
    tokens: tokens(2.4, 2.4),
    source: UNVERIFIED,
  },
  {
    baseModelId: "meta.llama3-2-1b-instruct-v1:0",
    regions: US,
    tokens: tokens(0.1, 0.1),
    source: UNVERIFIED,
  },
  {
    baseModelId: "meta.llama3-2-3b-instruct-v1:0",
    regions: US,
    tokens: tokens(0.15, 0.15),
    source: UNVERIFIED,
  },
  {
    baseModelId: "meta.llama3-2-11b-instruct-v1:0",
    regions: US,
    tokens: tokens(0.16, 0.16),
    source: UNVERIFIED,
  },
  {
    baseModelId: "meta.llama3-2-90b-instruct-v1:0",
    regions: US,
    tokens: tokens(0.72, 0.72),
    source: UNVERIFIED,
  },
  {
    baseModelId: "meta.llama3-3-70b-instruct-v1:0",
    regions: US,
    tokens: tokens(0.72, 0.72),
    source: UNVERIFIED,
  },
  {
    baseModelId: "meta.llama4-scout-17b-instruct-v1:0",
    regions: US,
    tokens: tokens(0.17, 0.66),
    source: UNVERIFIED,
  },
  {
    baseModelId: "meta.llama4-maverick-17b-instruct-v1:0",
    regions: US,
    tokens: tokens(0.24, 0.97),
    source: UNVERIFIED,
  },

  {
    baseModelId: "mistral.mistral-7b-instruct-v0:2",
    regions: US,
    tokens: tokens(0.15, 0.2),
    source: INVENTIVE,
  },
  {
    baseModelId: "mistral.mixtral-8x7b-instruct-v0:1",
    regions: US,
    tokens: tokens(0.45, 0.7),
    source: INVENTIVE,
  },
  {
    baseModelId: "mistral.mistral-small-2402-v1:0",
    regions: US,
    tokens: tokens(1, 3),
    source: UNVERIFIED,
  },
  {
    baseModelId: "mistral.mistral-large-2402-v1:0",
    regions: US,
    tokens: tokens(4, 12),
    source: INVENTIVE,
  },
  {
    baseModelId: "mistral.mistral-large-2407-v1:0",
    regions: US,
    tokens: tokens(2, 6),
    source: UNVERIFIED,
  },

  {
    baseModelId: "amazon.titan-text-express-v1",
    regions: US,
    tokens: tokens(0.2, 0.6),
    source: INVENTIVE,
  },
  {
    baseModelId: "amazon.titan-text-lite-v1",
    regions: US,
    tokens: tokens(0.15, 0.2),
    source: INVENTIVE,
  },
  {
    baseModelId: "amazon.titan-text-premier-v1:0",
    regions: US,
    tokens: tokens(0.8, 2.4),
    source: INVENTIVE,
  },

  {
    baseModelId: "cohere.command-r-v1:0",
    regions: US,
    tokens: tokens(0.5, 1.5),
    source: INVENTIVE,
  },
  {
    baseModelId: "cohere.command-r-plus-v1:0",
    regions: US,
    tokens: tokens(3, 15),
    source: INVENTIVE,
  },
  {
    baseModelId: "cohere.command-text-v14",
    regions: US,
    tokens: tokens(1.5, 2),
    source: UNVERIFIED,
  },
  {
    baseModelId: "cohere.command-light-text-v14",
    regions: US,
    tokens: tokens(0.3, 0.6),
    source: UNVERIFIED,
  },

  {
    baseModelId: "amazon.titan-embed-text-v2:0",
    regions: US,
    tokens: tokens(0.02, 0),
    source: INVENTIVE,
  },
  {
    baseModelId: "amazon.titan-embed-text-v1",
    regions: US,
    tokens: tokens(0.1, 0),
    source: UNVERIFIED,
  },
  {
    baseModelId: "cohere.embed-english-v3",
    regions: US,
    tokens: tokens(0.1, 0),
    source: UNVERIFIED,
  },
  {
    baseModelId: "cohere.embed-multilingual-v3",
    regions: US,
    tokens: tokens(0.1, 0),
    source: UNVERIFIED,
  },
  { baseModelId: "cohere.embed-v4:0", regions: US, tokens: tokens(0.12, 0), source: UNVERIFIED },

  // Per image at 1024x1024, standard quality (SDXL: up to 50 steps).
  {
    baseModelId: "stability.stable-diffusion-xl-v1",
    regions: US,
    perImage: 0.04,
    source: UNVERIFIED,
  },
  { baseModelId: "stability.sd3-large-v1:0", regions: US, perImage: 0.08, source: UNVERIFIED },
  { baseModelId: "stability.sd3-5-large-v1:0", regions: US, perImage: 0.08, source: UNVERIFIED },
  {
    baseModelId: "stability.stable-image-core-v1:1",
    regions: US,
    perImage: 0.04,
    source: UNVERIFIED,
  },
  {
    baseModelId: "stability.stable-image-ultra-v1:1",
    regions: US,
    perImage: 0.14,
    source: UNVERIFIED,
  },
  {
    baseModelId: "amazon.titan-image-generator-v1",
    regions: US,
    perImage: 0.01,
    source: UNVERIFIED,
  },
  {
    baseModelId: "amazon.titan-image-generator-v2:0",
    regions: US,
    perImage: 0.01,
    source: UNVERIFIED,
  },
  { baseModelId: "amazon.nova-canvas-v1:0", regions: US, perImage: 0.04, source: UNVERIFIED },
];

const BY_ID = new Map(PRICE_TABLE.map((price) => [price.baseModelId, price]));

/** The batch price as a share of on-demand. */
export const BATCH_FACTOR = 0.5;
const BATCH_SOURCE: PriceSource = {
  url: "https://aws.amazon.com/bedrock/pricing/",
  date: READ,
  verification: "aws",
  note: "Batch inference at a 50% lower price than on-demand, for the models that offer batch.",
};
const CROSS_REGION_SOURCE: PriceSource = {
  url: "https://aws.amazon.com/bedrock/pricing/",
  date: READ,
  verification: "aws",
  note: "Cross-region inference is charged at the source Region's price.",
};
const GLOBAL_SOURCE: PriceSource = {
  url: "https://docs.aws.amazon.com/bedrock/latest/userguide/global-cross-region-inference.html",
  date: READ,
  verification: "aws",
  note: "Global profiles save about 10% over geographic ones (stated for Claude Sonnet 4.5).",
};

/** The price entry for a base model id, if the table has one. */
export function priceOf(baseModelId: string): ModelPrice | undefined {
  return BY_ID.get(baseModelId);
}

export interface CostEstimateOptions {
  /** A model id of any form, or a model already resolved. */
  readonly model: string | ResolvedModel;
  /** The Region the request is sent to (the source Region for cross-region profiles). */
  readonly region: string;
  /** @default the route the model id implies */
  readonly route?: ModelRoute;
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly cacheReadTokens?: number;
  readonly cacheWriteTokens?: number;
  /** Images generated, for image models. */
  readonly images?: number;
  /** @default "on-demand" */
  readonly mode?: "on-demand" | "batch";
}

export interface CostEstimate {
  /** Total USD, or undefined when the table has no price that applies. */
  readonly usd: number | undefined;
  readonly inputUsd: number;
  readonly outputUsd: number;
  readonly cacheReadUsd: number;
  readonly cacheWriteUsd: number;
  readonly imageUsd: number;
  /** The weakest verification among the figures used. */
  readonly verification: PriceVerification;
  readonly sources: readonly PriceSource[];
  /** Why the estimate is partial or approximate. */
  readonly notes: readonly string[];
}

function checkCount(name: string, value: number | undefined): number {
  if (value === undefined) return 0;
  if (!Number.isFinite(value) || value < 0)
    throw new QuarryError("input.cost", `${name} must be a non-negative number; got ${value}.`, {
      hint: `Pass ${name} as a token or image count.`,
    });
  return value;
}

const WEAKEST: readonly PriceVerification[] = ["unverified", "secondary", "aws"];

/**
 * Estimates the cost of a call (or of a whole job, given its totals). Cross-region profiles
 * cost the source Region's price; global profiles lose the regional premium where the model has
 * one; batch costs half. Cache tokens are priced where a figure is published, else as input.
 */
export function estimateCost(options: CostEstimateOptions): CostEstimate {
  const model = typeof options.model === "string" ? resolveModel(options.model) : options.model;
  const route = options.route ?? model.route;
  const mode = options.mode ?? "on-demand";
  if (mode !== "on-demand" && mode !== "batch")
    throw new QuarryError(
      "input.cost",
      `mode must be "on-demand" or "batch"; got ${String(mode)}.`,
    );
  const counts = {
    input: checkCount("inputTokens", options.inputTokens),
    output: checkCount("outputTokens", options.outputTokens),
    cacheRead: checkCount("cacheReadTokens", options.cacheReadTokens),
    cacheWrite: checkCount("cacheWriteTokens", options.cacheWriteTokens),
    images: checkCount("images", options.images),
  };
  const notes: string[] = [];
  const none = (note: string): CostEstimate => ({
    usd: undefined,
    inputUsd: 0,
    outputUsd: 0,
    cacheReadUsd: 0,
    cacheWriteUsd: 0,
    imageUsd: 0,
    verification: "unverified",
    sources: [],
    notes: [note],
  });
  if (route === "provisioned")
    return none("Provisioned throughput is billed per model unit and hour, not per token.");
  const price = priceOf(model.baseModelId);
  if (!price)
    return none(
      `No price is known for ${model.baseModelId}; see https://aws.amazon.com/bedrock/pricing/.`,
    );

  const sources: PriceSource[] = [price.source];
  let verification = price.source.verification;
  if (!price.regions.includes(options.region)) {
    verification = "unverified";
    notes.push(`No figure for ${options.region}; the ${price.regions[0]} price is used.`);
  }
  let factor = 1;
  if (route === "cross-region") {
    sources.push(CROSS_REGION_SOURCE);
    if (model.geography !== "global" && price.regionalPremium) factor *= 1 + price.regionalPremium;
    if (model.geography === "global") sources.push(GLOBAL_SOURCE);
  } else if (price.regionalPremium) {
    // In-Region calls (and application profiles over them) carry the regional premium.
    factor *= 1 + price.regionalPremium;
  }
  if (mode === "batch") {
    factor *= BATCH_FACTOR;
    sources.push(BATCH_SOURCE);
  }
  const perToken = (perMillion: number | undefined, count: number) =>
    perMillion === undefined ? 0 : (perMillion * factor * count) / 1_000_000;
  const prices = price.tokens;
  if (!prices && counts.input + counts.output + counts.cacheRead + counts.cacheWrite > 0)
    notes.push(`${model.baseModelId} is priced per image, not per token.`);
  if (prices && prices.cacheReadPerMillion === undefined && counts.cacheRead > 0)
    notes.push("No cache-read price is published for this model; cache reads are priced as input.");
  if (prices && prices.cacheWritePerMillion === undefined && counts.cacheWrite > 0)
    notes.push(
      "No cache-write price is published for this model; cache writes are priced as input.",
    );
  if (price.perImage === undefined && counts.images > 0)
    notes.push(`${model.baseModelId} is not priced per image.`);

  const inputUsd = perToken(prices?.inputPerMillion, counts.input);
  const outputUsd = perToken(prices?.outputPerMillion, counts.output);
  const cacheReadUsd = perToken(
    prices?.cacheReadPerMillion ?? prices?.inputPerMillion,
    counts.cacheRead,
  );
  const cacheWriteUsd = perToken(
    prices?.cacheWritePerMillion ?? prices?.inputPerMillion,
    counts.cacheWrite,
  );
  const imageUsd =
    price.perImage === undefined
      ? 0
      : price.perImage * counts.images * (mode === "batch" ? BATCH_FACTOR : 1);
  for (const source of sources)
    if (WEAKEST.indexOf(source.verification) < WEAKEST.indexOf(verification))
      verification = source.verification;
  return {
    usd: inputUsd + outputUsd + cacheReadUsd + cacheWriteUsd + imageUsd,
    inputUsd,
    outputUsd,
    cacheReadUsd,
    cacheWriteUsd,
    imageUsd,
    verification,
    sources,
    notes,
  };
}
