/**
 * The client's own list of Bedrock models: which codec each speaks and the numbers the
 * scheduler needs (output limits, burndown, profile geographies). Kept apart from the
 * emulator's catalog on purpose — a wrong entry shared by both sides would pass every test.
 *
 * Sources (read 2026-05):
 * - ids, regions, streaming: https://docs.aws.amazon.com/bedrock/latest/userguide/models-supported.html
 * - profiles: https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html
 * - burndown: https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-token-burndown.html
 * - limits per family: the model-parameters-*.html page each codec links to
 * - prompt caching: https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html
 *   (tokens per cache checkpoint; the 2026-05 table, where Sonnet 4.5 needs 4,096)
 * Where a figure is a judgement rather than a documented number, the entry says so.
 */
import { amazonNova2Codec, amazonNovaCodec } from "./codecs/amazon-nova-codec.js";
import {
  amazonTitanEmbedTextV1Codec,
  amazonTitanEmbedTextV2Codec,
} from "./codecs/amazon-titan-embed-text-codec.js";
import { amazonNovaCanvasCodec, amazonTitanImageCodec } from "./codecs/amazon-titan-image-codec.js";
import { amazonTitanTextCodec } from "./codecs/amazon-titan-text-codec.js";
import { anthropicClaudeCodec } from "./codecs/anthropic-claude-codec.js";
import { cohereCommandCodec } from "./codecs/cohere-command-codec.js";
import { cohereCommandRCodec } from "./codecs/cohere-command-r-codec.js";
import { cohereEmbedV3Codec, cohereEmbedV4Codec } from "./codecs/cohere-embed-codec.js";
import { metaLlamaCodec } from "./codecs/meta-llama-codec.js";
import { mistralChatCodec } from "./codecs/mistral-chat-codec.js";
import { mistralInstructCodec } from "./codecs/mistral-instruct-codec.js";
import { stabilitySd3Codec } from "./codecs/stability-sd3-codec.js";
import { stabilitySdxlCodec } from "./codecs/stability-sdxl-codec.js";
import type {
  EmbeddingCodec,
  EmbeddingFamily,
  ImageCodec,
  ImageFamily,
  ModelFamily,
  TextCodec,
  TextFamily,
} from "./model-codec.js";

/** Geographic prefixes of system-defined cross-region inference profiles. */
export type Geography = "us" | "eu" | "apac" | "global" | "jp" | "au" | "ca" | "us-gov";

export const GEOGRAPHIES: readonly Geography[] = [
  "us-gov",
  "us",
  "eu",
  "apac",
  "global",
  "jp",
  "au",
  "ca",
];

/** What the model can do, as far as the client needs to know before calling. */
export interface ModelCapabilities {
  /** InvokeModelWithResponseStream (and ConverseStream). */
  readonly streaming: boolean;
  readonly converse: boolean;
  readonly countTokens: boolean;
  /** Tool definitions in the InvokeModel body. */
  readonly tools: boolean;
  /** Image parts in the input. */
  readonly images: boolean;
  /**
   * Prompt caching: cache points (Converse `cachePoint`, Claude `cache_control`) are honoured.
   * Bedrock refuses them on other models, so they must not be sent there.
   */
  readonly promptCaching: boolean;
  /**
   * The fewest tokens a cache checkpoint must add to the prefix before it to be cached (a
   * shorter one is accepted and not cached); 0 without prompt caching.
   */
  readonly promptCacheMinimumTokens: number;
}

interface EntryBase {
  readonly baseModelId: string;
  readonly name: string;
  readonly provider: string;
  /** Whether a base id (or foundation-model ARN) may be invoked on demand. */
  readonly onDemand: boolean;
  /** Geographies with a system-defined cross-region profile for this model. */
  readonly profiles: readonly Geography[];
  readonly capabilities: ModelCapabilities;
}

export interface TextModelEntry extends EntryBase {
  readonly kind: "text";
  readonly family: TextFamily;
  readonly codec: TextCodec;
  readonly maxOutputTokens: number;
  readonly defaultMaxTokens: number;
  /** Quota tokens one output token consumes (5 for the Claude 4 family). */
  readonly outputBurndown: number;
  readonly temperatureOrTopP?: boolean;
}

export interface EmbeddingModelEntry extends EntryBase {
  readonly kind: "embedding";
  readonly family: EmbeddingFamily;
  readonly codec: EmbeddingCodec;
}

