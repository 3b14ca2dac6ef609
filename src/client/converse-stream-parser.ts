// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
import type { ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime";
import type { StopReason, StreamParser, StreamPart, Usage } from "../models/model-codec.js";
import { fromConverseUsage, mapConverseStopReason } from "./from-converse-output.js";
import { truncatedStream } from "./truncated-stream.js";

type BlockState =
  | { kind: "text" }
  | { kind: "tool"; toolCallId: string; toolName: string; input: string }
  | { kind: "reasoning" };

/**
 * Turns ConverseStream events into stream parts. Text blocks have no start event (the union has
 * no text member), so `text-start` comes with the first delta. `metadata` may arrive before or
 * after `messageStop` (bedrock-facts §2.4), so `finish` waits for the end of the transport.
 */
export class ConverseStreamParser implements StreamParser {
  readonly #blocks = new Map<number, BlockState>();
  #stopReason: string | undefined;
  #stopped = false;
  #usage: Usage | undefined;
  #lastEvent: string | undefined;
  /** The stream's `trace` from its metadata (guardrail assessments), if any. */
  trace: unknown;

  parse(event: unknown): StreamPart[] {
    const output = event as ConverseStreamOutput;
    this.#lastEvent = Object.keys(output).find((key) => key !== "$unknown") ?? this.#lastEvent;
    if (output.contentBlockStart) {
      const index = output.contentBlockStart.contentBlockIndex ?? 0;
      const toolUse = output.contentBlockStart.start?.toolUse;
      if (!toolUse) return [];
      const state: BlockState = {
        kind: "tool",
        toolCallId: toolUse.toolUseId ?? "",
        toolName: toolUse.name ?? "",
        input: "",
      };
      this.#blocks.set(index, state);
      return [
        {
          type: "tool-use-start",
          id: String(index),
          toolCallId: state.toolCallId,
          toolName: state.toolName,
        },
      ];
    }
    if (output.contentBlockDelta) {
      const index = output.contentBlockDelta.contentBlockIndex ?? 0;
      const id = String(index);
      const delta = output.contentBlockDelta.delta;
      if (!delta) return [];
      if (delta.text !== undefined) {
        const parts: StreamPart[] = [];
        if (!this.#blocks.has(index)) {
          this.#blocks.set(index, { kind: "text" });
          parts.push({ type: "text-start", id });
        }
        parts.push({ type: "text-delta", id, delta: delta.text });
        return parts;
      }
      if (delta.toolUse) {
        const state = this.#blocks.get(index);
        if (state?.kind !== "tool") return [];
        state.input += delta.toolUse.input ?? "";
        return [{ type: "tool-use-delta", id, delta: delta.toolUse.input ?? "" }];
      }
      if (delta.reasoningContent) {
        this.#blocks.set(index, { kind: "reasoning" });
        const reasoning = delta.reasoningContent;
        if (reasoning.text !== undefined)
          return [{ type: "reasoning-delta", id, delta: reasoning.text }];
        if (reasoning.signature !== undefined)
          return [{ type: "reasoning-delta", id, delta: "", signature: reasoning.signature }];
      }
      return [];
    }
    if (output.contentBlockStop) {
      const index = output.contentBlockStop.contentBlockIndex ?? 0;
      return this.#closeBlock(index);
    }
    if (output.messageStop) {
      this.#stopped = true;
      this.#stopReason = output.messageStop.stopReason;
      return [];
    }
    if (output.metadata) {
      this.#usage = fromConverseUsage(output.metadata.usage);
      if (output.metadata.trace) this.trace = output.metadata.trace;
      return [];
    }
    return [];
  }

  finish(): StreamPart[] {
    if (!this.#stopped) {
      throw truncatedStream(this.#lastEvent);
    }
    const parts: StreamPart[] = [];
    for (const index of [...this.#blocks.keys()]) parts.push(...this.#closeBlock(index));
    const stopReason: StopReason = mapConverseStopReason(this.#stopReason);
    parts.push({
      type: "finish",
      stopReason,
      rawStopReason: this.#stopReason,
      usage: this.#usage ?? { inputTokens: 0, outputTokens: 0 },
    });
    return parts;
  }

  #closeBlock(index: number): StreamPart[] {
    const state = this.#blocks.get(index);
    this.#blocks.delete(index);
    const id = String(index);
    if (!state) return [];
    if (state.kind === "text") return [{ type: "text-end", id }];
    if (state.kind === "tool") {
      return [
        {
          type: "tool-use-end",
          id,
          toolCallId: state.toolCallId,
          toolName: state.toolName,
          input: parseToolInput(state.input),
        },
      ];
    }
    return [];
  }
}

function parseToolInput(text: string): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
