/**
 * The family-neutral shapes the client speaks, and the codec interfaces that map them to and
 * from each model family's InvokeModel body. One codec per family lives in `codecs/`; which
 * codec a model id needs is decided by `resolve-model.ts` alone.
 *
 * Bodies per family: https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters.html
 */

/** Families whose InvokeModel body generates text. */
export type TextFamily =
  | "anthropic-claude"
  | "amazon-nova"
  | "meta-llama"
  | "mistral-instruct"
  | "mistral-chat"
  | "amazon-titan-text"
  | "cohere-command-r"
  | "cohere-command";

/** Families whose InvokeModel body returns embeddings. */
export type EmbeddingFamily = "amazon-titan-embed-text" | "cohere-embed";

/** Families whose InvokeModel body returns images. */
export type ImageFamily = "stability-sdxl" | "stability-sd3" | "amazon-titan-image";

export type ModelFamily = TextFamily | EmbeddingFamily | ImageFamily;

// ---------------------------------------------------------------------------------------------
// Requests

/** Image formats the families accept. */
export type ImageFormat = "png" | "jpeg" | "gif" | "webp";

/** Document formats (Claude and Nova; the same set as Converse's `DocumentFormat`). */
export type DocumentFormat =
  | "pdf"
  | "csv"
  | "doc"
  | "docx"
  | "xls"
  | "xlsx"
  | "html"
  | "txt"
  | "md";

export interface TextPart {
  readonly type: "text";
  readonly text: string;
}

export interface ImagePart {
  readonly type: "image";
  readonly format: ImageFormat;
  /** The raw image bytes (codecs base64-encode them for the wire). */
  readonly bytes: Uint8Array;
}

