import type { CatalogModel } from "../catalog/catalog-model.js";
import type { CacheCheckpoint } from "../state/prompt-cache.js";

/** A tool the caller offers the model, in JSON Schema terms. */
export interface ToolSpec {
  readonly name: string;
  readonly description?: string;
  readonly inputSchema: unknown;
}

/** A tool call the model makes. */
export interface ToolCall {
  readonly id: string;
  readonly name: string;
  readonly input: unknown;
}

/** One conversation turn, reduced to what a responder looks at. */
export interface Turn {
  readonly role: "user" | "assistant";
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  /** Tool results the user sends back, by tool-use id. */
  readonly toolResults: readonly {
    readonly toolUseId: string;
    readonly text: string;
    /** `error` when the caller reports that the tool failed. */
    readonly status?: "success" | "error";
  }[];
}

/** A text-generation request, whatever dialect it came in. */
export interface TextCall {
  readonly kind: "text";
  readonly system: string;
  readonly turns: readonly Turn[];
  /** Every input text joined: counted for tokens, matched by scripted replies. */
  readonly promptText: string;
  readonly maxTokens: number;
  readonly stopSequences: readonly string[];
  readonly tools: readonly ToolSpec[];
  readonly toolChoice: { readonly type: "auto" | "any" | "tool" | "none"; readonly name?: string };
  /** A JSON Schema the reply must match (Converse `outputConfig`), if any. */
  readonly responseSchema?: unknown;
  /**
   * How the API the call came through spells tool-use ids (Converse: `tooluse_`); when absent,
   * the model family's native form is used.
   */
  readonly toolUseIdPrefix?: string;
  readonly imageCount: number;
  readonly temperature?: number;
  /** Which of a family's body forms the request used, when it has several (Mistral `chat`). */
  readonly bodyForm?: string;
  /** The prompt-cache checkpoints the request places, in prompt order; absent when none. */
  readonly cachePoints?: readonly CacheCheckpoint[];
}

/** An embedding request: one or more texts. */
export interface EmbeddingCall {
  readonly kind: "embedding";
  readonly texts: readonly string[];
  readonly dimensions: number;
  readonly normalize: boolean;
  readonly promptText: string;
  /** The representations asked for (`float`, `int8`, `binary`, ...), in the family's words. */
  readonly embeddingTypes?: readonly string[];
}

/** An image-generation request. */
export interface ImageCall {
  readonly kind: "image";
  readonly prompt: string;
  readonly width: number;
  readonly height: number;
  readonly count: number;
  /** The seed of the first image; image `i` of a batch uses `seed + i`. */
  readonly seed: number;
  readonly promptText: string;
}

export type Call = TextCall | EmbeddingCall | ImageCall;

/** Why generation stopped, in Converse's vocabulary; dialects map it to their own words. */
export type StopReason =
  | "end_turn"
  | "tool_use"
  | "max_tokens"
  | "stop_sequence"
  | "guardrail_intervened"
  | "content_filtered";

/** What the "model" produced for a text call. */
export interface Generation {
  readonly text: string;
  readonly toolCalls: readonly ToolCall[];
  readonly stopReason: StopReason;
  /** The stop sequence that ended generation, for dialects that report it. */
  readonly stopSequence?: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** Token counts and latency reported with a reply (headers, invocation metrics, usage). */
export interface InvocationMetrics {
  /** Input tokens not read from nor written to the prompt cache (all of them without caching). */
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly invocationLatencyMs: number;
  readonly firstByteLatencyMs: number;
  /**
   * Input tokens read from and written to the prompt cache; set (0 when nothing was cached) for
   * models that cache, which report them, and absent for the others.
   */
  readonly cache?: { readonly readTokens: number; readonly writeTokens: number };
}

/** One model-native stream chunk and how many output tokens it carries (for pacing). */
export interface StreamChunk {
  readonly payload: unknown;
  readonly outputTokens: number;
  /** True for the chunk(s) a truncated stream loses: the final event carrying stop and metrics. */
  readonly final?: boolean;
}

/** Context a dialect gets when rendering. */
export interface RenderContext {
  readonly model: CatalogModel;
  readonly requestId: string;
  readonly metrics: InvocationMetrics;
  /** The parsed text call, for replies whose shape follows the request's (Mistral chat). */
  readonly call?: TextCall;
}

/**
 * One InvokeModel body dialect: parses a request body into a call, renders the response body
 * and the native stream chunks. Validation errors are thrown in Bedrock's own wording
 * (`awsErrors.malformedInput`).
 */
export interface TextDialect {
  readonly output: "text";
  parseRequest(body: unknown, model: CatalogModel): TextCall;
  renderResponse(generation: Generation, context: RenderContext): unknown;
  renderStream(generation: Generation, context: RenderContext): StreamChunk[];
}

export interface EmbeddingDialect {
  readonly output: "embedding";
  parseRequest(body: unknown, model: CatalogModel): EmbeddingCall;
  /** Renders embeddings; vectors come from the deterministic embedder. */
  renderResponse(
    call: EmbeddingCall,
    vectors: readonly Float32Array[],
    inputTokens: number,
    context: RenderContext,
  ): unknown;
}

export interface ImageDialect {
  readonly output: "image";
  parseRequest(body: unknown, model: CatalogModel): ImageCall;
  /** Renders base64 PNG images. */
  renderResponse(call: ImageCall, pngs: readonly Buffer[], context: RenderContext): unknown;
}

export type ModelDialect = TextDialect | EmbeddingDialect | ImageDialect;
