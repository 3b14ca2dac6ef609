import { type ModelHint, resolveModel } from "../models/resolve-model.js";
import type { ModelInfo } from "./model-info.js";

/**
 * Reads a model id through `resolveModel` (the only place that parses ids): an id it cannot
 * place fails here, before any request, with the accepted forms and the closest known id.
 */
export function lookupModel(modelId: string, hint?: ModelHint): ModelInfo {
  const resolved = resolveModel(modelId, hint);
  return { ...resolved, countTokens: resolved.capabilities.countTokens };
}
