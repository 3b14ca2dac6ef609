// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CountTokens.html
import { CountTokensCommand } from "@aws-sdk/client-bedrock-runtime";
import { estimateInputTokens } from "./estimate-tokens.js";
import type { QuarryContext } from "./quarry-context.js";
import { type TextCallRequest, toTextRequest } from "./text-call.js";
import { toConverseInput } from "./to-converse-input.js";

/** The input tokens a request would be charged. */
export interface CountTokensResult {
  readonly modelId: string;
  readonly inputTokens: number;
  /** True when the model has no CountTokens and this is Quarry's local estimate. */
  readonly estimated: boolean;
}

/**
 * Counts a request's input tokens with Bedrock's free CountTokens (as the Converse form of the
 * request), or estimates them locally when the model does not offer it.
 */
export async function countTokens(
  context: QuarryContext,
  request: TextCallRequest,
): Promise<CountTokensResult> {
  const textRequest = toTextRequest(request);
  const model = await context.model(request, "countTokens");
  if (!model.countTokens)
    return {
      modelId: model.modelId,
      inputTokens: estimateInputTokens(textRequest),
      estimated: true,
    };
  const converse = toConverseInput(model.modelId, textRequest, {}, undefined);
  const response = await context.schedule({
    model,
    operation: "CountTokens",
    signal: request.signal,
    inputTokens: 0,
    maxTokens: 1,
    fullMaxTokens: 1,
    attempt: ({ signal }) =>
      context.client.send(
        new CountTokensCommand({
          modelId: model.modelId,
          input: {
            converse: {
              messages: converse.messages,
              ...(converse.system ? { system: converse.system } : {}),
              ...(converse.toolConfig ? { toolConfig: converse.toolConfig } : {}),
              ...(converse.additionalModelRequestFields
                ? { additionalModelRequestFields: converse.additionalModelRequestFields }
                : {}),
            },
          },
        }),
        { abortSignal: signal },
      ),
    usage: () => ({ inputTokens: 0, outputTokens: 0 }),
  });
  return { modelId: model.modelId, inputTokens: response.inputTokens ?? 0, estimated: false };
}
