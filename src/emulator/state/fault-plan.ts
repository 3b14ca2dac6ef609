import { QuarryError } from "../../errors/quarry-error.js";
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

/** Faults any model operation can get. */
export const ALWAYS_FAULTS: readonly FaultKind[] = [
  "internalServerError",
  "serviceUnavailable",
  "modelNotReady",
  "modelTimeout",
  "connectionReset",
];
/** Faults that only make sense in an event stream (after the 200). */
export const STREAM_ONLY_FAULTS: readonly FaultKind[] = [
  "streamTruncated",
  "midStreamThrottling",
  "modelStreamError",
];
/** Faults that change generated text, so only text replies get them. */
export const TEXT_ONLY_FAULTS: readonly FaultKind[] = ["malformedProse", "malformedTruncated"];

const ALL_FAULTS = [...ALWAYS_FAULTS, ...STREAM_ONLY_FAULTS, ...TEXT_ONLY_FAULTS];

/** What a request is, as far as which faults can apply to it. */
export interface FaultContext {
  readonly streaming: boolean;
  readonly text: boolean;
}

/** The kinds a request of one context can get, with their rates, worked out once per config. */
interface Slices {
  readonly kinds: readonly FaultKind[];
  readonly rates: readonly number[];
  readonly total: number;
}

// Rates are probabilities of one draw; tolerate the rounding of decimal fractions.
const EPSILON = 1e-9;

/**
 * Refuses fault rates that add up to more than 1: a request gets at most one fault, so rates
 * above that total could not all be honoured and the last kinds would silently never happen.
 */
export function checkFaultRates(config: FaultsConfig): void {
  let total = 0;
  const named: string[] = [];
  for (const kind of ALL_FAULTS) {
    if (config[kind] > 0) {
      total += config[kind];
      named.push(`${kind} ${config[kind]}`);
    }
  }
  if (total > 1 + EPSILON) {
    throw new QuarryError(
      "emulator.config",
      `Emulator config faults: the rates add up to ${Number(total.toFixed(6))} (${named.join(", ")}); a request gets at most one fault, so they must add up to at most 1`,
      { hint: "Lower the rates, or set the ones you no longer want to 0 (objects merge)." },
    );
  }
}

/**
 * Draws at most one fault per request from the configured rates. The rates are consecutive
 * slices of one uniform draw, so the chance of any fault is their sum, each kind happens at
 * its own rate, and the sequence of faults replays exactly from the seed. Requests a fault
 * kind cannot apply to (a stream-only fault on InvokeModel, a text fault on an embedding) see
 * only the slices that apply: their chance of a fault is the sum of those.
 */
export class FaultPlan {
  #config: FaultsConfig;
  #slices: readonly Slices[];
  readonly #random: SeededRandom;

  constructor(config: FaultsConfig, random: SeededRandom) {
    checkFaultRates(config);
    this.#config = config;
    this.#slices = slicesFor(config);
    this.#random = random;
  }

  /** Applies new rates; the random sequence carries on. */
  configure(config: FaultsConfig): void {
    checkFaultRates(config);
    this.#config = config;
    this.#slices = slicesFor(config);
  }

  /**
   * The fault for the next request of `operation`, or undefined. A request no configured
   * fault can apply to consumes no random number, so adding such requests to a run does not
   * shift which later requests get faults.
   */
  draw(operation: string, context: FaultContext): FaultKind | undefined {
    const operations = this.#config.operations;
    if (operations && !operations.includes(operation)) return undefined;
    const slices = this.#slices[(context.streaming ? 2 : 0) + (context.text ? 1 : 0)]!;
    if (slices.total <= 0) return undefined;
    let point = this.#random.next();
    for (let i = 0; i < slices.kinds.length; i++) {
      point -= slices.rates[i]!;
      if (point < 0) return slices.kinds[i];
    }
    return undefined;
  }
}

/** Slices for the four contexts, indexed by streaming × 2 + text. */
function slicesFor(config: FaultsConfig): readonly Slices[] {
  return [false, true].flatMap((streaming) =>
    [false, true].map((text) => {
      const kinds = [
        ...ALWAYS_FAULTS,
        ...(streaming ? STREAM_ONLY_FAULTS : []),
        ...(text ? TEXT_ONLY_FAULTS : []),
      ].filter((kind) => config[kind] > 0);
      const rates = kinds.map((kind) => config[kind]);
      return { kinds, rates, total: rates.reduce((sum, rate) => sum + rate, 0) };
    }),
  );
}
