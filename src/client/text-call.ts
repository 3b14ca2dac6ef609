import { QuarryError } from "../errors/quarry-error.js";
import type { Message, TextRequest, TextResult, Usage } from "../models/model-codec.js";
import type { ModelHint } from "../models/resolve-model.js";
import type { BlockedOutcome, GuardrailOptions } from "./guardrail-options.js";

/** What every call may say about itself. */
export interface CallOptions {
  /** The model id, inference profile id or ARN. @default the client's `model` */
  readonly model?: string;
  /** Aborts this call (as well as the client's signal). */
  readonly signal?: AbortSignal;
  /** A record id carried into errors and scheduler events (batch jobs set it). */
  readonly recordId?: string;
  /**
   * The model behind an id that hides it (application inference profile or provisioned ARN),
   * e.g. `{ baseModelId: "anthropic.claude-3-haiku-20240307-v1:0" }`.
   */
  readonly modelHint?: ModelHint;
}

/** A text-generation call: the family-neutral request plus call settings. */
export interface TextCallRequest extends Omit<TextRequest, "messages">, CallOptions {
  /** Shorthand for one user message. Give `prompt` or `messages`, not both. */
  readonly prompt?: string;
  readonly messages?: readonly Message[];
  readonly guardrail?: GuardrailOptions;
  /** Bedrock's service tier. */
  readonly serviceTier?: "priority" | "default" | "flex" | "reserved";
  /** `optimized` asks for latency-optimized inference where the model offers it. */
  readonly latency?: "standard" | "optimized";
  /** Tags recorded with the invocation (model invocation logs). */
  readonly requestMetadata?: Readonly<Record<string, string>>;
}

/** A reply that came through. */
export interface GeneratedText extends TextResult {
  readonly blocked: false;
  /** The model id as called (the target's, when the client spreads calls over `targets`). */
  readonly modelId: string;
  /** The Region the reply came from. */
  readonly region?: string;
}

/** A reply a guardrail replaced. */
export interface BlockedText extends BlockedOutcome {
  readonly modelId: string;
  readonly region?: string;
  readonly usage: Usage;
}

/** What `invoke` and `converse` return: a reply, or a guardrail's block. */
export type TextOutcome = GeneratedText | BlockedText;

/** The neutral request in a call: `prompt` becomes one user message. */
export function toTextRequest(request: TextCallRequest): TextRequest {
  if (request === null || typeof request !== "object")
    throw new QuarryError(
      "input.request",
      "The request must be an object with prompt or messages.",
    );
  const { prompt, messages } = request;
  if (prompt !== undefined && messages !== undefined)
    throw new QuarryError(
      "input.messages",
      "Give either prompt or messages, not both (prompt is shorthand for one user message).",
    );
  let resolved: readonly Message[];
  if (prompt !== undefined) {
    if (typeof prompt !== "string")
      throw new QuarryError("input.prompt", `prompt must be a string; got ${typeof prompt}.`);
    resolved = [{ role: "user", content: prompt }];
  } else if (Array.isArray(messages) && messages.length > 0) {
    resolved = messages;
  } else {
    throw new QuarryError(
      "input.messages",
      "The request needs prompt (a string) or messages (a non-empty array).",
    );
  }
  const textRequest: Record<string, unknown> = { messages: resolved };
  for (const key of [
    "system",
    "maxTokens",
    "temperature",
    "topP",
    "topK",
    "stopSequences",
    "tools",
    "toolChoice",
    "reasoning",
    "additionalFields",
  ] as const) {
    if (request[key] !== undefined) textRequest[key] = request[key];
  }
  if (
    request.maxTokens !== undefined &&
    (!Number.isInteger(request.maxTokens) || request.maxTokens < 1)
  )
    throw new QuarryError(
      "input.maxTokens",
      `maxTokens must be a positive integer; got ${String(request.maxTokens)}.`,
    );
  return textRequest as unknown as TextRequest;
}