export interface DocumentPart {
  readonly type: "document";
  readonly format: DocumentFormat;
  /** A name the model may see; Bedrock allows letters, digits, spaces, hyphens, parentheses, brackets. */
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** The model asked to call a tool (appears in assistant messages). */
export interface ToolCallPart {
  readonly type: "tool-call";
  readonly toolCallId: string;
  readonly toolName: string;
  /** The arguments, already parsed from JSON. */
  readonly input: unknown;
}

/** What a tool returned (appears in user messages, answering a `tool-call`). */
export interface ToolResultPart {
  readonly type: "tool-result";
  readonly toolCallId: string;
  /** The tool's name; needed by families that match results by name (Cohere, Mistral). */
  readonly toolName?: string;
  /** Text, or a JSON value the codec serialises. */
  readonly content: string | TextPart | { readonly type: "json"; readonly value: unknown };
  readonly isError?: boolean;
}

/**
 * A prompt-cache checkpoint: everything before it may be cached
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html).
 */
export interface CachePointPart {
  readonly type: "cache-point";
  /** @default "5m" */
  readonly ttl?: "5m" | "1h";
}

/**
 * Reasoning the model produced, passed back unchanged in later turns (Claude requires its
 * thinking blocks, with their signature, when a tool loop continues).
 */
export interface ReasoningPart {
  readonly type: "reasoning";
  readonly text: string;
  readonly signature?: string;
  /** Claude's `redacted_thinking` payload, opaque. */
  readonly redactedData?: string;
}

export type ContentPart =
  | TextPart
  | ImagePart
  | DocumentPart
  | ToolCallPart
  | ToolResultPart
  | CachePointPart
  | ReasoningPart;

export interface Message {
  readonly role: "user" | "assistant";
  /** A string is shorthand for one text part. */
  readonly content: string | readonly ContentPart[];
}

export interface ToolDefinition {
  readonly name: string;
  readonly description?: string;
  /** The arguments as a JSON Schema object. */
  readonly inputSchema: Readonly<Record<string, unknown>>;
}

export type ToolChoice =
  | { readonly type: "auto" }
  | { readonly type: "any" }
  | { readonly type: "tool"; readonly name: string }
  | { readonly type: "none" };

export interface ReasoningOptions {
  /** Claude extended thinking: tokens the model may spend thinking (at least 1024). */
  readonly budgetTokens?: number;
  /** Nova 2 and newer models: how hard to think. */
  readonly effort?: "low" | "medium" | "high";
}

/** A text-generation request, the same for every family. */
export interface TextRequest {
  /** A string, or text parts with cache points between them. */
  readonly system?: string | readonly (TextPart | CachePointPart)[];
  readonly messages: readonly Message[];
  /** @default the model's `defaultMaxTokens` */
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly stopSequences?: readonly string[];
  readonly tools?: readonly ToolDefinition[];
  /** @default { type: "auto" } when tools are given */
  readonly toolChoice?: ToolChoice;
  readonly reasoning?: ReasoningOptions;
  /**
   * Family-specific fields merged into the body last (e.g. Claude's `anthropic_beta`, Cohere's
   * `documents`). They win over what the codec built, so they can fix anything the neutral
   * request cannot say.
   */
  readonly additionalFields?: Readonly<Record<string, unknown>>;
}

/** What a codec needs to know about the model it builds for (a `ResolvedModel` satisfies it). */
export interface CodecModel {
  /** The base model id, e.g. `anthropic.claude-3-haiku-20240307-v1:0`. */
  readonly baseModelId: string;
  /** The largest `maxTokens` the model accepts. */
  readonly maxOutputTokens: number;
  /** The `maxTokens` used when a request does not say. */
  readonly defaultMaxTokens: number;
  /** False when the model reads text only; codecs then refuse image parts. @default true */
  readonly imageInput?: boolean;
  /** The model takes `temperature` or `topP`, not both (Claude Sonnet 4.5, Haiku 4.5). */
  readonly temperatureOrTopP?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Results

/** Why generation stopped, the same words for every family. */
export type StopReason =
  | "end_turn"
  | "max_tokens"
  | "stop_sequence"
  | "tool_use"
  | "guardrail_intervened"
  | "content_filtered"
  | "other";

/** Token usage; `0` where neither the body nor the token-count headers said. */
export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadInputTokens?: number;
  readonly cacheWriteInputTokens?: number;
}

export interface ToolCall {
  readonly toolCallId: string;
  readonly toolName: string;
  readonly input: unknown;
}

export interface TextResult {
  /** All text parts joined. */
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  /** Reasoning text joined, when the model reasoned visibly. */
  readonly reasoning?: string;
  /** The reply in order (text, reasoning, tool calls), ready to send back as an assistant message. */
  readonly content: readonly ContentPart[];
  readonly stopReason: StopReason;
  /** The family's own stop reason, as sent. */
  readonly rawStopReason: string | undefined;
  readonly usage: Usage;
}

/**
 * Response headers as the client saw them. Names are matched case-insensitively; the codecs
 * read `X-Amzn-Bedrock-Input-Token-Count` and `-Output-Token-Count` when a body lacks usage.
 */
export type ResponseHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

// ---------------------------------------------------------------------------------------------
// Streams (DESIGN §15: noun-then-verb parts, closed by one `finish`)

export type StreamPart =
  | { readonly type: "text-start"; readonly id: string }
  | { readonly type: "text-delta"; readonly id: string; readonly delta: string }
  | { readonly type: "text-end"; readonly id: string }
  | {
      readonly type: "tool-use-start";
      readonly id: string;
      readonly toolCallId: string;
      readonly toolName: string;
    }
  /** A piece of the tool's arguments as partial JSON text. */
  | { readonly type: "tool-use-delta"; readonly id: string; readonly delta: string }
  | {
      readonly type: "tool-use-end";
      readonly id: string;
      readonly toolCallId: string;
      readonly toolName: string;
      /** The whole arguments, parsed. */
      readonly input: unknown;
    }
  | {
      readonly type: "reasoning-delta";
      readonly id: string;
      readonly delta: string;
      /** Claude sends the thinking block's signature as its own delta. */
      readonly signature?: string;
    }
  | {
      readonly type: "finish";
      readonly stopReason: StopReason;
      readonly rawStopReason: string | undefined;
      readonly usage: Usage;
    };

/**
 * Turns one InvokeModelWithResponseStream into parts. Stateful: create one per stream.
 */
export interface StreamParser {
  /**
   * Parses one `chunk` event: the decoded JSON of its `bytes`, or the bytes themselves
   * (a `Uint8Array` or string of JSON). Returns the parts it completes, never `finish`.
   */
  parse(chunk: unknown): StreamPart[];
  /**
   * Called when the transport's stream has ended. Closes any open part and returns the one
   * `finish` part (some families send usage after their stop event, so it cannot come earlier).
   * Throws a retryable error (name `StreamTruncatedError`) when the family's final event never
   * arrived: a cut stream is a failure to retry, not a short answer.
   */
  finish(): StreamPart[];
}

// ---------------------------------------------------------------------------------------------
// Codecs

/** How the body will be sent. */
export interface BuildRequestOptions {
  /**
   * The body is for InvokeModelWithResponseStream. Most families ignore it; legacy Cohere
   * Command needs `stream: true` in the body to stream.
   * @default false
   */
  readonly stream?: boolean;
}

/** Maps text requests for one family. */
export interface TextCodec {
  readonly family: TextFamily;
  /** The InvokeModel body, ready for `JSON.stringify`. Throws `QuarryError` (`input.*`) first. */
  buildRequest(
    request: TextRequest,
    model: CodecModel,
    options?: BuildRequestOptions,
  ): Record<string, unknown>;
  /** Parses an InvokeModel response body (bytes, text or parsed JSON). */
  parseResponse(body: unknown, headers?: ResponseHeaders): TextResult;
  createStreamParser(): StreamParser;
}

export interface EmbeddingOptions {
  /** Titan Embed Text v2: 256, 512 or 1024. Cohere Embed v4: 256, 512, 1024 or 1536. */
  readonly dimensions?: number;
  /** Titan Embed Text v2. @default true */
  readonly normalize?: boolean;
  /** Cohere: what the texts are for. @default "search_document" */
  readonly inputType?: "search_document" | "search_query" | "classification" | "clustering";
  /**
   * Cohere: how to cut over-long texts. Sent only when given: the AWS pages disagree on the
   * service default (`NONE` on one, `END` on the v3 page).
   */
  readonly truncate?: "NONE" | "START" | "END";
  /** Family-specific fields merged into the body last. */
  readonly additionalFields?: Readonly<Record<string, unknown>>;
}

export interface EmbeddingResult {
  /** One vector per input text, in input order. */
  readonly vectors: number[][];
  readonly inputTokens?: number;
}

/** Maps embedding requests for one family. */
export interface EmbeddingCodec {
  readonly family: EmbeddingFamily;
  /** How many texts one InvokeModel call may carry (Titan 1, Cohere 96). */
  readonly maxBatch: number;
  buildRequest(texts: readonly string[], options?: EmbeddingOptions): Record<string, unknown>;
  parseResponse(body: unknown, headers?: ResponseHeaders): EmbeddingResult;
}

export interface ImageRequest {
  readonly prompt: string;
  readonly negativePrompt?: string;
  /** Pixels; families with fixed sizes validate the pair. */
  readonly width?: number;
  readonly height?: number;
  /** SD3-style models size by aspect ratio instead, e.g. `"16:9"`. */
  readonly aspectRatio?: string;
  /** @default 1 */
  readonly count?: number;
  readonly seed?: number;
  /** How closely to follow the prompt. */
  readonly cfgScale?: number;
  /** SDXL diffusion steps. */
  readonly steps?: number;
  /** SDXL style preset, e.g. `"photographic"`. */
  readonly stylePreset?: string;
  /** @default "png" */
  readonly outputFormat?: "png" | "jpeg";
  /** Titan Image / Nova Canvas: `"standard"` or `"premium"`. */
  readonly quality?: "standard" | "premium";
  /** Family-specific fields merged into the body last. */
  readonly additionalFields?: Readonly<Record<string, unknown>>;
}

export interface ImageResult {
  /** The decoded image files (PNG or JPEG bytes), ready to write. */
  readonly images: Uint8Array[];
  /** Per image, the family's finish reason when it gives one (e.g. `SUCCESS`, `CONTENT_FILTERED`). */
  readonly finishReasons: (string | undefined)[];
  readonly seeds?: number[];
}

/** Maps image-generation requests for one family. */
export interface ImageCodec {
  readonly family: ImageFamily;
  buildRequest(request: ImageRequest): Record<string, unknown>;
  parseResponse(body: unknown): ImageResult;
}
