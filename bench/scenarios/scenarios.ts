// The four scenarios. Each is sized so that, at the ideal rate, one contestant needs about a
// minute (times --scale): the record count is the ideal rate integrated over that minute, from
// an estimate of the mean charge (input + mean output × burndown). Contestants are told nothing
// about the quota; they get the model, the max tokens to request and the prompts.
import { countTokens } from "../../src/emulator/state/count-tokens.js";
import { idealRecords, meanReplySeconds, type QuotaShape } from "../harness/ideal-rate.js";
import { promptFor } from "./workload.js";

export type ScenarioName = "rpm" | "tpm-max-tokens" | "faulty" | "quota-drop";

/** Fault rates in the emulator's terms (docs/emulator-config.md, Faults). */
export interface FaultRates {
  readonly internalServerError?: number;
  readonly connectionReset?: number;
  readonly modelNotReady?: number;
  readonly modelTimeout?: number;
}

/** The emulator's latency (docs/emulator-config.md, Latency). */
export interface Latency {
  /** Time to the first token, in ms. */
  readonly firstTokenMs: number;
  /** Time per output token, in ms. */
  readonly perOutputTokenMs: number;
  /** Each delay is multiplied by a seeded factor in [1 − jitter, 1 + jitter]. */
  readonly jitter: number;
}

/** One scenario at a given scale. */
export interface Scenario {
  readonly name: ScenarioName;
  readonly title: string;
  readonly modelId: string;
  /** Quota tokens per output token (the model's own: 5 for Claude 4-family models). */
  readonly outputBurndown: number;
  /** The max tokens every peer requests. */
  readonly maxTokens: number;
  /** What Quarry requests: `auto` everywhere (its README's default for batch jobs). */
  readonly quarryMaxTokens: number | "auto";
  /** Synthetic reply lengths the emulator picks from, per prompt. */
  readonly outputTokens: { readonly min: number; readonly max: number };
  readonly latency: Latency;
  readonly quota: QuotaShape;
  readonly faults: FaultRates;
  /** Seconds the quota needs to admit the records at the ideal rate (60 × scale). */
  readonly expectedSeconds: number;
  /** Seconds one reply of the mean output length takes: the ideal's latency allowance. */
  readonly expectedReplySeconds: number;
  readonly records: number;
  /** The mean charge the sizing assumed (the measured one decides the ideal). */
  readonly estimatedCharge: number;
}

const HAIKU = "anthropic.claude-3-haiku-20240307-v1:0";
const SONNET_4_PROFILE = "us.anthropic.claude-sonnet-4-20250514-v1:0";

/**
 * Latency as a real Claude call has it: 300–500 ms to the first token, 11–19 ms per output
 * token (400 ms and 15 ms, ±25% seeded jitter). Every scenario's unless it gives its own.
 */
export const LATENCY: Latency = { firstTokenMs: 400, perOutputTokenMs: 15, jitter: 0.25 };

/** The emulator's seed: faults, jitter and reply lengths replay exactly from it. */
export const EMULATOR_SEED = 7;

interface ScenarioShape {
  readonly name: ScenarioName;
  readonly title: string;
  readonly modelId: string;
  readonly outputBurndown: number;
  readonly maxTokens: number;
  readonly quarryMaxTokens: number | "auto";
  readonly outputTokens: { readonly min: number; readonly max: number };
  /** The emulator's latency; LATENCY when not given. */
  readonly latency?: Latency;
  /** The quota; a schedule is given in fractions of the expected duration. */
  readonly quota: (expectedSeconds: number) => QuotaShape;
  readonly faults?: FaultRates;
}

