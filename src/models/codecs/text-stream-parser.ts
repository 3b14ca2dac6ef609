/**
 * The stream parser for families whose chunks carry plain text and, on the last one, a stop
 * reason and Bedrock's invocation metrics (Llama, Mistral, Titan, Cohere). The family says how
 * to read one chunk; this keeps the part bookkeeping in one place.
 */
import type { StopReason, StreamParser, StreamPart, Usage } from "../model-codec.js";
import { invocationMetrics, readChunk, streamTruncated } from "./codec-support.js";

/** What one decoded chunk says. */
export interface TextChunk {
  readonly text?: string;
  /** The family's stop word, when this chunk ends the answer. */
  readonly rawStopReason?: string;
  /** Token counts the chunk carries in the family's own fields. */
  readonly inputTokens?: number;
  readonly outputTokens?: number;
}

export interface TextStreamOptions {
  readonly family: string;
  /** Reads the family's fields from one decoded chunk. */
  readonly read: (chunk: Record<string, unknown>) => TextChunk;
  readonly mapStopReason: (raw: string) => StopReason;
}

export function createTextStreamParser(options: TextStreamOptions): StreamParser {
  const id = "0";
  let lastEvent: string | undefined;
  let chunks = 0;
  let started = false;
  let rawStopReason: string | undefined;
  let metrics: Usage | undefined;
  let inputTokens: number | undefined;
  let outputTokens: number | undefined;
  return {
    parse(chunk) {
      const decoded = readChunk(chunk, options.family);
      lastEvent = `chunk ${++chunks}`;
      const read = options.read(decoded);
      const parts: StreamPart[] = [];
      if (read.text !== undefined && read.text !== "") {
        if (!started) parts.push({ type: "text-start", id });
        started = true;
        parts.push({ type: "text-delta", id, delta: read.text });
      }
      if (read.inputTokens !== undefined) inputTokens = read.inputTokens;
      if (read.outputTokens !== undefined) outputTokens = read.outputTokens;
      metrics = invocationMetrics(decoded) ?? metrics;
      if (read.rawStopReason !== undefined && rawStopReason === undefined) {
        rawStopReason = read.rawStopReason;
        if (started) parts.push({ type: "text-end", id });
      }
      return parts;
    },
    finish() {
      if (rawStopReason === undefined) throw streamTruncated(options.family, lastEvent);
      return [
        {
          type: "finish",
          stopReason: options.mapStopReason(rawStopReason),
          rawStopReason,
          usage: metrics ?? { inputTokens: inputTokens ?? 0, outputTokens: outputTokens ?? 0 },
        },
      ];
    },
  };
}
