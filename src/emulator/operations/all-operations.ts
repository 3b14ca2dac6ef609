import type { Operation } from "../server/operation.js";
import { applyGuardrail } from "./apply-guardrail.js";
import { CONTROL_OPERATIONS } from "./control-routes.js";
import { converse } from "./converse.js";
import { converseStream } from "./converse-stream.js";
import { countTokens } from "./count-tokens.js";
import { invokeModel } from "./invoke-model.js";
import { invokeModelWithResponseStream } from "./invoke-model-with-response-stream.js";

/** Every operation the emulator serves, in routing order. */
export const ALL_OPERATIONS: readonly Operation[] = [
  invokeModel,
  invokeModelWithResponseStream,
  converse,
  converseStream,
  countTokens,
  applyGuardrail,
  ...CONTROL_OPERATIONS,
];
