import { describe, expect, it } from "vitest";
import { ManualClock } from "../clock/manual-clock.js";
import type { QuotaConfig } from "../emulator/config/emulator-config.js";
import type { EmulatorError } from "../emulator/emulator-error.js";
import { QuotaLedger } from "../emulator/state/quota-ledger.js";
import { SeededRandom } from "../emulator/state/seeded-random.js";
import { Scheduler, type SchedulerOptions } from "./scheduler.js";

// Runs the scheduler on a manual clock against a simulated Bedrock built from the emulator's own
// quota ledger (reservation of input + max_tokens × burndown at the start, refund at the end,
// no Retry-After), with the benchmark's latency model and faults. The scheduler is told nothing
// about the quota: it has to find it. The shapes mirror bench/scenarios at scale 1 (about a
// minute at the ideal rate), started on drained buckets (the benchmark's default) and on full
// ones.

interface Faults {
  readonly internalServerError?: number;
  readonly connectionReset?: number;
  readonly modelNotReady?: number;
  readonly modelTimeout?: number;
}

interface Shape {
  readonly name: string;
  readonly quota: QuotaConfig;
  readonly records: number;
  readonly inputTokens: number;
  /** True reply lengths, uniform in [min, max] per record (as the emulator's responder). */
  readonly output: { readonly min: number; readonly max: number };
  readonly maxTokens: number | "auto";
  readonly fullMaxTokens: number;
  readonly burndown: number;
  readonly firstTokenMs: number;
  readonly perOutputTokenMs: number;
  /** Latency jitter: each figure scaled by a factor in [1 − jitter, 1 + jitter]. */
  readonly jitter: number;
  readonly faults?: Faults;
  readonly scheduler?: SchedulerOptions;
}

interface Result {
  readonly recordId: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly stopReason: "end_turn" | "max_tokens";
}

interface Figures {
  readonly seconds: number;
  readonly completed: number;
  readonly failed: number;
  readonly attempts: number;
  readonly throttled: number;
  readonly throttleRate: number;
  readonly reruns: number;
  /** Mean charge of the records (input + output × burndown), as the benchmark's ideal has it. */
  readonly meanCharge: number;
  readonly ideal: number;
  /** Records ÷ the ideal over the run: the benchmark's `of ideal`. */
  readonly goodput: number;
  /** The most any client could reach on this start, as a fraction of the ideal (`bound`). */
  readonly reachable: number;
  readonly duplicates: number;
  readonly lost: number;
  /** Results that differ from the record's full reply (a cut-off reply passed off as whole). */
  readonly altered: number;
  readonly cpuMs: number;
}

const RTT_MS = 20;

function sdkError(name: string, status: number, message: string): Error {
  const error = new Error(message) as Error & { $metadata: { httpStatusCode: number } };
  error.name = name;
  error.$metadata = { httpStatusCode: status };
  return error;
}

/** The true reply length of a record: fixed per record, so a re-run gives the same reply. */
function lengthOf(shape: Shape, index: number): number {
  return new SeededRandom(index * 7919 + 17).int(shape.output.min, shape.output.max);
}

/** A Bedrock of one quota key: admission by the real ledger, latency, faults, true reply lengths. */
class SimulatedBedrock {
  readonly #clock: ManualClock;
  readonly #ledger: QuotaLedger;
  readonly #faults: SeededRandom;
  readonly #latency: SeededRandom;
  readonly #shape: Shape;
  attempts = 0;
  throttled = 0;
  readonly throttleTimes: number[] = [];

  constructor(clock: ManualClock, shape: Shape, seed: number, drained: boolean) {
    this.#clock = clock;
    this.#shape = shape;
    this.#ledger = new QuotaLedger(clock, { model: shape.quota });
    this.#faults = new SeededRandom(seed);
    this.#latency = new SeededRandom(seed + 1);
    if (drained) this.#drain();
  }

