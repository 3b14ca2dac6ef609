// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages.html
// The Anthropic Messages body the peers that call InvokeModel themselves send.

/** The InvokeModel body for one user prompt. */
export function claudeBody(prompt: string, maxTokens: number): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      anthropic_version: "bedrock-2023-05-31",
      max_tokens: maxTokens,
      messages: [{ role: "user", content: [{ type: "text", text: prompt }] }],
    }),
  );
}

/** Usage and stop reason from a Claude InvokeModel response body. */
export function parseClaudeResponse(body: Uint8Array): {
  inputTokens: number;
  outputTokens: number;
  stopReason: string;
} {
  const json = JSON.parse(new TextDecoder().decode(body)) as {
    usage?: { input_tokens?: number; output_tokens?: number };
    stop_reason?: string;
    content?: { text?: string }[];
  };
  if (!Array.isArray(json.content)) throw new Error("the reply has no content");
  return {
    inputTokens: json.usage?.input_tokens ?? 0,
    outputTokens: json.usage?.output_tokens ?? 0,
    stopReason: json.stop_reason ?? "unknown",
  };
}
