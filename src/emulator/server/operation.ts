import type { EmulatorState } from "../state/emulator-state.js";
import type { EmulatorRequest, EmulatorResponse } from "./emulator-request.js";

/** One API operation: a route and the function answering it. */
export interface Operation {
  /** The AWS operation name, e.g. `InvokeModel`; statistics are keyed by it. */
  readonly name: string;
  readonly method: "GET" | "POST" | "PUT" | "DELETE";
  /** A path template with `{label}` segments, e.g. `/model/{modelId}/invoke`. */
  readonly path: string;
  handle(
    request: EmulatorRequest,
    params: Readonly<Record<string, string>>,
    state: EmulatorState,
  ): Promise<EmulatorResponse> | EmulatorResponse;
}
