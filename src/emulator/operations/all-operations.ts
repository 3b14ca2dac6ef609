import type { Operation } from "../server/operation.js";
import { CONTROL_OPERATIONS } from "./control-routes.js";
import { invokeModel } from "./invoke-model.js";
import { invokeModelWithResponseStream } from "./invoke-model-with-response-stream.js";

/** Every operation the emulator serves, in routing order. */
export const ALL_OPERATIONS: readonly Operation[] = [
  invokeModel,
  invokeModelWithResponseStream,
  ...CONTROL_OPERATIONS,
];