const SHAPES: readonly ScenarioShape[] = [
  {
    name: "rpm",
    title: "RPM-bound (600 rpm, generous tpm)",
    modelId: HAIKU,
    outputBurndown: 1,
    maxTokens: 1024,
    quarryMaxTokens: "auto",
    outputTokens: { min: 80, max: 160 },
    quota: () => ({ rpm: 600, tpm: 5_000_000 }),
  },
  // The long-generation case. Each peer call holds input + 32,000 × 5 = ~160,000 tokens of
  // the 1M TPM while it runs (~18 s: 400 ms + ~900 tokens × 20 ms), and gets the unused part
  // back only when it ends, so few run at once (a full bucket holds six such reservations, a
  // drained one earns another every ~9.6 s), while what a reply is actually charged is ~4,540
  // tokens (~38 input + ~900 × 5): the quota allows ~220 replies a minute. Quarry's `auto`
  // learns the real lengths and reserves close to what is used. Sonnet 4 allows 64,000 output
  // tokens (the emulator's catalog), so 32,000 is a legal request.
  {
    name: "tpm-max-tokens",
    title:
      "TPM-bound, max_tokens 32,000, 800–1,000 generated at ~20 ms/token, burndown 5 " +
      "(Quarry: maxTokens auto)",
    modelId: SONNET_4_PROFILE,
    outputBurndown: 5,
    maxTokens: 32_000,
    quarryMaxTokens: "auto",
    outputTokens: { min: 800, max: 1_000 },
    latency: { firstTokenMs: 400, perOutputTokenMs: 20, jitter: 0.25 },
    quota: () => ({ tpm: 1_000_000 }),
  },
  {
    name: "faulty",
    title: "faulty (5% 500s, 2% resets, 2% ModelNotReady, 1% timeouts) on 600 rpm / 90k tpm",
    modelId: HAIKU,
    outputBurndown: 1,
    maxTokens: 1024,
    quarryMaxTokens: "auto",
    outputTokens: { min: 80, max: 160 },
    quota: () => ({ rpm: 600, tpm: 90_000 }),
    faults: {
      internalServerError: 0.05,
      connectionReset: 0.02,
      modelNotReady: 0.02,
      modelTimeout: 0.01,
    },
  },
  {
    name: "quota-drop",
    title: "quota drops mid-run (120k tpm, halves at 1/3, recovers at 2/3)",
    modelId: HAIKU,
    outputBurndown: 1,
    maxTokens: 1024,
    quarryMaxTokens: "auto",
    outputTokens: { min: 80, max: 160 },
    quota: (expected) => ({
      tpm: 120_000,
      schedule: [
        { atSeconds: round(expected / 3), tpm: 60_000 },
        { atSeconds: round((2 * expected) / 3), tpm: 120_000 },
      ],
    }),
  },
];

/** Every scenario's name, in run order. */
export const SCENARIO_NAMES: readonly ScenarioName[] = SHAPES.map((shape) => shape.name);

function round(seconds: number): number {
  return Math.round(seconds * 10) / 10;
}

/** The mean input tokens of the workload's prompts, by the emulator's own tokenizer. */
function meanInputTokens(): number {
  let sum = 0;
  for (let index = 0; index < 50; index++) sum += countTokens(promptFor(index));
  return sum / 50;
}

/** The scenarios at a scale (1 = about a minute per contestant at the ideal rate). */
export function makeScenarios(scale: number): Scenario[] {
  if (!(Number.isFinite(scale) && scale > 0))
    throw new RangeError(`--scale must be a number > 0; got ${scale}`);
  const input = meanInputTokens();
  const expectedSeconds = 60 * scale;
  return SHAPES.map((shape) => {
    const meanOutput = (shape.outputTokens.min + shape.outputTokens.max) / 2;
    const estimatedCharge = input + meanOutput * shape.outputBurndown;
    const quota = shape.quota(expectedSeconds);
    const latency = shape.latency ?? LATENCY;
    return {
      name: shape.name,
      title: shape.title,
      modelId: shape.modelId,
      outputBurndown: shape.outputBurndown,
      maxTokens: shape.maxTokens,
      quarryMaxTokens: shape.quarryMaxTokens,
      outputTokens: shape.outputTokens,
      latency,
      quota,
      faults: shape.faults ?? {},
      expectedSeconds,
      expectedReplySeconds: meanReplySeconds(latency, meanOutput),
      records: Math.max(1, Math.round(idealRecords(quota, estimatedCharge, expectedSeconds))),
      estimatedCharge,
    };
  });
}

/** The emulator configuration of a scenario (docs/emulator-config.md). */
export function emulatorConfig(scenario: Scenario): Record<string, unknown> {
  return {
    seed: EMULATOR_SEED,
    quotas: { [scenario.modelId]: scenario.quota },
    latency: scenario.latency,
    ...(Object.keys(scenario.faults).length > 0
      ? { faults: { ...scenario.faults, operations: ["InvokeModel", "Converse"] } }
      : {}),
    responder: { outputTokens: scenario.outputTokens },
  };
}