export interface ImageModelEntry extends EntryBase {
  readonly kind: "image";
  readonly family: ImageFamily;
  readonly codec: ImageCodec;
}

export type ModelEntry = TextModelEntry | EmbeddingModelEntry | ImageModelEntry;

const US_EU_APAC: readonly Geography[] = ["us", "eu", "apac"];

const TEXT_CAPABILITIES: ModelCapabilities = {
  streaming: true,
  converse: true,
  countTokens: false,
  tools: false,
  images: false,
  promptCaching: false,
  promptCacheMinimumTokens: 0,
};
const NO_STREAM: ModelCapabilities = {
  streaming: false,
  converse: false,
  countTokens: false,
  tools: false,
  images: false,
  promptCaching: false,
  promptCacheMinimumTokens: 0,
};

/** Prompt caching with this many tokens per cache checkpoint. */
const caching = (promptCacheMinimumTokens: number): Partial<ModelCapabilities> => ({
  promptCaching: true,
  promptCacheMinimumTokens,
});

type TextSpec = Omit<
  TextModelEntry,
  "kind" | "capabilities" | "outputBurndown" | "onDemand" | "profiles" | "provider"
> &
  Partial<Pick<TextModelEntry, "outputBurndown" | "onDemand" | "profiles" | "provider">> & {
    readonly capabilities?: Partial<ModelCapabilities>;
  };

function text(spec: TextSpec): TextModelEntry {
  return {
    kind: "text",
    provider: spec.provider ?? "",
    onDemand: spec.onDemand ?? true,
    profiles: spec.profiles ?? [],
    outputBurndown: spec.outputBurndown ?? 1,
    ...spec,
    capabilities: { ...TEXT_CAPABILITIES, ...spec.capabilities },
  };
}

const claude = (
  baseModelId: string,
  name: string,
  maxOutputTokens: number,
  extra: Partial<TextSpec> = {},
): TextModelEntry =>
  text({
    baseModelId,
    name,
    provider: "Anthropic",
    family: "anthropic-claude",
    codec: anthropicClaudeCodec,
    maxOutputTokens,
    defaultMaxTokens: Math.min(4096, maxOutputTokens),
    profiles: US_EU_APAC,
    ...extra,
    capabilities: { tools: true, images: true, countTokens: true, ...extra.capabilities },
  });

// The Claude 4 family: profile-only, output tokens burn 5x.
const claude4 = (
  baseModelId: string,
  name: string,
  maxOutputTokens: number,
  profiles: readonly Geography[],
  extra: Partial<TextSpec> = {},
) =>
  claude(baseModelId, name, maxOutputTokens, {
    onDemand: false,
    outputBurndown: 5,
    profiles,
    ...extra,
  });

const llama = (baseModelId: string, name: string, extra: Partial<TextSpec> = {}) =>
  text({
    baseModelId,
    name,
    provider: "Meta",
    family: "meta-llama",
    codec: metaLlamaCodec,
    // max_gen_len: default 512, at most 2048 (model-parameters-meta.html).
    maxOutputTokens: 2048,
    defaultMaxTokens: 512,
    ...extra,
  });

const embedding = (
  baseModelId: string,
  name: string,
  provider: string,
  family: EmbeddingFamily,
  codec: EmbeddingCodec,
  extra: Partial<EmbeddingModelEntry> = {},
): EmbeddingModelEntry => ({
  kind: "embedding",
  baseModelId,
  name,
  provider,
  family,
  codec,
  onDemand: true,
  profiles: [],
  capabilities: NO_STREAM,
  ...extra,
});

const image = (
  baseModelId: string,
  name: string,
  provider: string,
  family: ImageFamily,
  codec: ImageCodec,
): ImageModelEntry => ({
  kind: "image",
  baseModelId,
  name,
  provider,
  family,
  codec,
  onDemand: true,
  profiles: [],
  capabilities: NO_STREAM,
});

