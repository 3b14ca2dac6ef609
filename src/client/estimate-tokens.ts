import type { ContentPart, Message, TextRequest } from "../models/model-codec.js";

// About four characters per token for English text across Bedrock's tokenizers; the scheduler
// refunds the difference from the reported usage, so a rough, cheap, slightly high estimate is
// what a reservation needs. Images are charged at a typical size (Claude: width×height/750,
// ~1,600 tokens for a 1.1-megapixel image).
const CHARACTERS_PER_TOKEN = 4;
const IMAGE_TOKENS = 1_600;
const MESSAGE_OVERHEAD_TOKENS = 4;

/** A cheap local estimate of a text's tokens. */
export function estimateTextTokens(text: string): number {
  return Math.ceil(text.length / CHARACTERS_PER_TOKEN);
}

/** A cheap local estimate of a request's input tokens (system, messages, tools). */
export function estimateInputTokens(request: TextRequest): number {
  let tokens = 0;
  if (typeof request.system === "string") tokens += estimateTextTokens(request.system);
  else if (request.system)
    for (const part of request.system)
      if (part.type === "text") tokens += estimateTextTokens(part.text);
  for (const message of request.messages) tokens += estimateMessageTokens(message);
  for (const tool of request.tools ?? [])
    tokens += estimateTextTokens(
      tool.name + (tool.description ?? "") + JSON.stringify(tool.inputSchema),
    );
  return Math.max(1, tokens);
}

function estimateMessageTokens(message: Message): number {
  if (typeof message.content === "string")
    return MESSAGE_OVERHEAD_TOKENS + estimateTextTokens(message.content);
  let tokens = MESSAGE_OVERHEAD_TOKENS;
  for (const part of message.content) tokens += estimatePartTokens(part);
  return tokens;
}

function estimatePartTokens(part: ContentPart): number {
  switch (part.type) {
    case "text":
      return estimateTextTokens(part.text);
    case "image":
      return IMAGE_TOKENS;
    case "document":
      return Math.ceil(part.bytes.byteLength / CHARACTERS_PER_TOKEN);
    case "tool-call":
      return estimateTextTokens(part.toolName + JSON.stringify(part.input ?? {}));
    case "tool-result":
      return estimateTextTokens(
        typeof part.content === "string"
          ? part.content
          : part.content.type === "text"
            ? part.content.text
            : JSON.stringify(part.content.value),
      );
    case "reasoning":
      return estimateTextTokens(part.text);
    case "cache-point":
      return 0;
  }
}
