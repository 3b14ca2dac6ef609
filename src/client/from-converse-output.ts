// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_ResponseSyntax
import type { ContentBlock, ConverseResponse, TokenUsage } from "@aws-sdk/client-bedrock-runtime";
import type {
  ContentPart,
  StopReason,
  TextResult,
  ToolCall,
  Usage,
} from "../models/model-codec.js";

// Converse's stop reasons (botocore `StopReason`) in the neutral words of `StopReason`.
const STOP_REASONS: Readonly<Record<string, StopReason>> = {
  end_turn: "end_turn",
  tool_use: "tool_use",
  max_tokens: "max_tokens",
  stop_sequence: "stop_sequence",
  guardrail_intervened: "guardrail_intervened",
  content_filtered: "content_filtered",
};

/** A Converse stop reason in the neutral words. */
export function mapConverseStopReason(raw: string | undefined): StopReason {
  return (raw && STOP_REASONS[raw]) || "other";
}

/** Converse token usage as `Usage`. */
export function fromConverseUsage(usage: TokenUsage | undefined): Usage {
  return {
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    ...(usage?.cacheReadInputTokens === undefined
      ? {}
      : { cacheReadInputTokens: usage.cacheReadInputTokens }),
    ...(usage?.cacheWriteInputTokens === undefined
      ? {}
      : { cacheWriteInputTokens: usage.cacheWriteInputTokens }),
  };
}

/** A Converse response as a neutral `TextResult`. */
export function fromConverseOutput(response: ConverseResponse): TextResult {
  const blocks = response.output?.message?.content ?? [];
  const content: ContentPart[] = [];
  const toolCalls: ToolCall[] = [];
  let text = "";
  let reasoning = "";
  for (const block of blocks) {
    const part = fromContentBlock(block);
    if (!part) continue;
    content.push(part);
    if (part.type === "text") text += part.text;
    else if (part.type === "reasoning") reasoning += part.text;
    else if (part.type === "tool-call")
      toolCalls.push({ toolCallId: part.toolCallId, toolName: part.toolName, input: part.input });
  }
  return {
    text,
    toolCalls,
    ...(reasoning ? { reasoning } : {}),
    content,
    stopReason: mapConverseStopReason(response.stopReason),
    rawStopReason: response.stopReason,
    usage: fromConverseUsage(response.usage),
  };
}

function fromContentBlock(block: ContentBlock): ContentPart | undefined {
  if (block.text !== undefined) return { type: "text", text: block.text };
  if (block.toolUse) {
    return {
      type: "tool-call",
      toolCallId: block.toolUse.toolUseId ?? "",
      toolName: block.toolUse.name ?? "",
      input: block.toolUse.input ?? {},
    };
  }
  if (block.reasoningContent) {
    const reasoning = block.reasoningContent;
    if (reasoning.reasoningText) {
      return {
        type: "reasoning",
        text: reasoning.reasoningText.text ?? "",
        ...(reasoning.reasoningText.signature
          ? { signature: reasoning.reasoningText.signature }
          : {}),
      };
    }
    if (reasoning.redactedContent) {
      return {
        type: "reasoning",
        text: "",
        redactedData: Buffer.from(reasoning.redactedContent).toString("base64"),
      };
    }
  }
  return undefined;
}

/**
 * Names what a guardrail blocked, from its trace: every assessment entry whose action is
 * `BLOCKED` (topics, words, content filters, sensitive information, contextual grounding).
 */
export function describeGuardrailTrace(trace: unknown): string | undefined {
  const found: string[] = [];
  const visit = (value: unknown, path: string[], depth: number) => {
    if (depth > 12 || value === null || typeof value !== "object") return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, path, depth + 1);
      return;
    }
    const record = value as Record<string, unknown>;
    if (record.action === "BLOCKED" || record.action === "ANONYMIZED") {
      const what = record.name ?? record.match ?? record.type ?? record.policy;
      const policy = path.filter((key) => /Policy$/.test(key)).at(-1);
      found.push(
        [policy, typeof what === "string" ? `"${what}"` : undefined].filter(Boolean).join(" "),
      );
    }
    for (const [key, child] of Object.entries(record)) visit(child, [...path, key], depth + 1);
  };
  visit(trace, [], 0);
  const unique = [...new Set(found.filter(Boolean))];
  return unique.length > 0 ? `blocked by ${unique.join(", ")}` : undefined;
}
