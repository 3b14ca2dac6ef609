import { PROMPT_CACHE_SUPPORT } from "../state/prompt-cache.js";
import type { CatalogModel, Dialect, Modality } from "./catalog-model.js";

// Model ids, names, streaming support and profile availability follow the Bedrock user guide's
// "Supported foundation models" and "Supported Regions and models for inference profiles"
// tables (https://docs.aws.amazon.com/bedrock/latest/userguide/models-supported.html,
// https://docs.aws.amazon.com/bedrock/latest/userguide/inference-profiles-support.html).
// Output burndown: https://docs.aws.amazon.com/bedrock/latest/userguide/quotas-token-burndown.html

type Spec = Partial<CatalogModel> &
  Pick<CatalogModel, "modelId" | "modelName" | "providerName" | "dialect">;

const OUTPUT_BY_DIALECT: Record<Dialect, Modality> = {
  "anthropic-messages": "text",
  "nova-messages": "text",
  llama: "text",
  mistral: "text",
  "titan-text": "text",
  "cohere-command-r": "text",
  "cohere-command": "text",
  "titan-embed": "embedding",
  "cohere-embed": "embedding",
  "stability-sdxl": "image",
  "stability-sd3": "image",
  "titan-image": "image",
};

function model(spec: Spec): CatalogModel {
  const output = spec.output ?? OUTPUT_BY_DIALECT[spec.dialect];
  const text = output === "text";
  const promptCache = PROMPT_CACHE_SUPPORT[spec.modelId];
  return {
    ...(promptCache ? { promptCache } : {}),
    output,
    inputModalities: ["TEXT"],
    streaming: text,
    converse: text,
    countTokens: false,
    onDemand: true,
    profiles: [],
    outputBurndown: 1,
    maxOutputTokens: text ? 4096 : 0,
    defaultMaxTokens: text ? 512 : 0,
    ...spec,
  };
}

const US_EU_APAC = ["us", "eu", "apac"] as const;
const ALL_GEOS = ["us", "eu", "apac", "global"] as const;

const claude = (modelId: string, modelName: string, extra: Partial<CatalogModel> = {}) =>
  model({
    modelId,
    modelName,
    providerName: "Anthropic",
    dialect: "anthropic-messages",
    inputModalities: ["TEXT", "IMAGE"],
    countTokens: true,
    maxOutputTokens: 4096,
    defaultMaxTokens: 4096,
    profiles: US_EU_APAC,
    ...extra,
  });

// Claude 4-family: profile-only, 5x output burndown, larger outputs.
const claude4 = (modelId: string, modelName: string, maxOutputTokens: number, global = false) =>
  claude(modelId, modelName, {
    onDemand: false,
    outputBurndown: 5,
    maxOutputTokens,
    defaultMaxTokens: 4096,
    profiles: global ? ALL_GEOS : US_EU_APAC,
  });

