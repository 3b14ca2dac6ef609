import { describeError } from "../errors/describe-error.js";
import type { ModelInfo } from "./model-info.js";

/** Where a failed call was going, for the error the user sees. */
export interface FailureContext {
  readonly model: Pick<ModelInfo, "modelId"> &
    Partial<Pick<ModelInfo, "baseModelId" | "family" | "suggestedProfileId">>;
  /** The API operation, e.g. `InvokeModel`. */
  readonly operation: string;
  readonly region: string | undefined;
  readonly recordId?: string;
  /** The call's own signal: when it aborted, its reason is returned as the caller gave it. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * The error a failed call surfaces as: the caller's abort reason unchanged, else an actionable
 * `BedrockCallError` from `describeError` (whose `cause` is the scheduler's `RetryError`, with
 * every attempt), else Quarry's own input errors as they are.
 */
export function describeFailure(error: unknown, context: FailureContext): unknown {
  if (context.signal?.aborted) return error;
  const { model } = context;
  return describeError(error, {
    model: {
      modelId: model.modelId,
      ...(model.baseModelId ? { baseModelId: model.baseModelId } : {}),
      ...(model.family ? { family: model.family } : {}),
      ...(model.suggestedProfileId ? { suggestedProfileId: model.suggestedProfileId } : {}),
    },
    operation: context.operation,
    ...(context.region ? { region: context.region } : {}),
    ...(context.recordId === undefined ? {} : { recordId: context.recordId }),
  });
}
