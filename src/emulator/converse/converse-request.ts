// The Converse / ConverseStream request body as it arrives over restJson1, after shape checks.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_RequestSyntax

/** A guardrail text block (`guardContent.text`). */
export interface WireGuardText {
  readonly text: string;
  readonly qualifiers?: readonly string[];
}

/** One `ContentBlock`; exactly one member is set. Blobs are base64 strings on the wire. */
export interface WireContentBlock {
  readonly text?: string;
  readonly image?: { readonly format: string; readonly source: Record<string, unknown> };
  readonly document?: {
    readonly name: string;
    readonly format?: string;
    readonly source: {
      readonly bytes?: string;
      readonly text?: string;
      readonly content?: unknown;
    };
  };
  readonly video?: unknown;
  readonly audio?: unknown;
  readonly toolUse?: { readonly toolUseId: string; readonly name: string; readonly input: unknown };
  readonly toolResult?: {
    readonly toolUseId: string;
    readonly content: readonly WireToolResultContent[];
    readonly status?: "success" | "error";
  };
  readonly guardContent?: { readonly text?: WireGuardText; readonly image?: unknown };
  readonly cachePoint?: unknown;
  readonly reasoningContent?: unknown;
}

/** One block of a tool result. */
export interface WireToolResultContent {
  readonly json?: unknown;
  readonly text?: string;
  readonly image?: unknown;
  readonly document?: { readonly source?: { readonly text?: string } };
}

export interface WireMessage {
  readonly role: "user" | "assistant" | "system";
  readonly content: readonly WireContentBlock[];
}

export interface WireSystemBlock {
  readonly text?: string;
  readonly guardContent?: { readonly text?: WireGuardText; readonly image?: unknown };
  readonly cachePoint?: unknown;
}

export interface WireToolConfig {
  readonly tools: readonly {
    readonly toolSpec?: {
      readonly name: string;
      readonly description?: string;
      readonly inputSchema: { readonly json?: unknown };
    };
    readonly systemTool?: { readonly name: string };
    readonly cachePoint?: unknown;
  }[];
  readonly toolChoice?: {
    readonly auto?: object;
    readonly any?: object;
    readonly tool?: { readonly name: string };
  };
}

/** `guardrailConfig` (ConverseStream adds `streamProcessingMode`). */
export interface WireGuardrailConfig {
  readonly guardrailIdentifier?: string;
  readonly guardrailVersion?: string;
  readonly trace?: "enabled" | "disabled" | "enabled_full";
  readonly streamProcessingMode?: "sync" | "async";
}

/** A Converse or ConverseStream request body. */
export interface ConverseRequestBody {
  readonly messages?: readonly WireMessage[];
  readonly system?: readonly WireSystemBlock[];
  readonly inferenceConfig?: {
    readonly maxTokens?: number;
    readonly temperature?: number;
    readonly topP?: number;
    readonly stopSequences?: readonly string[];
  };
  readonly toolConfig?: WireToolConfig;
  readonly guardrailConfig?: WireGuardrailConfig;
  readonly additionalModelRequestFields?: unknown;
  readonly promptVariables?: Record<string, unknown>;
  readonly additionalModelResponseFieldPaths?: readonly string[];
  readonly requestMetadata?: Record<string, string>;
  readonly performanceConfig?: { readonly latency?: "standard" | "optimized" };
  readonly serviceTier?: { readonly type: string };
  readonly outputConfig?: {
    readonly textFormat?: {
      readonly type: "json_schema";
      readonly structure: {
        readonly jsonSchema?: { readonly schema: string; readonly name?: string };
      };
    };
    readonly effort?: string;
  };
}
