import { QuarryError } from "../../errors/quarry-error.js";
import { awsErrors } from "../emulator-error.js";
import { jsonResponse } from "../server/emulator-request.js";
import type { Operation } from "../server/operation.js";
import { getProcessInfo } from "./get-process-info.js";

/** Every control route lives under this prefix, which no AWS API uses. */
export const CONTROL_PREFIX = "/_quarry";

/** `GET /_quarry/stats`: the statistics snapshot. */
export const getStats: Operation = {
  name: "QuarryGetStats",
  method: "GET",
  path: `${CONTROL_PREFIX}/stats`,
  handle: (_request, _params, state) => jsonResponse(200, state.stats.snapshot()),
};

/** `GET /_quarry/requests`: the request log (enable it with `requestLog: N`). */
export const getRequests: Operation = {
  name: "QuarryGetRequests",
  method: "GET",
  path: `${CONTROL_PREFIX}/requests`,
  handle: (_request, _params, state) =>
    jsonResponse(200, { enabled: state.requestLog.enabled, requests: state.requestLog.entries() }),
};

/** `GET /_quarry/config`: the configuration in force. */
export const getConfig: Operation = {
  name: "QuarryGetConfig",
  method: "GET",
  path: `${CONTROL_PREFIX}/config`,
  handle: (_request, _params, state) => jsonResponse(200, redactSecrets(state.config)),
};

/** `POST /_quarry/config`: merges a change into the configuration (objects merge, arrays replace). */
export const updateConfig: Operation = {
  name: "QuarryUpdateConfig",
  method: "POST",
  path: `${CONTROL_PREFIX}/config`,
  handle(request, _params, state) {
    let change: unknown;
    try {
      change = JSON.parse(request.body.toString("utf8") || "{}");
    } catch {
      throw awsErrors.validation("The configuration change is not valid JSON.");
    }
    try {
      return jsonResponse(200, redactSecrets(state.configure(change as never)));
    } catch (error) {
      if (error instanceof QuarryError) throw awsErrors.validation(error.message);
      throw error;
    }
  },
};

/** `POST /_quarry/reset`: clears statistics, quota usage and the prompt cache, restarts seeded randomness. */
export const resetState: Operation = {
  name: "QuarryReset",
  method: "POST",
  path: `${CONTROL_PREFIX}/reset`,
  handle(_request, _params, state) {
    state.reset();
    return jsonResponse(200, { reset: true });
  },
};

/** `GET /_quarry/health`. */
export const health: Operation = {
  name: "QuarryHealth",
  method: "GET",
  path: `${CONTROL_PREFIX}/health`,
  handle: () => jsonResponse(200, { ok: true }),
};

export const CONTROL_OPERATIONS: readonly Operation[] = [
  getRequests,
  getStats,
  getConfig,
  updateConfig,
  resetState,
  health,
  getProcessInfo,
];

/** Secret keys never leave the process, not even to the control API. */
function redactSecrets<
  T extends { auth: { accessKeys: Record<string, string>; bearerTokens: string[] } },
>(config: T): T {
  return {
    ...config,
    auth: {
      ...config.auth,
      accessKeys: Object.fromEntries(
        Object.keys(config.auth.accessKeys).map((key) => [key, "***"]),
      ),
      bearerTokens: config.auth.bearerTokens.map(() => "***"),
    },
  };
}
