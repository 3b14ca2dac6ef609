// The ConverseStream events for a generation.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
// Text blocks get no contentBlockStart (the start union has no text member); tool-use blocks do,
// and their input arrives as JSON fragments. messageStop and metadata close the stream; a
// truncated stream loses both.
import type { Generation, StreamChunk } from "../families/invocation-types.js";
import { splitIntoDeltas } from "../families/split-deltas.js";
import {
  additionalResponseFields,
  type ConverseRenderContext,
  converseUsage,
  requestEchoes,
} from "./render-converse-response.js";

/** A ConverseStream event: its `:event-type` and JSON body. */
export interface ConverseEvent {
  readonly event: string;
  readonly body: unknown;
}

/** The events of one ConverseStream reply, each as a paced stream chunk. */
export function renderConverseStream(
  generation: Generation,
  context: ConverseRenderContext,
): StreamChunk[] {
  const chunk = (event: string, body: unknown, outputTokens = 0, final = false): StreamChunk => ({
    payload: { event, body } satisfies ConverseEvent,
    outputTokens,
    ...(final ? { final } : {}),
  });
  const chunks: StreamChunk[] = [chunk("messageStart", { role: "assistant" })];
  let index = 0;
  if (generation.text || generation.toolCalls.length === 0) {
    const deltas = splitIntoDeltas(generation.text);
    if (deltas.length === 0) deltas.push({ text: "", tokens: 0 });
    for (const delta of deltas)
      chunks.push(
        chunk(
          "contentBlockDelta",
          { contentBlockIndex: index, delta: { text: delta.text } },
          delta.tokens,
        ),
      );
    chunks.push(chunk("contentBlockStop", { contentBlockIndex: index }));
    index++;
  }
  for (const call of generation.toolCalls) {
    chunks.push(
      chunk("contentBlockStart", {
        contentBlockIndex: index,
        start: { toolUse: { toolUseId: call.id, name: call.name } },
      }),
    );
    const json = JSON.stringify(call.input);
    const step = Math.max(8, Math.ceil(json.length / 4));
    for (let at = 0; at < json.length; at += step) {
      const part = json.slice(at, at + step);
      chunks.push(
        chunk(
          "contentBlockDelta",
          { contentBlockIndex: index, delta: { toolUse: { input: part } } },
          Math.max(1, Math.round(part.length / 4)),
        ),
      );
    }
    chunks.push(chunk("contentBlockStop", { contentBlockIndex: index }));
    index++;
  }
  const additional = additionalResponseFields(context.request, generation);
  chunks.push(
    chunk(
      "messageStop",
      {
        stopReason: generation.stopReason,
        ...(additional ? { additionalModelResponseFields: additional } : {}),
      },
      0,
      true,
    ),
  );
  chunks.push(
    chunk(
      "metadata",
      {
        usage: converseUsage(generation, context.metrics),
        metrics: { latencyMs: context.metrics.invocationLatencyMs },
        ...(context.guardrailTrace !== undefined
          ? { trace: { guardrail: context.guardrailTrace } }
          : {}),
        ...requestEchoes(context.request),
      },
      0,
      true,
    ),
  );
  return chunks;
}
