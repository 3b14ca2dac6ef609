import { InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import { QuarryError } from "../errors/quarry-error.js";
import type { EmbeddingCodec, EmbeddingOptions, EmbeddingResult } from "../models/model-codec.js";
import { withSignal } from "./call-signals.js";
import { estimateTextTokens } from "./estimate-tokens.js";
import { mapPool } from "./map-pool.js";
import type { ModelInfo } from "./model-info.js";
import { type QuarryContext, unsupported } from "./quarry-context.js";
import { responseHeadersOf } from "./response-headers.js";
import type { CallOptions } from "./text-call.js";

const utf8 = new TextDecoder();

/** An embeddings call: one text or many. */
export interface EmbedRequest extends CallOptions, EmbeddingOptions {
  readonly texts: string | readonly string[];
}

/** One vector per input text, in input order. */
export interface EmbedResult {
  readonly modelId: string;
  readonly vectors: number[][];
  /** Input tokens as reported (summed over calls), when the family reports them. */
  readonly inputTokens: number | undefined;
  /** InvokeModel calls made (Cohere carries 96 texts a call, Titan one). */
  readonly calls: number;
}

/**
 * Embeds texts with Titan Embed Text v2 or Cohere Embed: batched as the family allows, each
 * batch one scheduled call, at most `concurrency` batches pending at once.
 */
export async function embed(context: QuarryContext, request: EmbedRequest): Promise<EmbedResult> {
  const texts = typeof request.texts === "string" ? [request.texts] : request.texts;
  if (!Array.isArray(texts) || texts.length === 0 || texts.some((text) => typeof text !== "string"))
    throw new QuarryError("input.texts", "texts must be a string or a non-empty array of strings.");
  const model = await context.model(request, "embed");
  const codec = model.embeddingCodec;
  if (!codec)
    throw unsupported(model, "embed", `it is a ${model.family} model, not an embedding model`);
  const batches: (readonly string[])[] = [];
  for (let start = 0; start < texts.length; start += codec.maxBatch)
    batches.push(texts.slice(start, start + codec.maxBatch));
  // Build the first batch now so that bad options fail before anything is sent.
  codec.buildRequest(batches[0]!, request);

  const results = await mapPool(batches, context.options.concurrency, (batch) =>
    embedBatch(context, codec, model, batch, request),
  );
  const vectors: number[][] = [];
  let inputTokens: number | undefined;
  for (const [index, result] of results.entries()) {
    if (result.vectors.length !== batches[index]!.length)
      throw new QuarryError(
        "output.embeddings",
        `The model returned ${result.vectors.length} vectors for ${batches[index]!.length} texts.`,
        { model: model.modelId },
      );
    vectors.push(...result.vectors);
    if (result.inputTokens !== undefined) inputTokens = (inputTokens ?? 0) + result.inputTokens;
  }
  return { modelId: model.modelId, vectors, inputTokens, calls: batches.length };
}

function embedBatch(
  context: QuarryContext,
  codec: EmbeddingCodec,
  model: ModelInfo,
  batch: readonly string[],
  request: EmbedRequest,
): Promise<EmbeddingResult> {
  const inputTokens = batch.reduce((sum, text) => sum + estimateTextTokens(text), 0);
  return context.schedule<EmbeddingResult>({
    model,
    operation: "InvokeModel",
    ...(request.recordId === undefined ? {} : { recordId: request.recordId }),
    signal: request.signal,
    inputTokens,
    maxTokens: 1,
    fullMaxTokens: 1,
    attempt: async ({ signal, target }) => {
      const output = await target.client.send(
        withSignal(
          new InvokeModelCommand({
            modelId: target.modelId,
            contentType: "application/json",
            accept: "application/json",
            body: new TextEncoder().encode(JSON.stringify(codec.buildRequest(batch, request))),
          }),
          signal,
        ),
      );
      return codec.parseResponse(JSON.parse(utf8.decode(output.body)), responseHeadersOf(output));
    },
    usage: (result) => ({ inputTokens: result.inputTokens ?? inputTokens, outputTokens: 0 }),
  });
}
