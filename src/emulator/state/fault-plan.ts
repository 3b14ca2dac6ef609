import type { FaultsConfig } from "../config/emulator-config.js";
import type { SeededRandom } from "./seeded-random.js";

/** A fault the emulator injects into one request. */
export type FaultKind =
  | "internalServerError"
  | "serviceUnavailable"
  | "modelNotReady"
  | "modelTimeout"
  | "connectionReset"
  | "streamTruncated"
  | "midStreamThrottling"
  | "modelStreamError"
  | "malformedProse"
  | "malformedTruncated";

const ALWAYS: readonly FaultKind[] = [
  "internalServerError",
  "serviceUnavailable",
  "modelNotReady",
  "modelTimeout",
  "connectionReset",
];
const STREAM_ONLY: readonly FaultKind[] = [
  "streamTruncated",
  "midStreamThrottling",
  "modelStreamError",
];
const TEXT_ONLY: readonly FaultKind[] = ["malformedProse", "malformedTruncated"];

/**
 * Draws at most one fault per request from the configured rates. The rates are independent
 * slices of one uniform draw, so their sum is the total fault rate and the sequence of faults
 * replays exactly from the seed.
 */
export class FaultPlan {
  #config: FaultsConfig;
  readonly #random: SeededRandom;

  constructor(config: FaultsConfig, random: SeededRandom) {
    this.#config = config;
    this.#random = random;
  }

  configure(config: FaultsConfig): void {
    this.#config = config;
  }

  /** The fault for the next request of `operation`, or undefined. */
  draw(operation: string, context: { streaming: boolean; text: boolean }): FaultKind | undefined {
    const config = this.#config;
    if (config.operations && !config.operations.includes(operation)) return undefined;
    const kinds = [
      ...ALWAYS,
      ...(context.streaming ? STREAM_ONLY : []),
      ...(context.text ? TEXT_ONLY : []),
    ];
    let total = 0;
    for (const kind of kinds) total += config[kind];
    if (total <= 0) return undefined;
    let point = this.#random.next();
    for (const kind of kinds) {
      point -= config[kind];
      if (point < 0) return kind;
    }
    return undefined;
  }
}
