import type { CatalogModel } from "../catalog/catalog-model.js";
import type { Generation, StopReason, TextCall, ToolCall } from "../families/invocation-types.js";
import { countTokens, truncateToTokens } from "../state/count-tokens.js";
import { promptSeed, requestedLength, syntheticText } from "./synthetic-text.js";

/** What a responder stage knows besides the call. */
export interface ResponderContext {
  readonly model: CatalogModel;
  /** The model id as the request gave it (profile ids and ARNs included). */
  readonly requestedId: string;
  readonly seed: number;
  /** Synthetic length when the prompt does not ask for one. */
  readonly outputTokens: number | { readonly min: number; readonly max: number };
  readonly inputTokens: number;
}

/** What a stage decides the model says, before stop sequences and max_tokens are applied. */
export interface Draft {
  readonly text: string;
  readonly toolCalls?: readonly ToolCall[];
  readonly stopReason?: StopReason;
}

/** One way of answering; returns undefined to let the next stage answer. */
export type ResponderStage = (call: TextCall, context: ResponderContext) => Draft | undefined;

/** The last stage: deterministic prose of the length the prompt asks for. */
export const syntheticStage: ResponderStage = (call, context) => {
  const seed = promptSeed(call.promptText, context.seed);
  const lastUser = [...call.turns].reverse().find((turn) => turn.role === "user")?.text ?? "";
  let target = requestedLength(lastUser);
  if (target === undefined) {
    const range = context.outputTokens;
    target = typeof range === "number" ? range : range.min + (seed % (range.max - range.min + 1));
  }
  return { text: syntheticText({ targetTokens: target, maxTokens: target, seed }).text };
};

/**
 * Runs the stages in order and turns the first draft into a generation: cut at the first stop
 * sequence, then at max_tokens, with token counts from the emulator's tokenizer.
 */
export class TextResponder {
  #stages: readonly ResponderStage[];

  constructor(stages: readonly ResponderStage[]) {
    this.#stages = stages;
  }

  configure(stages: readonly ResponderStage[]): void {
    this.#stages = stages;
  }

  generate(call: TextCall, context: ResponderContext): Generation {
    let draft: Draft | undefined;
    for (const stage of this.#stages) {
      draft = stage(call, context);
      if (draft) break;
    }
    return finishDraft(draft ?? syntheticStage(call, context)!, call, context.inputTokens);
  }
}

/** Applies stop sequences and max_tokens to a draft. */
export function finishDraft(draft: Draft, call: TextCall, inputTokens: number): Generation {
  let text = draft.text;
  let stopReason: StopReason =
    draft.stopReason ?? (draft.toolCalls?.length ? "tool_use" : "end_turn");
  let stopSequence: string | undefined;
  const toolCalls = draft.toolCalls ?? [];

  let cutAt = -1;
  for (const sequence of call.stopSequences) {
    if (!sequence) continue;
    const index = text.indexOf(sequence);
    if (index >= 0 && (cutAt < 0 || index < cutAt)) {
      cutAt = index;
      stopSequence = sequence;
    }
  }
  if (cutAt >= 0) {
    text = text.slice(0, cutAt);
    stopReason = "stop_sequence";
  }

  const toolTokens = toolCalls.reduce(
    (sum, call) => sum + countTokens(JSON.stringify(call.input)) + 3,
    0,
  );
  let outputTokens = countTokens(text) + toolTokens;
  if (outputTokens > call.maxTokens) {
    text = truncateToTokens(text, call.maxTokens);
    outputTokens = countTokens(text);
    stopReason = "max_tokens";
    stopSequence = undefined;
    return { text, toolCalls: [], stopReason, inputTokens, outputTokens };
  }
  return {
    text,
    toolCalls,
    stopReason,
    ...(stopSequence !== undefined ? { stopSequence } : {}),
    inputTokens,
    outputTokens,
  };
}
