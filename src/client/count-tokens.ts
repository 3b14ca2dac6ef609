// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_CountTokens.html
import { CountTokensCommand } from "@aws-sdk/client-bedrock-runtime";
import { withSignal } from "./call-signals.js";
import { estimateInputTokens } from "./estimate-tokens.js";
import { lookupModel } from "./lookup-model.js";
import type { QuarryContext } from "./quarry-context.js";
import { type TextCallRequest, toTextRequest } from "./text-call.js";
import { toConverseInput } from "./to-converse-input.js";

/** The input tokens a request would be charged. */
export interface CountTokensResult {
  readonly modelId: string;
  /** The Region that counted (the first target's); absent for a local estimate. */
  readonly region?: string;
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
    // A lane of its own: counting is free and reserves nothing of the model's quota, and its
    // tiny calls would teach the model's limiter a rate far below the model's.
    model: { ...model, route: "count-tokens" },
    operation: "CountTokens",
    // Counting is free and the same everywhere: the first target answers.
    pinned: true,
    signal: request.signal,
    inputTokens: 0,
    maxTokens: 1,
    fullMaxTokens: 1,
    attempt: async ({ signal, target }) => ({
      response: await target.client.send(
        withSignal(
          new CountTokensCommand({
            modelId: foundationModelId(target.modelId),
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
          signal,
        ),
      ),
      target,
    }),
    usage: () => ({ inputTokens: 0, outputTokens: 0 }),
  });
  return {
    modelId: response.target.modelId,
    region: response.target.region,
    inputTokens: response.response.inputTokens ?? 0,
    estimated: false,
  };
}

/**
 * CountTokens takes the id or ARN of a foundation model and refuses inference profiles (see
 * the modelId parameter of the reference linked above); a profile counts as its base model.
 */
function foundationModelId(modelId: string): string {
  if (modelId.startsWith("arn:")) return modelId;
  const model = lookupModel(modelId);
  return model.route === "cross-region" ? model.baseModelId : modelId;
}