/** Every model the client knows by id. */
export const MODEL_CATALOG: readonly ModelEntry[] = [
  claude("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku", 4096, {
    capabilities: { countTokens: false },
  }),
  claude("anthropic.claude-3-sonnet-20240229-v1:0", "Claude 3 Sonnet", 4096, {
    capabilities: { countTokens: false },
  }),
  claude("anthropic.claude-3-opus-20240229-v1:0", "Claude 3 Opus", 4096, {
    profiles: ["us"],
    capabilities: { countTokens: false },
  }),
  claude("anthropic.claude-3-5-sonnet-20240620-v1:0", "Claude 3.5 Sonnet", 8192),
  claude("anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet v2", 8192, {
    profiles: ["us", "apac"],
  }),
  claude("anthropic.claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku", 8192, {
    profiles: ["us"],
    capabilities: { images: false, ...caching(2048) },
  }),
  claude("anthropic.claude-3-7-sonnet-20250219-v1:0", "Claude 3.7 Sonnet", 64000, {
    onDemand: false,
    capabilities: caching(1024),
  }),
  claude4(
    "anthropic.claude-sonnet-4-20250514-v1:0",
    "Claude Sonnet 4",
    64000,
    ["us", "eu", "apac", "global"],
    { capabilities: caching(1024) },
  ),
  claude4("anthropic.claude-opus-4-20250514-v1:0", "Claude Opus 4", 32000, ["us"], {
    capabilities: caching(1024),
  }),
  claude4("anthropic.claude-opus-4-1-20250805-v1:0", "Claude Opus 4.1", 32000, ["us"], {
    capabilities: caching(1024),
  }),
  claude4(
    "anthropic.claude-sonnet-4-5-20250929-v1:0",
    "Claude Sonnet 4.5",
    64000,
    ["us", "eu", "jp", "au", "global"],
    { temperatureOrTopP: true, capabilities: caching(4096) },
  ),
  claude4(
    "anthropic.claude-haiku-4-5-20251001-v1:0",
    "Claude Haiku 4.5",
    64000,
    ["us", "eu", "jp", "au", "global"],
    { temperatureOrTopP: true, capabilities: caching(4096) },
  ),
  claude4(
    "anthropic.claude-opus-4-5-20251101-v1:0",
    "Claude Opus 4.5",
    64000,
    ["us", "eu", "global"],
    { capabilities: caching(4096) },
  ),

  ...(
    [
      ["amazon.nova-micro-v1:0", "Nova Micro", false],
      ["amazon.nova-lite-v1:0", "Nova Lite", true],
      ["amazon.nova-pro-v1:0", "Nova Pro", true],
    ] as const
  ).map(([baseModelId, name, images]) =>
    text({
      baseModelId,
      name,
      provider: "Amazon",
      family: "amazon-nova",
      codec: amazonNovaCodec,
      // maxTokens up to 10k on Nova 1 (complete-request-schema.html); the default is ours.
      maxOutputTokens: 10000,
      defaultMaxTokens: 5000,
      profiles: US_EU_APAC,
      // "1K" tokens per checkpoint in the prompt-caching table.
      capabilities: { tools: true, images, ...caching(1000) },
    }),
  ),
  text({
    baseModelId: "amazon.nova-premier-v1:0",
    name: "Nova Premier",
    provider: "Amazon",
    family: "amazon-nova",
    codec: amazonNovaCodec,
    maxOutputTokens: 32000,
    defaultMaxTokens: 5000,
    onDemand: false,
    profiles: ["us"],
    capabilities: { tools: true, images: true, ...caching(1000) },
  }),
  text({
    baseModelId: "amazon.nova-2-lite-v1:0",
    name: "Nova 2 Lite",
    provider: "Amazon",
    family: "amazon-nova",
    codec: amazonNova2Codec,
    // Unverified: the Nova 2 schema page says 1-5000 in one place; the limit is left wide and
    // the service judges larger values.
    maxOutputTokens: 65536,
    defaultMaxTokens: 5000,
    onDemand: false,
    profiles: ["us", "eu", "jp", "global"],
    capabilities: { tools: true, images: false },
  }),

  llama("meta.llama3-8b-instruct-v1:0", "Llama 3 8B Instruct"),
  llama("meta.llama3-70b-instruct-v1:0", "Llama 3 70B Instruct"),
  llama("meta.llama3-1-8b-instruct-v1:0", "Llama 3.1 8B Instruct", { profiles: ["us"] }),
  llama("meta.llama3-1-70b-instruct-v1:0", "Llama 3.1 70B Instruct", { profiles: ["us"] }),
  llama("meta.llama3-1-405b-instruct-v1:0", "Llama 3.1 405B Instruct"),
  llama("meta.llama3-2-1b-instruct-v1:0", "Llama 3.2 1B Instruct", {
    onDemand: false,
    profiles: ["us", "eu"],
  }),
  llama("meta.llama3-2-3b-instruct-v1:0", "Llama 3.2 3B Instruct", {
    onDemand: false,
    profiles: ["us", "eu"],
  }),
  llama("meta.llama3-2-11b-instruct-v1:0", "Llama 3.2 11B Vision Instruct", {
    onDemand: false,
    profiles: ["us"],
    capabilities: { images: true },
  }),
  llama("meta.llama3-2-90b-instruct-v1:0", "Llama 3.2 90B Vision Instruct", {
    onDemand: false,
    profiles: ["us"],
    capabilities: { images: true },
  }),
  llama("meta.llama3-3-70b-instruct-v1:0", "Llama 3.3 70B Instruct", {
    onDemand: false,
    profiles: ["us"],
  }),
  // Llama 4 supports neither InvokeModelWithResponseStream nor ConverseStream.
  llama("meta.llama4-scout-17b-instruct-v1:0", "Llama 4 Scout 17B Instruct", {
    onDemand: false,
    profiles: ["us"],
    maxOutputTokens: 8192,
    capabilities: { images: true, streaming: false },
  }),
  llama("meta.llama4-maverick-17b-instruct-v1:0", "Llama 4 Maverick 17B Instruct", {
    onDemand: false,
    profiles: ["us"],
    maxOutputTokens: 8192,
    capabilities: { images: true, streaming: false },
  }),

  // max_tokens defaults and maxima from model-parameters-mistral-text-completion.html.
  ...(
    [
      ["mistral.mistral-7b-instruct-v0:2", "Mistral 7B Instruct", 8192, 512],
      ["mistral.mixtral-8x7b-instruct-v0:1", "Mixtral 8x7B Instruct", 4096, 512],
      ["mistral.mistral-small-2402-v1:0", "Mistral Small (24.02)", 8192, 8192],
      ["mistral.mistral-large-2402-v1:0", "Mistral Large (24.02)", 8192, 8192],
    ] as const
  ).map(([baseModelId, name, maxOutputTokens, defaultMaxTokens]) =>
    text({
      baseModelId,
      name,
      provider: "Mistral AI",
      family: "mistral-instruct",
      codec: mistralInstructCodec,
      maxOutputTokens,
      defaultMaxTokens,
    }),
  ),
  text({
    baseModelId: "mistral.mistral-large-2407-v1:0",
    name: "Mistral Large 2 (24.07)",
    provider: "Mistral AI",
    family: "mistral-chat",
    codec: mistralChatCodec,
    maxOutputTokens: 8192,
    defaultMaxTokens: 8192,
    capabilities: { tools: true },
  }),

  ...(
    [
      ["amazon.titan-text-express-v1", "Titan Text G1 - Express", 8192],
      ["amazon.titan-text-lite-v1", "Titan Text G1 - Lite", 4096],
      ["amazon.titan-text-premier-v1:0", "Titan Text G1 - Premier", 3072],
    ] as const
  ).map(([baseModelId, name, maxOutputTokens]) =>
    text({
      baseModelId,
      name,
      provider: "Amazon",
      family: "amazon-titan-text",
      codec: amazonTitanTextCodec,
      maxOutputTokens,
      defaultMaxTokens: 512,
    }),
  ),

  ...(
    [
      ["cohere.command-r-v1:0", "Command R"],
      ["cohere.command-r-plus-v1:0", "Command R+"],
    ] as const
  ).map(([baseModelId, name]) =>
    text({
      baseModelId,
      name,
      provider: "Cohere",
      family: "cohere-command-r",
      codec: cohereCommandRCodec,
      maxOutputTokens: 4000,
      defaultMaxTokens: 4000,
      capabilities: { tools: true },
    }),
  ),
  ...(
    [
      ["cohere.command-text-v14", "Command"],
      ["cohere.command-light-text-v14", "Command Light"],
    ] as const
  ).map(([baseModelId, name]) =>
    text({
      baseModelId,
      name,
      provider: "Cohere",
      family: "cohere-command",
      codec: cohereCommandCodec,
      maxOutputTokens: 4096,
      // Bedrock's default for these models is 20 tokens (model-parameters-cohere-command.html).
      defaultMaxTokens: 20,
    }),
  ),

  embedding(
    "amazon.titan-embed-text-v2:0",
    "Titan Text Embeddings V2",
    "Amazon",
    "amazon-titan-embed-text",
    amazonTitanEmbedTextV2Codec,
  ),
  embedding(
    "amazon.titan-embed-text-v1",
    "Titan Embeddings G1 - Text",
    "Amazon",
    "amazon-titan-embed-text",
    amazonTitanEmbedTextV1Codec,
  ),
  embedding(
    "cohere.embed-english-v3",
    "Embed English",
    "Cohere",
    "cohere-embed",
    cohereEmbedV3Codec,
  ),
  embedding(
    "cohere.embed-multilingual-v3",
    "Embed Multilingual",
    "Cohere",
    "cohere-embed",
    cohereEmbedV3Codec,
  ),
  embedding("cohere.embed-v4:0", "Embed v4", "Cohere", "cohere-embed", cohereEmbedV4Codec, {
    onDemand: false,
    profiles: ["us", "eu", "global"],
  }),

  image(
    "stability.stable-diffusion-xl-v1",
    "SDXL 1.0",
    "Stability AI",
    "stability-sdxl",
    stabilitySdxlCodec,
  ),
  image(
    "stability.sd3-large-v1:0",
    "SD3 Large 1.0",
    "Stability AI",
    "stability-sd3",
    stabilitySd3Codec,
  ),
  image(
    "stability.sd3-5-large-v1:0",
    "Stable Diffusion 3.5 Large",
    "Stability AI",
    "stability-sd3",
    stabilitySd3Codec,
  ),
  image(
    "stability.stable-image-core-v1:1",
    "Stable Image Core 1.1",
    "Stability AI",
    "stability-sd3",
    stabilitySd3Codec,
  ),
  image(
    "stability.stable-image-ultra-v1:1",
    "Stable Image Ultra 1.1",
    "Stability AI",
    "stability-sd3",
    stabilitySd3Codec,
  ),
  image(
    "amazon.titan-image-generator-v1",
    "Titan Image Generator G1",
    "Amazon",
    "amazon-titan-image",
    amazonTitanImageCodec,
  ),
  image(
    "amazon.titan-image-generator-v2:0",
    "Titan Image Generator G1 v2",
    "Amazon",
    "amazon-titan-image",
    amazonTitanImageCodec,
  ),
  image(
    "amazon.nova-canvas-v1:0",
    "Nova Canvas",
    "Amazon",
    "amazon-titan-image",
    amazonNovaCanvasCodec,
  ),
];

