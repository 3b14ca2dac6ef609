import type { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import type { Clock } from "../clock/clock.js";
import { QuarryError } from "../errors/quarry-error.js";
import type { Usage } from "../models/model-codec.js";
import type { ModelHint } from "../models/resolve-model.js";
import type { ModelInfo } from "./model-info.js";
import type { ResolvedQuarryOptions } from "./quarry-options.js";

/** What every operation of one `Quarry` shares. */
export interface QuarryContext {
  /** The SDK client (to the first target, when there are several). */
  readonly client: BedrockRuntimeClient;
  readonly options: ResolvedQuarryOptions;
  readonly clock: Clock;
  /** The Region calls go to (the first target's), resolved once from the SDK's config. */
  region(): Promise<string>;
  /** Looks a model id up (the call's, else the default), failing with a clear message. */
  model(
    call: { readonly model?: string; readonly modelHint?: ModelHint },
    operation: string,
  ): Promise<ModelInfo>;
  /** Runs one call through the shared scheduler; failures come out described. */
  schedule<T>(call: CallSpec<T>): Promise<T>;
  /** Describes a failure that did not come out of `schedule` (a stream broken mid-way). */
  describe(error: unknown, call: CallSpec<unknown>): Promise<unknown>;
}

/** One call for the scheduler: how to reserve, how to attempt, how to refund. */
export interface CallSpec<T> {
  /**
   * The model (or guardrail) the call is made to. Its id and route name the lane
   * (`region|model|route`): quotas are per model, Region and on-demand-or-profile, and shared
   * by every operation, so the operation is not part of the lane.
   */
  readonly model: Pick<ModelInfo, "modelId" | "outputBurndown" | "route" | "region"> &
    Partial<Pick<ModelInfo, "baseModelId" | "family" | "suggestedProfileId">>;
  /** `invoke`, `stream`, `converse`, ...: named in errors. */
  readonly operation: string;
  /** Runs on the first target only instead of being spread (CountTokens, ApplyGuardrail). */
  readonly pinned?: boolean;
  readonly recordId?: string;
  readonly signal: AbortSignal | undefined;
  /** The local estimate of the input tokens. */
  readonly inputTokens: number;
  /** The caller's max tokens, or `auto` to let the scheduler size the reservation. */
  readonly maxTokens: number | "auto";
  /** The most output tokens the call may use (what `auto` falls back to). */
  readonly fullMaxTokens: number;
  attempt(context: AttemptContext): Promise<T>;
  usage(result: T): Usage;
  stoppedAtMaxTokens?(result: T): boolean;
}

/**
 * Where one attempt goes: a Region, the model id to send there, and its SDK clients. With
 * `targets`, each attempt may go to another one; without, it is always the client's Region.
 */
export interface CallTarget {
  readonly region: string;
  /** The model id to send: the target's own for the call's model, else the call's. */
  readonly modelId: string;
  readonly client: BedrockRuntimeClient;
}

/** What one attempt is given. */
export interface AttemptContext {
  /** 1 for the first try. */
  readonly attempt: number;
  /** Where to send it. */
  readonly target: CallTarget;
  /** The max tokens to send in this attempt. */
  readonly maxTokens: number;
  /**
   * Aborts with the caller's signal or the client's; undefined when neither was given (so no
   * listener piles up on a signal that can never fire).
   */
  readonly signal: AbortSignal | undefined;
}

/** Fails early, with the model named, when a model lacks what an operation needs. */
export function unsupported(model: ModelInfo, operation: string, detail: string): QuarryError {
  return new QuarryError("input.model", `${operation} cannot use ${model.modelId}: ${detail}.`, {
    model: model.modelId,
    hint: "Choose a model of the right kind, or another operation.",
  });
}