  /** Spends the buckets as the benchmark's harness does (bench/harness/drain-quota.ts). */
  #drain(): void {
    const { rpm, tpm } = this.#shape.quota;
    const requests = rpm === undefined ? 0 : Math.floor(rpm) - 1;
    for (let index = 0; index < requests; index++)
      this.#ledger.admit("model", { inputTokens: 1, maxTokens: 0, outputBurndown: 1 }).release(0);
    const charge =
      this.#shape.inputTokens +
      ((this.#shape.output.min + this.#shape.output.max) / 2) * this.#shape.burndown;
    if (tpm !== undefined && (rpm === undefined || tpm / charge < 2 * rpm)) {
      const left = Math.floor(tpm) - requests;
      this.#ledger.admit("model", { inputTokens: left, maxTokens: 0, outputBurndown: 1 }).release(0);
    }
  }

  #jittered(ms: number): number {
    const jitter = this.#shape.jitter;
    return ms * (1 - jitter + 2 * jitter * this.#latency.next());
  }

  async invoke(index: number, maxTokens: number, signal: AbortSignal): Promise<Result> {
    this.attempts++;
    if (process.env.QUARRY_SIM_CALLS) console.log(`call t=${(this.#clock.now() / 1000).toFixed(2)} r${index} max=${maxTokens}`);
    const shape = this.#shape;
    let lease: ReturnType<QuotaLedger["admit"]>;
    try {
      lease = this.#ledger.admit("model", {
        inputTokens: shape.inputTokens,
        maxTokens,
        outputBurndown: shape.burndown,
      });
    } catch (error) {
      const refusal = error as EmulatorError;
      if (refusal.exceptionName === "ThrottlingException") {
        this.throttled++;
        if (process.env.QUARRY_SIM_THROTTLES) this.throttleTimes.push(Math.round(this.#clock.now() / 100) / 10);
      }
      await this.#clock.sleep(RTT_MS, signal);
      throw sdkError(refusal.exceptionName, refusal.status ?? 500, refusal.message);
    }
    // As the emulator: a fault is drawn once admitted; server faults, ModelNotReady and model
    // timeouts answer at once and charge the input; a reset cuts a whole reply short.
    const faults = shape.faults ?? {};
    const draw = this.#faults.next();
    let edge = 0;
    const fault = (rate: number | undefined) => {
      edge += rate ?? 0;
      return draw < edge;
    };
    try {
      if (fault(faults.internalServerError)) {
        await this.#clock.sleep(RTT_MS, signal);
        lease.release(0);
        throw sdkError("InternalServerException", 500, "The server encountered an internal error.");
      }
      if (fault(faults.modelNotReady)) {
        await this.#clock.sleep(RTT_MS, signal);
        lease.release(0);
        throw sdkError("ModelNotReadyException", 429, "Model is not ready for inference.");
      }
      if (fault(faults.modelTimeout)) {
        await this.#clock.sleep(RTT_MS, signal);
        lease.release(0);
        throw sdkError("ModelTimeoutException", 408, "Model has timed out.");
      }
      const length = lengthOf(shape, index);
      const output = Math.min(maxTokens, length);
      const duration =
        RTT_MS +
        this.#jittered(shape.firstTokenMs) +
        this.#jittered(output * shape.perOutputTokenMs);
      await this.#clock.sleep(duration, signal);
      lease.release(output);
      if (fault(faults.connectionReset))
        throw Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
      return {
        recordId: `r${index}`,
        inputTokens: shape.inputTokens,
        outputTokens: output,
        stopReason: output < length ? "max_tokens" : "end_turn",
      };
    } catch (error) {
      if (signal.aborted) lease.release(0);
      throw error;
    }
  }
}

/** Tokens and requests per minute in force `seconds` after the start. */
function limitsAt(quota: QuotaConfig, seconds: number): { tpm: number; rpm: number } {
  let tpm = quota.tpm ?? Number.POSITIVE_INFINITY;
  let rpm = quota.rpm ?? Number.POSITIVE_INFINITY;
  for (const step of quota.schedule ?? [])
    if (step.atSeconds <= seconds) {
      tpm = step.tpm ?? tpm;
      rpm = step.rpm ?? rpm;
    }
  return { tpm, rpm };
}

/** The benchmark's ideal: the binding quota's rate at the actual charge, over `seconds`. */
function idealRecords(quota: QuotaConfig, charge: number, seconds: number): number {
  let ideal = 0;
  const step = 0.05;
  for (let at = 0; at < seconds; at += step) {
    const { tpm, rpm } = limitsAt(quota, at);
    ideal += (Math.min(tpm / charge, rpm) * Math.min(step, seconds - at)) / 60;
  }
  return ideal;
}

/**
 * The best any client could do on this start, as a fraction of the ideal: a fluid client that
 * knows the quota and every reply's length, admits as much as the buckets allow at every moment
 * (each admission holding `input + maxTokens × burndown` until its reply ends a mean latency
 * later), and sends `perRecord` requests and `charge` tokens per record (faults included).
 * From a drained bucket two things keep it under the ideal: the in-flight reservations must be
 * built up from the refill first, and the last reply ends a latency after the last admission.
 */
function reachable(shape: Shape, drained: boolean, charge: number, perRecord: number): number {
  const { quota } = shape;
  const dt = 0.01;
  const latency =
    RTT_MS / 1000 +
    (shape.firstTokenMs + ((shape.output.min + shape.output.max) / 2) * shape.perOutputTokenMs) /
      1000;
  const slots = Math.round(latency / dt);
  // The reservation held while a reply runs: a learned max tokens is ~1.25 × the longest reply.
  const maxTokens =
    shape.maxTokens === "auto"
      ? Math.min(shape.fullMaxTokens, Math.ceil(shape.output.max * 1.25))
      : shape.maxTokens;
  const reservation = shape.inputTokens + maxTokens * shape.burndown;
  const held = new Float64Array(slots);
  let { tpm, rpm } = limitsAt(quota, 0);
  let tokens = drained && tpm / charge < 2 * rpm ? 0 : tpm;
  let requests = drained ? 1 : rpm;
  let admitted = 0;
  let at = 0;
  let lastAdmission = 0;
  for (let tick = 0; admitted < shape.records - 1e-9; tick++, at += dt) {
    const limits = limitsAt(quota, at);
    if (limits.tpm !== tpm) {
      tokens = limits.tpm - Math.min(limits.tpm, tpm - tokens);
      tpm = limits.tpm;
    }
    rpm = limits.rpm;
    const slot = tick % slots;
    tokens = Math.min(tpm, tokens + (tpm / 60) * dt + held[slot]! * (reservation - charge));
    requests = Math.min(rpm, requests + (rpm / 60) * dt);
    const admit = Math.min(shape.records - admitted, tokens / reservation, requests / perRecord);
    held[slot] = admit;
    if (admit > 0) {
      tokens -= admit * reservation;
      requests -= admit * perRecord;
      admitted += admit;
      lastAdmission = at;
    }
    if (at > 3_600) throw new Error("the fluid client never finished");
  }
  const seconds = lastAdmission + latency;
  return shape.records / idealRecords(quota, charge, seconds);
}

async function simulate(shape: Shape, drained: boolean, seed = 1): Promise<Figures> {
  const cpuStart = process.cpuUsage();
  const clock = new ManualClock();
  const bedrock = new SimulatedBedrock(clock, shape, seed, drained);
  const random = new SeededRandom(seed + 1000);
  const scheduler = new Scheduler({ clock, random: () => random.next(), ...shape.scheduler });
  const results = new Map<string, number>();
  let altered = 0;
  let failed = 0;
  let lastDone = 0;
  let chargeSum = 0;
  const runs: Promise<void>[] = [];
  for (let index = 0; index < shape.records; index++) {
    runs.push(
      scheduler
        .run<Result>({
          lane: "model",
          inputTokens: shape.inputTokens,
          maxTokens: shape.maxTokens,
          fullMaxTokens: shape.fullMaxTokens,
          outputBurndown: shape.burndown,
          recordId: `r${index}`,
          attempt: ({ maxTokens, signal }) => bedrock.invoke(index, maxTokens, signal),
          usage: (result) => result,
          stoppedAtMaxTokens: (result) => result.stopReason === "max_tokens",
        })
        .then(
          (result) => {
            results.set(result.recordId, (results.get(result.recordId) ?? 0) + 1);
            if (result.outputTokens !== Math.min(shape.fullMaxTokens, lengthOf(shape, index)))
              altered++;
            chargeSum += result.inputTokens + result.outputTokens * shape.burndown;
            lastDone = clock.now();
          },
          () => {
            failed++;
          },
        ),
    );
  }
  let settled = false;
  void Promise.all(runs).then(() => {
    settled = true;
  });
  let nextTrace = 0;
  while (!settled) {
    if (process.env.QUARRY_SIM_TRACE && clock.now() >= nextTrace) {
      nextTrace += 2_000;
      const lane = scheduler.stats().lanes[0];
      console.log(
        `t=${(clock.now() / 1000).toFixed(1)}s done=${results.size} attempts=${bedrock.attempts} thr=${bedrock.throttled}`,
        JSON.stringify(lane),
      );
    }
    const next = clock.nextDueAt;
    if (next === undefined) {
      await clock.advance(0);
      if (!settled && clock.nextDueAt === undefined) throw new Error("simulation stalled");
      continue;
    }
    await clock.advance(next - clock.now());
  }
  if (process.env.QUARRY_SIM_THROTTLES) console.log(`throttles at ${bedrock.throttleTimes.join(" ")}`);
  const seconds = lastDone / 1000;
  const meanCharge = chargeSum / Math.max(1, results.size);
  const ideal = idealRecords(shape.quota, meanCharge, seconds);
  let duplicates = 0;
  for (const count of results.values()) if (count > 1) duplicates += count - 1;
  const stats = scheduler.stats();
  const cpu = process.cpuUsage(cpuStart);
  // What the faults cost the fluid client too: their requests, and their charges (a reset
  // charges its whole reply, the other faults their input).
  const faults = shape.faults ?? {};
  const early =
    (faults.internalServerError ?? 0) + (faults.modelNotReady ?? 0) + (faults.modelTimeout ?? 0);
  const reset = faults.connectionReset ?? 0;
  const perRecord = 1 / (1 - early - reset);
  const faultCharge = perRecord * (early * shape.inputTokens + reset * meanCharge);
  return {
    seconds,
    completed: results.size,
    failed,
    attempts: bedrock.attempts,
    throttled: bedrock.throttled,
    throttleRate: bedrock.throttled / bedrock.attempts,
    reruns: stats.rerunsAtFullLimit,
    meanCharge,
    ideal,
    goodput: results.size / ideal,
    reachable: Math.min(
      1,
      reachable(shape, drained, meanCharge + faultCharge, perRecord) *
        (meanCharge / (meanCharge + faultCharge)),
    ),
    duplicates,
    lost: shape.records - results.size - failed,
    altered,
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}

function report(name: string, figures: Figures): void {
  console.log(
    `[simulation] ${name}: ${figures.completed} records in ${figures.seconds.toFixed(1)} s, ` +
      `${(figures.goodput * 100).toFixed(1)}% of ideal (${figures.ideal.toFixed(0)}), ` +
      `reachable ${(figures.reachable * 100).toFixed(1)}%, ` +
      `throttled ${figures.throttled}/${figures.attempts} (${(figures.throttleRate * 100).toFixed(2)}%), ` +
      `re-runs ${figures.reruns}, failed ${figures.failed}, cpu ${figures.cpuMs.toFixed(0)} ms`,
  );
}

/** Every record exactly once, none failed, none altered. */
function expectEveryRecordOnce(figures: Figures): void {
  expect(figures.lost).toBe(0);
  expect(figures.duplicates).toBe(0);
  expect(figures.failed).toBe(0);
  expect(figures.altered).toBe(0);
}

const HAIKU = {
  inputTokens: 38,
  output: { min: 80, max: 160 },
  maxTokens: 1024,
  fullMaxTokens: 1024,
  burndown: 1,
  firstTokenMs: 400,
  perOutputTokenMs: 15,
  jitter: 0.25,
} as const;

/** bench/scenarios at scale 1. */
export const SHAPES: readonly Shape[] = [
  { name: "rpm", ...HAIKU, quota: { rpm: 600, tpm: 5_000_000 }, records: 600 },
  {
    name: "tpm-max-tokens",
    quota: { tpm: 1_000_000 },
    records: 220,
    inputTokens: 38,
    output: { min: 800, max: 1_000 },
    maxTokens: "auto",
    fullMaxTokens: 4_096,
    burndown: 5,
    firstTokenMs: 400,
    perOutputTokenMs: 20,
    jitter: 0.25,
  },
  {
    name: "faulty",
    ...HAIKU,
    quota: { rpm: 600, tpm: 90_000 },
    records: 571,
    faults: { internalServerError: 0.05, connectionReset: 0.02, modelNotReady: 0.02, modelTimeout: 0.01 },
  },
  {
    name: "quota-drop",
    ...HAIKU,
    quota: {
      tpm: 120_000,
      schedule: [
        { atSeconds: 20, tpm: 60_000 },
        { atSeconds: 40, tpm: 120_000 },
      ],
    },
    records: 634,
  },
];

describe("scheduler against a simulated Bedrock, one-minute runs (manual time)", () => {
  for (const drained of [true, false])
    for (const shape of SHAPES)
      it(`${shape.name}, ${drained ? "drained" : "full"} bucket: ≥ 95% of the ideal (or of what is reachable), < 3% throttled`, async () => {
        const figures = await simulate(shape, drained);
        report(`${shape.name} (${drained ? "drained" : "full"})`, figures);
        expectEveryRecordOnce(figures);
        expect(figures.goodput).toBeGreaterThanOrEqual(0.95 * Math.min(1, figures.reachable));
        expect(figures.throttleRate).toBeLessThan(0.03);
      });
});