const BY_ID = new Map(MODEL_CATALOG.map((entry) => [entry.baseModelId, entry]));

/** The catalog entry for a base model id, if known. */
export function catalogEntry(baseModelId: string): ModelEntry | undefined {
  return BY_ID.get(baseModelId);
}

/**
 * What to assume about a model known only by its family (an application profile or
 * provisioned model given with a `family` hint): the family's usual codec, its largest output
 * limit and burndown (so the scheduler over- rather than under-reserves), and every capability
 * some member has (so nothing is refused that the model may allow).
 */
export function familyDefaults(family: ModelFamily): ModelEntry {
  const members = MODEL_CATALOG.filter((entry) => entry.family === family);
  const first = members[0];
  if (!first) throw new Error(`model-catalog: no model of family ${family}`);
  const capabilities: ModelCapabilities = {
    streaming: members.some((entry) => entry.capabilities.streaming),
    converse: members.some((entry) => entry.capabilities.converse),
    countTokens: members.some((entry) => entry.capabilities.countTokens),
    tools: members.some((entry) => entry.capabilities.tools),
    images: members.some((entry) => entry.capabilities.images),
    // Unlike the rest, caching is assumed only when every member has it: Bedrock refuses a
    // cache point on a model without caching, which costs more than a missed saving.
    promptCaching: members.every((entry) => entry.capabilities.promptCaching),
    promptCacheMinimumTokens: Math.max(
      ...members.map((entry) => entry.capabilities.promptCacheMinimumTokens),
    ),
  };
  const generic = {
    ...first,
    baseModelId: "",
    name: `unknown ${family} model`,
    onDemand: true,
    profiles: [],
    capabilities,
  };
  if (generic.kind !== "text") return generic;
  const texts = members as TextModelEntry[];
  return {
    ...generic,
    maxOutputTokens: Math.max(...texts.map((entry) => entry.maxOutputTokens)),
    outputBurndown: Math.max(...texts.map((entry) => entry.outputBurndown)),
    temperatureOrTopP: false,
  };
}
