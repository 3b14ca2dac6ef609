// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
import { ConverseStreamCommand, type ConverseStreamRequest } from "@aws-sdk/client-bedrock-runtime";
import { withSignal } from "./call-signals.js";
import type { ConverseCallRequest } from "./converse.js";
import { converseSettings, prepareConverse } from "./converse.js";
import { ConverseStreamParser } from "./converse-stream-parser.js";
import { toOutcome } from "./invoke.js";
import type { QuarryContext } from "./quarry-context.js";
import { QuarryStream } from "./quarry-stream.js";
import { runStream } from "./run-stream.js";
import type { TextOutcome } from "./text-call.js";
import { toConverseInput } from "./to-converse-input.js";

/** ConverseStream as a `QuarryStream` of parts; the request is sent when first read. */
export function converseStream(
  context: QuarryContext,
  request: ConverseCallRequest,
): QuarryStream<TextOutcome> {
  const prepared = prepareConverse(request);
  return new QuarryStream<TextOutcome>(async (sink) => {
    const model = await context.model(request, "converseStream");
    const fullMaxTokens = prepared.textRequest.maxTokens ?? model.defaultMaxTokens;
    const settings = converseSettings(request);
    const { result, parser, target } = await runStream(
      context,
      {
        model,
        operation: "ConverseStream",
        ...(request.recordId === undefined ? {} : { recordId: request.recordId }),
        signal: request.signal,
        inputTokens: prepared.inputTokens,
        maxTokens: prepared.textRequest.maxTokens ?? "auto",
        fullMaxTokens,
        open: async (maxTokens, signal, target) => {
          const input = toConverseInput(
            target.modelId,
            prepared.textRequest,
            settings,
            maxTokens,
          ) as ConverseStreamRequest;
          const output = await target.client.send(
            withSignal(new ConverseStreamCommand(input), signal),
          );
          return output.stream ?? emptyStream();
        },
        createParser: () => new ConverseStreamParser(),
        chunkOf: (event) => event,
      },
      sink,
    );
    const trace = (parser.trace as { guardrail?: unknown } | undefined)?.guardrail;
    return toOutcome(
      target,
      result,
      result.stopReason === "guardrail_intervened"
        ? { action: "GUARDRAIL_INTERVENED", trace }
        : undefined,
    );
  }, request.signal);
}

async function* emptyStream(): AsyncIterable<never> {}
