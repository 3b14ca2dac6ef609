import type {
  ContentPart,
  StopReason,
  StreamPart,
  TextResult,
  ToolCall,
  Usage,
} from "../models/model-codec.js";

/** Builds the `TextResult` a stream amounts to, one part at a time. */
export class StreamAccumulator {
  readonly #content: ContentPart[] = [];
  readonly #toolCalls: ToolCall[] = [];
  #text = "";
  #reasoning = "";
  #openText: { id: string; text: string } | undefined;
  #openReasoning: { id: string; text: string; signature?: string } | undefined;
  #stopReason: StopReason | undefined;
  #rawStopReason: string | undefined;
  #usage: Usage = { inputTokens: 0, outputTokens: 0 };
  /** Output text seen so far, in characters (for a usage estimate when a stream breaks). */
  outputCharacters = 0;

  add(part: StreamPart): void {
    switch (part.type) {
      case "text-start":
        this.#flushReasoning();
        this.#openText = { id: part.id, text: "" };
        break;
      case "text-delta":
        if (!this.#openText || this.#openText.id !== part.id) {
          this.#flushText();
          this.#openText = { id: part.id, text: "" };
        }
        this.#openText.text += part.delta;
        this.#text += part.delta;
        this.outputCharacters += part.delta.length;
        break;
      case "text-end":
        this.#flushText();
        break;
      case "reasoning-delta":
        if (!this.#openReasoning || this.#openReasoning.id !== part.id) {
          this.#flushReasoning();
          this.#openReasoning = { id: part.id, text: "" };
        }
        this.#openReasoning.text += part.delta;
        if (part.signature) this.#openReasoning.signature = part.signature;
        this.#reasoning += part.delta;
        this.outputCharacters += part.delta.length;
        break;
      case "tool-use-start":
        this.#flushText();
        this.#flushReasoning();
        break;
      case "tool-use-delta":
        this.outputCharacters += part.delta.length;
        break;
      case "tool-use-end":
        this.#toolCalls.push({
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          input: part.input,
        });
        this.#content.push({
          type: "tool-call",
          toolCallId: part.toolCallId,
          toolName: part.toolName,
          input: part.input,
        });
        break;
      case "finish":
        this.#flushText();
        this.#flushReasoning();
        this.#stopReason = part.stopReason;
        this.#rawStopReason = part.rawStopReason;
        this.#usage = part.usage;
        break;
    }
  }

  /** Whether the `finish` part has been seen. */
  get finished(): boolean {
    return this.#stopReason !== undefined;
  }

  result(): TextResult {
    this.#flushText();
    this.#flushReasoning();
    return {
      text: this.#text,
      toolCalls: [...this.#toolCalls],
      ...(this.#reasoning ? { reasoning: this.#reasoning } : {}),
      content: [...this.#content],
      stopReason: this.#stopReason ?? "other",
      rawStopReason: this.#rawStopReason,
      usage: this.#usage,
    };
  }

  #flushText(): void {
    if (!this.#openText) return;
    if (this.#openText.text) this.#content.push({ type: "text", text: this.#openText.text });
    this.#openText = undefined;
  }

  #flushReasoning(): void {
    if (!this.#openReasoning) return;
    const { text, signature } = this.#openReasoning;
    this.#content.push({ type: "reasoning", text, ...(signature ? { signature } : {}) });
    this.#openReasoning = undefined;
  }
}
