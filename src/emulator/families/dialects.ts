import type { Dialect } from "../catalog/catalog-model.js";
import { awsErrors } from "../emulator-error.js";
import { anthropicMessages } from "./anthropic-messages.js";
import type { ModelDialect } from "./invocation-types.js";

/** The InvokeModel body dialect of each family. */
const DIALECTS: Partial<Record<Dialect, ModelDialect>> = {
  "anthropic-messages": anthropicMessages,
};

/** The dialect a model speaks on InvokeModel. */
export function dialectFor(dialect: Dialect): ModelDialect {
  const found = DIALECTS[dialect];
  if (!found)
    throw awsErrors.validation(
      `The emulator does not implement the ${dialect} request format yet.`,
    );
  return found;
}
