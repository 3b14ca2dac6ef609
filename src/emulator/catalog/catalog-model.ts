/** Which request/response dialect a model speaks on InvokeModel (the emulator's own mapping). */
export type Dialect =
  | "anthropic-messages"
  | "nova-messages"
  | "llama"
  | "mistral"
  | "titan-text"
  | "cohere-command-r"
  | "cohere-command"
  | "titan-embed"
  | "cohere-embed"
  | "stability-sdxl"
  | "stability-sd3"
  | "titan-image";

/** Where a request may place prompt-cache checkpoints. */
export type CacheField = "tools" | "system" | "messages";

/** A cache checkpoint's time to live. */
export type CacheTtl = "5m" | "1h";

/**
 * How a model caches prompt prefixes (facts and sources in `state/prompt-cache.ts`); a model
 * without it refuses cache points.
 */
export interface PromptCacheSupport {
  /** The fewest tokens a checkpoint must add to the prefix before it to be cached. */
  readonly minimumTokens: number;
  /** The most checkpoints one request may carry. */
  readonly maxCheckpoints: number;
  /** The TTLs a checkpoint may ask for; the first is the default. */
  readonly ttls: readonly CacheTtl[];
  /** The request fields whose checkpoints are honoured; checkpoints elsewhere are ignored. */
  readonly fields: readonly CacheField[];
  /** The longest prefix the model caches (Nova: 20K tokens); longer checkpoints are ignored. */
  readonly maxCachedTokens?: number;
}

/** The kind of output a model produces. */
export type Modality = "text" | "embedding" | "image";

/** One foundation model the emulator serves. */
export interface CatalogModel {
  /** Base model id, e.g. `anthropic.claude-3-haiku-20240307-v1:0`. */
  readonly modelId: string;
  readonly modelName: string;
  readonly providerName: string;
  readonly dialect: Dialect;
  readonly output: Modality;
  readonly inputModalities: readonly ("TEXT" | "IMAGE")[];
  /** Whether InvokeModelWithResponseStream / ConverseStream are supported. */
  readonly streaming: boolean;
  /** Whether Converse / ConverseStream are supported. */
  readonly converse: boolean;
  /** Whether CountTokens is supported. */
  readonly countTokens: boolean;
  /** Whether on-demand invocation by base id is allowed (else only through a profile). */
  readonly onDemand: boolean;
  /** Geographic prefixes with a system-defined cross-region inference profile. */
  readonly profiles: readonly ("us" | "eu" | "apac" | "global")[];
  /** Quota tokens charged per output token (5 for Claude 4-family models). */
  readonly outputBurndown: number;
  /** The model's largest allowed `max_tokens`. */
  readonly maxOutputTokens: number;
  /** The output budget Bedrock applies when the request does not set one. */
  readonly defaultMaxTokens: number;
  /** Prompt caching, when the model offers it. */
  readonly promptCache?: PromptCacheSupport;
}
