// Test helpers for the client's integration tests: a Quarry pointed at an emulator with
// short backoffs, so retried faults finish in milliseconds.
import type { Emulator } from "../emulator/start-emulator.js";
import { TEST_CREDENTIALS } from "../test-support/sdk-clients.js";
import { createQuarry, type Quarry } from "./create-quarry.js";
import type { QuarryOptions } from "./quarry-options.js";

const FAST = { base: 1, cap: 4 };

/** A Quarry against `emulator`, fast retries, and known generous limits unless overridden. */
export function testQuarry(emulator: Emulator, options: QuarryOptions = {}): Quarry {
  return createQuarry({
    endpoint: emulator.url,
    region: "us-east-1",
    credentials: TEST_CREDENTIALS,
    proxy: false,
    scheduler: {
      retry: {
        throttledBackoff: FAST,
        transientBackoff: FAST,
        modelNotReadyBackoff: FAST,
        quotaExhaustedWaitMs: 1,
        quotaExhaustedMaxWaitMs: 4,
      },
      limits: { "*": { concurrency: 32, tpm: 1e9, rpm: 1e7 } },
    },
    ...options,
  });
}

/** Requests the emulator has seen, by outcome, for one operation. */
export function outcomesOf(emulator: Emulator, operation: string): Record<string, number> {
  return emulator.stats().byOperation[operation] ?? {};
}
