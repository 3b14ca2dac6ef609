// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
import type {
  ContentBlock,
  Message as ConverseMessage,
  ConverseRequest,
  ToolChoice as ConverseToolChoice,
  SystemContentBlock,
  Tool,
  ToolResultContentBlock,
} from "@aws-sdk/client-bedrock-runtime";
import type { DocumentType } from "@smithy/types";
import { QuarryError } from "../errors/quarry-error.js";
import type {
  CachePointPart,
  ContentPart,
  Message,
  ReasoningOptions,
  TextPart,
  TextRequest,
  ToolChoice,
  ToolDefinition,
} from "../models/model-codec.js";
import type { GuardrailOptions } from "./guardrail-options.js";

/** Native structured output: the reply is JSON that follows this schema. */
export interface OutputSchemaOptions {
  /** A JSON Schema object (a zod schema is converted before it gets here). */
  readonly schema: Readonly<Record<string, unknown>>;
  /** @default "output" */
  readonly name?: string;
  readonly description?: string;
}

/** The Converse-only settings on top of the family-neutral request. */
export interface ConverseSettings {
  readonly guardrail?: GuardrailOptions;
  readonly outputSchema?: OutputSchemaOptions;
  /** `outputConfig.effort`, for models that take it. */
  readonly effort?: string;
  readonly additionalModelResponseFieldPaths?: readonly string[];
  readonly requestMetadata?: Readonly<Record<string, string>>;
  readonly promptVariables?: Readonly<Record<string, string>>;
  readonly serviceTier?: "priority" | "default" | "flex" | "reserved";
  /** `optimized` asks for latency-optimized inference where the model offers it. */
  readonly latency?: "standard" | "optimized";
}

/**
 * Builds a Converse (or ConverseStream) input. `maxTokens` is the one the scheduler chose for
 * this attempt, which may differ from the request's.
 */
export function toConverseInput(
  modelId: string,
  request: TextRequest,
  settings: ConverseSettings,
  maxTokens: number | undefined,
): ConverseRequest {
  const input: ConverseRequest = {
    modelId,
    messages: request.messages.map(toConverseMessage),
  };
  if (request.system !== undefined) input.system = toSystem(request.system);
  const inference: NonNullable<ConverseRequest["inferenceConfig"]> = {};
  if (maxTokens !== undefined) inference.maxTokens = maxTokens;
  if (request.temperature !== undefined) inference.temperature = request.temperature;
  if (request.topP !== undefined) inference.topP = request.topP;
  if (request.stopSequences?.length) inference.stopSequences = [...request.stopSequences];
  if (Object.keys(inference).length > 0) input.inferenceConfig = inference;
  const toolConfig = toToolConfig(request.tools, request.toolChoice, request.messages);
  if (toolConfig) input.toolConfig = toolConfig;

  const additional: Record<string, unknown> = {
    ...reasoningFields(request.reasoning),
    ...(request.topK === undefined ? {} : { top_k: request.topK }),
    ...request.additionalFields,
  };
  if (Object.keys(additional).length > 0)
    input.additionalModelRequestFields = additional as DocumentType;

  if (settings.guardrail) {
    input.guardrailConfig = {
      guardrailIdentifier: settings.guardrail.identifier,
      guardrailVersion: settings.guardrail.version ?? "DRAFT",
      trace: settings.guardrail.trace === false ? "disabled" : "enabled",
      ...(settings.guardrail.streamProcessingMode
        ? { streamProcessingMode: settings.guardrail.streamProcessingMode }
        : {}),
    } as ConverseRequest["guardrailConfig"];
  }
  if (settings.outputSchema || settings.effort) {
    input.outputConfig = {
      ...(settings.outputSchema
        ? {
            textFormat: {
              type: "json_schema",
              structure: {
                jsonSchema: {
                  schema: JSON.stringify(settings.outputSchema.schema),
                  name: settings.outputSchema.name ?? "output",
                  ...(settings.outputSchema.description
                    ? { description: settings.outputSchema.description }
                    : {}),
                },
              },
            },
          }
        : {}),
      ...(settings.effort ? { effort: settings.effort } : {}),
    };
  }
  if (settings.additionalModelResponseFieldPaths?.length)
    input.additionalModelResponseFieldPaths = [...settings.additionalModelResponseFieldPaths];
  if (settings.requestMetadata) input.requestMetadata = { ...settings.requestMetadata };
  if (settings.promptVariables) {
    input.promptVariables = Object.fromEntries(
      Object.entries(settings.promptVariables).map(([name, text]) => [name, { text }]),
    );
  }
  if (settings.serviceTier) input.serviceTier = { type: settings.serviceTier };
  if (settings.latency) input.performanceConfig = { latency: settings.latency };
  return input;
}