export const BUILTIN_MODELS: readonly CatalogModel[] = [
  claude("anthropic.claude-3-haiku-20240307-v1:0", "Claude 3 Haiku"),
  claude("anthropic.claude-3-sonnet-20240229-v1:0", "Claude 3 Sonnet"),
  claude("anthropic.claude-3-opus-20240229-v1:0", "Claude 3 Opus", { profiles: ["us"] }),
  claude("anthropic.claude-3-5-sonnet-20240620-v1:0", "Claude 3.5 Sonnet", {
    maxOutputTokens: 8192,
  }),
  claude("anthropic.claude-3-5-sonnet-20241022-v2:0", "Claude 3.5 Sonnet v2", {
    maxOutputTokens: 8192,
  }),
  claude("anthropic.claude-3-5-haiku-20241022-v1:0", "Claude 3.5 Haiku", {
    maxOutputTokens: 8192,
    profiles: ["us"],
  }),
  claude("anthropic.claude-3-7-sonnet-20250219-v1:0", "Claude 3.7 Sonnet", {
    onDemand: false,
    maxOutputTokens: 64000,
  }),
  claude4("anthropic.claude-sonnet-4-20250514-v1:0", "Claude Sonnet 4", 64000, true),
  claude4("anthropic.claude-opus-4-20250514-v1:0", "Claude Opus 4", 32000),
  claude4("anthropic.claude-opus-4-1-20250805-v1:0", "Claude Opus 4.1", 32000),
  claude4("anthropic.claude-sonnet-4-5-20250929-v1:0", "Claude Sonnet 4.5", 64000, true),
  claude4("anthropic.claude-haiku-4-5-20251001-v1:0", "Claude Haiku 4.5", 64000, true),
  claude4("anthropic.claude-opus-4-5-20251101-v1:0", "Claude Opus 4.5", 64000, true),

  ...(
    [
      ["amazon.nova-micro-v1:0", "Nova Micro", ["TEXT"]],
      ["amazon.nova-lite-v1:0", "Nova Lite", ["TEXT", "IMAGE"]],
      ["amazon.nova-pro-v1:0", "Nova Pro", ["TEXT", "IMAGE"]],
    ] as const
  ).map(([modelId, modelName, inputModalities]) =>
    model({
      modelId,
      modelName,
      providerName: "Amazon",
      dialect: "nova-messages",
      inputModalities,
      maxOutputTokens: 10000,
      defaultMaxTokens: 5000,
      profiles: US_EU_APAC,
      countTokens: false,
    }),
  ),
  model({
    modelId: "amazon.nova-premier-v1:0",
    modelName: "Nova Premier",
    providerName: "Amazon",
    dialect: "nova-messages",
    inputModalities: ["TEXT", "IMAGE"],
    onDemand: false,
    profiles: ["us"],
    maxOutputTokens: 32000,
    defaultMaxTokens: 5000,
  }),

  ...(
    [
      ["meta.llama3-8b-instruct-v1:0", "Llama 3 8B Instruct", true, []],
      ["meta.llama3-70b-instruct-v1:0", "Llama 3 70B Instruct", true, []],
      ["meta.llama3-1-8b-instruct-v1:0", "Llama 3.1 8B Instruct", true, ["us"]],
      ["meta.llama3-1-70b-instruct-v1:0", "Llama 3.1 70B Instruct", true, ["us"]],
      ["meta.llama3-1-405b-instruct-v1:0", "Llama 3.1 405B Instruct", true, []],
      ["meta.llama3-2-1b-instruct-v1:0", "Llama 3.2 1B Instruct", false, ["us", "eu"]],
      ["meta.llama3-2-3b-instruct-v1:0", "Llama 3.2 3B Instruct", false, ["us", "eu"]],
      ["meta.llama3-2-11b-instruct-v1:0", "Llama 3.2 11B Instruct", false, ["us"]],
      ["meta.llama3-2-90b-instruct-v1:0", "Llama 3.2 90B Instruct", false, ["us"]],
      ["meta.llama3-3-70b-instruct-v1:0", "Llama 3.3 70B Instruct", false, ["us"]],
    ] as const
  ).map(([modelId, modelName, onDemand, profiles]) =>
    model({
      modelId,
      modelName,
      providerName: "Meta",
      dialect: "llama",
      // Llama 3.2 11B and 90B are the vision models: their bodies may carry `images`.
      inputModalities: /llama3-2-(11|90)b/.test(modelId) ? ["TEXT", "IMAGE"] : ["TEXT"],
      onDemand,
      profiles,
      maxOutputTokens: 2048,
      defaultMaxTokens: 512,
    }),
  ),
  ...(
    [
      ["meta.llama4-scout-17b-instruct-v1:0", "Llama 4 Scout 17B Instruct"],
      ["meta.llama4-maverick-17b-instruct-v1:0", "Llama 4 Maverick 17B Instruct"],
    ] as const
  ).map(([modelId, modelName]) =>
    // Llama 4 supports neither InvokeModelWithResponseStream nor ConverseStream.
    model({
      modelId,
      modelName,
      providerName: "Meta",
      dialect: "llama",
      inputModalities: ["TEXT", "IMAGE"],
      onDemand: false,
      profiles: ["us"],
      streaming: false,
      maxOutputTokens: 8192,
      defaultMaxTokens: 512,
    }),
  ),

  ...(
    [
      ["mistral.mistral-7b-instruct-v0:2", "Mistral 7B Instruct", 8192],
      ["mistral.mixtral-8x7b-instruct-v0:1", "Mixtral 8x7B Instruct", 4096],
      ["mistral.mistral-small-2402-v1:0", "Mistral Small (24.02)", 8192],
      ["mistral.mistral-large-2402-v1:0", "Mistral Large (24.02)", 8192],
      ["mistral.mistral-large-2407-v1:0", "Mistral Large (24.07)", 8192],
    ] as const
  ).map(([modelId, modelName, maxOutputTokens]) =>
    model({
      modelId,
      modelName,
      providerName: "Mistral AI",
      dialect: "mistral",
      maxOutputTokens,
      defaultMaxTokens: 512,
    }),
  ),

  ...(
    [
      ["amazon.titan-text-express-v1", "Titan Text G1 - Express", 8192],
      ["amazon.titan-text-lite-v1", "Titan Text G1 - Lite", 4096],
      ["amazon.titan-text-premier-v1:0", "Titan Text G1 - Premier", 3072],
    ] as const
  ).map(([modelId, modelName, maxOutputTokens]) =>
    model({
      modelId,
      modelName,
      providerName: "Amazon",
      dialect: "titan-text",
      maxOutputTokens,
      defaultMaxTokens: 512,
    }),
  ),

  model({
    modelId: "cohere.command-r-v1:0",
    modelName: "Command R",
    providerName: "Cohere",
    dialect: "cohere-command-r",
    defaultMaxTokens: 4000,
  }),
  model({
    modelId: "cohere.command-r-plus-v1:0",
    modelName: "Command R+",
    providerName: "Cohere",
    dialect: "cohere-command-r",
    defaultMaxTokens: 4000,
  }),
  model({
    modelId: "cohere.command-text-v14",
    modelName: "Command",
    providerName: "Cohere",
    dialect: "cohere-command",
    converse: true,
    defaultMaxTokens: 20,
  }),
  model({
    modelId: "cohere.command-light-text-v14",
    modelName: "Command Light",
    providerName: "Cohere",
    dialect: "cohere-command",
    defaultMaxTokens: 20,
  }),

  model({
    modelId: "amazon.titan-embed-text-v2:0",
    modelName: "Titan Text Embeddings V2",
    providerName: "Amazon",
    dialect: "titan-embed",
  }),
  model({
    modelId: "amazon.titan-embed-text-v1",
    modelName: "Titan Embeddings G1 - Text",
    providerName: "Amazon",
    dialect: "titan-embed",
  }),
  model({
    modelId: "cohere.embed-english-v3",
    modelName: "Embed English",
    providerName: "Cohere",
    dialect: "cohere-embed",
  }),
  model({
    modelId: "cohere.embed-multilingual-v3",
    modelName: "Embed Multilingual",
    providerName: "Cohere",
    dialect: "cohere-embed",
  }),
  model({
    modelId: "cohere.embed-v4:0",
    modelName: "Embed v4",
    providerName: "Cohere",
    dialect: "cohere-embed",
    inputModalities: ["TEXT", "IMAGE"],
    onDemand: false,
    profiles: ["us", "eu", "global"],
  }),

  model({
    modelId: "stability.stable-diffusion-xl-v1",
    modelName: "SDXL 1.0",
    providerName: "Stability AI",
    dialect: "stability-sdxl",
  }),
  model({
    modelId: "stability.sd3-large-v1:0",
    modelName: "SD3 Large 1.0",
    providerName: "Stability AI",
    dialect: "stability-sd3",
  }),
  model({
    modelId: "stability.sd3-5-large-v1:0",
    modelName: "Stable Diffusion 3.5 Large",
    providerName: "Stability AI",
    dialect: "stability-sd3",
  }),
  model({
    modelId: "stability.stable-image-core-v1:1",
    modelName: "Stable Image Core 1.1",
    providerName: "Stability AI",
    dialect: "stability-sd3",
  }),
  model({
    modelId: "stability.stable-image-ultra-v1:1",
    modelName: "Stable Image Ultra 1.1",
    providerName: "Stability AI",
    dialect: "stability-sd3",
  }),
  model({
    modelId: "amazon.titan-image-generator-v1",
    modelName: "Titan Image Generator G1",
    providerName: "Amazon",
    dialect: "titan-image",
  }),
  model({
    modelId: "amazon.titan-image-generator-v2:0",
    modelName: "Titan Image Generator G1 v2",
    providerName: "Amazon",
    dialect: "titan-image",
  }),
  model({
    modelId: "amazon.nova-canvas-v1:0",
    modelName: "Nova Canvas",
    providerName: "Amazon",
    dialect: "titan-image",
  }),
];
