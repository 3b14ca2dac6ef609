// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_InvokeModelWithResponseStream.html
import {
  InvokeModelWithResponseStreamCommand,
  type ResponseStream,
} from "@aws-sdk/client-bedrock-runtime";
import { bodyByMaxTokens } from "./body-by-max-tokens.js";
import { withSignal } from "./call-signals.js";
import { estimateInputTokens } from "./estimate-tokens.js";
import { invokeHeaders, textCodecOf, toOutcome } from "./invoke.js";
import type { QuarryContext } from "./quarry-context.js";
import { QuarryStream } from "./quarry-stream.js";
import { runStream } from "./run-stream.js";
import { type TextCallRequest, type TextOutcome, toTextRequest } from "./text-call.js";

/**
 * InvokeModelWithResponseStream through the family's stream parser, as a `QuarryStream`. The
 * request is checked now; it is sent when the stream is first read.
 */
export function streamInvoke(
  context: QuarryContext,
  request: TextCallRequest,
): QuarryStream<TextOutcome> {
  const textRequest = toTextRequest(request);
  return new QuarryStream<TextOutcome>(async (sink) => {
    const model = await context.model(request, "stream");
    const codec = textCodecOf(model, "stream");
    const fullMaxTokens = textRequest.maxTokens ?? model.defaultMaxTokens;
    const bodyFor = bodyByMaxTokens(codec, textRequest, model, fullMaxTokens);
    const { accept: _accept, ...headers } = invokeHeaders(request);
    const { result, target } = await runStream(
      context,
      {
        model,
        operation: "InvokeModelWithResponseStream",
        ...(request.recordId === undefined ? {} : { recordId: request.recordId }),
        signal: request.signal,
        inputTokens: estimateInputTokens(textRequest),
        maxTokens: textRequest.maxTokens ?? "auto",
        fullMaxTokens,
        open: async (maxTokens, signal, target) => {
          const output = await target.client.send(
            withSignal(
              new InvokeModelWithResponseStreamCommand({
                modelId: target.modelId,
                body: bodyFor(maxTokens),
                ...headers,
              }),
              signal,
            ),
          );
          return output.body ?? emptyStream();
        },
        createParser: () => codec.createStreamParser(),
        chunkOf: (event) => (event as ResponseStream).chunk?.bytes,
      },
      sink,
    );
    return toOutcome(target, result, undefined);
  }, request.signal);
}

async function* emptyStream(): AsyncIterable<never> {}