// Converse has no neutral reasoning field: Claude takes Anthropic's `thinking` and Nova 2 its
// `reasoningConfig`, both through additionalModelRequestFields
// (https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html).
// A model ignores a field it does not know only if it validates loosely, so each is sent only
// when asked for.
function reasoningFields(reasoning: ReasoningOptions | undefined): Record<string, unknown> {
  if (!reasoning) return {};
  const fields: Record<string, unknown> = {};
  if (reasoning.budgetTokens !== undefined)
    fields.thinking = { type: "enabled", budget_tokens: reasoning.budgetTokens };
  if (reasoning.effort !== undefined)
    fields.reasoningConfig = { type: "enabled", maxReasoningEffort: reasoning.effort };
  return fields;
}

function toSystem(system: string | readonly (TextPart | CachePointPart)[]): SystemContentBlock[] {
  if (typeof system === "string") return [{ text: system }];
  return system.map((part) =>
    part.type === "text" ? { text: part.text } : { cachePoint: cachePoint(part) },
  );
}

function cachePoint(part: CachePointPart) {
  return { type: "default" as const, ...(part.ttl ? { ttl: part.ttl } : {}) };
}

/** One neutral message as a Converse message. */
export function toConverseMessage(message: Message): ConverseMessage {
  const parts: readonly ContentPart[] =
    typeof message.content === "string"
      ? [{ type: "text", text: message.content }]
      : message.content;
  return { role: message.role, content: parts.map(toContentBlock) };
}

function toContentBlock(part: ContentPart): ContentBlock {
  switch (part.type) {
    case "text":
      return { text: part.text };
    case "image":
      return { image: { format: part.format, source: { bytes: part.bytes } } };
    case "document":
      return { document: { format: part.format, name: part.name, source: { bytes: part.bytes } } };
    case "tool-call":
      return {
        toolUse: {
          toolUseId: part.toolCallId,
          name: part.toolName,
          input: (part.input ?? {}) as DocumentType,
        },
      };
    case "tool-result":
      return {
        toolResult: {
          toolUseId: part.toolCallId,
          content: [toToolResultContent(part.content)],
          ...(part.isError ? { status: "error" as const } : {}),
        },
      };
    case "cache-point":
      return { cachePoint: cachePoint(part) };
    case "reasoning":
      if (part.redactedData !== undefined)
        return {
          reasoningContent: { redactedContent: Buffer.from(part.redactedData, "base64") },
        };
      return {
        reasoningContent: {
          reasoningText: {
            text: part.text,
            ...(part.signature ? { signature: part.signature } : {}),
          },
        },
      };
  }
}

function toToolResultContent(
  content: string | TextPart | { readonly type: "json"; readonly value: unknown },
): ToolResultContentBlock {
  if (typeof content === "string") return { text: content };
  if (content.type === "text") return { text: content.text };
  // Converse's `json` member must be an object; other JSON values travel as text.
  if (content.value !== null && typeof content.value === "object" && !Array.isArray(content.value))
    return { json: content.value as DocumentType };
  return { text: JSON.stringify(content.value) };
}

function toToolConfig(
  tools: readonly ToolDefinition[] | undefined,
  choice: ToolChoice | undefined,
  messages: readonly Message[],
): ConverseRequest["toolConfig"] | undefined {
  if (!tools?.length) {
    // Converse rejects a conversation that holds tool blocks without a toolConfig.
    if (hasToolBlocks(messages)) {
      throw new QuarryError(
        "input.tools",
        "The messages hold tool calls or results, so the request must also list the tools (Converse requires toolConfig then).",
      );
    }
    return undefined;
  }
  const names = new Set<string>();
  const converseTools: Tool[] = tools.map((tool) => {
    if (names.has(tool.name))
      throw new QuarryError(
        "input.tools",
        `Two tools are named "${tool.name}"; names must be unique.`,
      );
    names.add(tool.name);
    return {
      toolSpec: {
        name: tool.name,
        ...(tool.description ? { description: tool.description } : {}),
        inputSchema: { json: tool.inputSchema as DocumentType },
      },
    };
  });
  const config: NonNullable<ConverseRequest["toolConfig"]> = { tools: converseTools };
  const toolChoice = toToolChoice(choice, names);
  if (toolChoice) config.toolChoice = toolChoice;
  return config;
}

function toToolChoice(
  choice: ToolChoice | undefined,
  names: ReadonlySet<string>,
): ConverseToolChoice | undefined {
  if (!choice || choice.type === "none") return undefined;
  if (choice.type === "auto") return { auto: {} };
  if (choice.type === "any") return { any: {} };
  if (!names.has(choice.name)) {
    throw new QuarryError(
      "input.toolChoice",
      `toolChoice names the tool "${choice.name}", which is not among the tools (${[...names].join(", ")}).`,
    );
  }
  return { tool: { name: choice.name } };
}

function hasToolBlocks(messages: readonly Message[]): boolean {
  return messages.some(
    (message) =>
      typeof message.content !== "string" &&
      message.content.some((part) => part.type === "tool-call" || part.type === "tool-result"),
  );
}
