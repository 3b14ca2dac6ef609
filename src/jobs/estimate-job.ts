import type { Quarry } from "../client/create-quarry.js";
import { estimateTextTokens } from "../client/estimate-tokens.js";
import { estimateCost } from "../models/price-table.js";
import { type ResolvedModel, resolveModel } from "../models/resolve-model.js";
import type { JobSpec } from "./job-spec.js";
import type { JournalTarget, JournalUsage } from "./journal.js";
import type { PreparedRecord } from "./prepare-record.js";
import type { StructuredOutput } from "./structured-output.js";

/** Prompts sent to CountTokens to calibrate the local estimate: a sample, not a call per row. */
const CALIBRATION_SAMPLE = 5;
/** Per-message framing the local estimate adds to the prompt text. */
const MESSAGE_OVERHEAD_TOKENS = 4;
/** The output assumed per record when neither the job nor its schema says. */
const DEFAULT_OUTPUT_TOKENS = 300;

/** What the estimate says a job will take. */
export interface JobEstimate {
  readonly model: string;
  readonly region: string;
  readonly records: number;
  readonly pending: number;
  readonly completed: number;
  readonly failed: number;
  /** Requests for the pending records, before retries and re-asks. */
  readonly requests: number;
  readonly inputTokens: number;
  /** Expected output tokens (see `outputTokensPerRecord`). */
  readonly outputTokens: number;
  readonly outputTokensPerRecord: number;
  /** The most output the pending records could produce: their max tokens. */
  readonly maxOutputTokens: number;
  readonly costUsd: number | undefined;
  /** The cost if every record used its whole max tokens. */
  readonly worstCaseCostUsd: number | undefined;
  /** How the input tokens were counted. */
  readonly calibration: {
    readonly method: "CountTokens" | "local";
    /** Counted ÷ local estimate over the sample (1 for `local`). */
    readonly ratio: number;
    readonly sampled: number;
    readonly note?: string;
  };
  /** Where the prices come from and how sure they are. */
  readonly priceNotes: readonly string[];
  readonly priceVerification: string | undefined;
}

/** Accumulates the local token estimate during the preflight's pass, keeping a small sample. */
export class TokenTally {
  records = 0;
  inputTokens = 0;
  readonly sample: PreparedRecord[] = [];

  add(record: PreparedRecord): void {
    if (record.state !== undefined) return;
    this.records++;
    this.inputTokens += localInputTokens(record);
    if (this.sample.length < CALIBRATION_SAMPLE) this.sample.push(record);
  }
}

/** The local estimate of a record's input tokens (prompt, system, framing). */
export function localInputTokens(record: Pick<PreparedRecord, "prompt" | "system">): number {
  return (
    estimateTextTokens(record.prompt) +
    (record.system ? estimateTextTokens(record.system) : 0) +
    MESSAGE_OVERHEAD_TOKENS
  );
}

/**
 * Output tokens per record the estimate assumes: the job's `expectedOutputTokens`, else a figure
 * derived from the schema (a compact JSON rendering of its shape, with room for values), else
 * 300 — never more than `maxTokens`.
 */
export function expectedOutputTokens(
  spec: JobSpec,
  output: StructuredOutput | undefined,
  maxTokens: number,
): number {
  if (spec.expectedOutputTokens !== undefined)
    return Math.min(spec.expectedOutputTokens, maxTokens);
  if (output) {
    const leaves = countLeaves(output.jsonSchema);
    return Math.min(maxTokens, Math.max(20, leaves * 12 + 10));
  }
  return Math.min(DEFAULT_OUTPUT_TOKENS, maxTokens);
}

function countLeaves(schema: unknown, depth = 0): number {
  if (depth > 8 || schema === null || typeof schema !== "object") return 1;
  const node = schema as { properties?: Record<string, unknown>; items?: unknown };
  if (node.properties) {
    let total = 0;
    for (const child of Object.values(node.properties)) total += countLeaves(child, depth + 1);
    return Math.max(1, total);
  }
  if (node.items) return 3 * countLeaves(node.items, depth + 1);
  return 1;
}

/** The max tokens a record's call may use: the job's number, else the model's limit (for `auto`). */
export function fullMaxTokens(spec: JobSpec, model: ResolvedModel): number {
  if (spec.maxTokens !== "auto") return spec.maxTokens;
  return model.defaultMaxTokens || model.maxOutputTokens || 4096;
}

/** Prices a usage for a job's model and region (undefined when the table has no price). */
export function pricer(
  model: ResolvedModel,
  region: string,
): (usage: JournalUsage) => number | undefined {
  return (usage) =>
    estimateCost({
      model,
      region,
      inputTokens: usage.inputTokens ?? 0,
      outputTokens: usage.outputTokens ?? 0,
      cacheReadTokens: usage.cacheReadInputTokens ?? 0,
      cacheWriteTokens: usage.cacheWriteInputTokens ?? 0,
    }).usd;
}

/** A Region and the model called there: where a job's records may run. */
export interface JobPlace {
  readonly region: string;
  readonly model: ResolvedModel;
}

/** Where a job's records may run: each of its targets, else its model in `region`. */
export function placesOf(spec: JobSpec, model: ResolvedModel, region: string): readonly JobPlace[] {
  if (!spec.targets) return [{ region, model }];
  return spec.targets.map((target) => ({
    region: target.region,
    model: target.model === spec.model ? model : resolveOr(target.model, model),
  }));
}

function resolveOr(id: string, fallback: ResolvedModel): ResolvedModel {
  try {
    return resolveModel(id);
  } catch {
    // An ARN that hides its model: it is the job's model (the targets were checked for it).
    return fallback;
  }
}

/**
 * Where a call ran, as a place: its target's Region and model (resolved as the job's places
 * are), or the first place when its target is not known.
 */
function placeOfCall(places: readonly JobPlace[], target: JournalTarget | undefined): JobPlace {
  const first = places[0]!;
  if (!target) return first;
  const place = places.find(
    (candidate) => candidate.region === target.region && candidate.model.modelId === target.model,
  );
  return { region: target.region, model: place?.model ?? resolveOr(target.model, first.model) };
}

/**
 * Prices calls where they ran. Targets of one model may differ in price (by Region, and by
 * route: a global profile costs less than a geographic one), so a call is priced at its
 * target's Region and model id, and anything not known to have run somewhere at the first
 * place. `dearest` prices at the dearest place, for what a budget must hold in reserve.
 */
export function placePricer(places: readonly JobPlace[]): {
  price(usage: JournalUsage, target?: JournalTarget): number | undefined;
  dearest(usage: JournalUsage): number | undefined;
} {
  const pricers = new Map<string, (usage: JournalUsage) => number | undefined>();
  const at = (region: string, model: ResolvedModel) => {
    const key = `${region} ${model.modelId}`;
    let price = pricers.get(key);
    if (!price) {
      price = pricer(model, region);
      pricers.set(key, price);
    }
    return price;
  };
  return {
    price(usage, target) {
      const place = placeOfCall(places, target);
      return at(place.region, place.model)(usage);
    },
    dearest(usage) {
      let most: number | undefined;
      for (const place of places) {
        const usd = at(place.region, place.model)(usage);
        if (usd !== undefined && (most === undefined || usd > most)) most = usd;
      }
      return most;
    },
  };
}

/**
 * What prompt caching saved on a usage, in dollars: the cached tokens (read and written) at the
 * full input price, less what they cost — cheap reads minus the write premium, so a record that
 * only wrote to the cache can come out negative. Priced where the call ran (its target's Region
 * and model id, as `placePricer` prices the cost), else at the first place. 0 when the table has
 * no price.
 */
export function cacheSavings(
  places: readonly JobPlace[],
): (usage: JournalUsage, target?: JournalTarget) => number {
  return (usage, target) => {
    const read = usage.cacheReadInputTokens ?? 0;
    const write = usage.cacheWriteInputTokens ?? 0;
    if (read + write === 0) return 0;
    const { region, model } = placeOfCall(places, target);
    const full = estimateCost({ model, region, inputTokens: read + write });
    const cached = estimateCost({
      model,
      region,
      cacheReadTokens: read,
      cacheWriteTokens: write,
    });
    if (full.usd === undefined || cached.usd === undefined) return 0;
    return full.inputUsd - (cached.cacheReadUsd + cached.cacheWriteUsd);
  };
}

/**
 * Calibrates the local estimate with CountTokens on a few prompts (free, and it also proves the
 * endpoint accepts the model id before any paid request), then prices the job.
 */
export async function estimateJob(options: {
  readonly spec: JobSpec;
  readonly model: ResolvedModel;
  readonly region: string;
  /** Where the records may run, when more than `region`: priced at the dearest. */
  readonly places?: readonly JobPlace[];
  readonly quarry: Quarry | undefined;
  readonly tally: TokenTally;
  readonly output: StructuredOutput | undefined;
  readonly counts: {
    readonly records: number;
    readonly completed: number;
    readonly failed: number;
  };
  readonly signal?: AbortSignal;
}): Promise<JobEstimate> {
  const { spec, model, region, tally } = options;
  let ratio = 1;
  let method: "CountTokens" | "local" = "local";
  let note: string | undefined;
  if (options.quarry && tally.sample.length > 0 && model.capabilities.countTokens) {
    let counted = 0;
    let local = 0;
    for (const record of tally.sample) {
      const result = await options.quarry.countTokens({
        model: spec.model,
        prompt: record.prompt,
        ...(record.system ? { system: record.system } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      if (result.estimated) break;
      counted += result.inputTokens;
      local += localInputTokens(record);
    }
    if (local > 0) {
      ratio = counted / local;
      method = "CountTokens";
    }
  } else if (!model.capabilities.countTokens) {
    note =
      "the model has no CountTokens; input tokens are a local estimate (about 4 characters per token)";
  }
  const maxTokens = fullMaxTokens(spec, model);
  const perRecord = expectedOutputTokens(spec, options.output, maxTokens);
  const inputTokens = Math.round(tally.inputTokens * ratio);
  const outputTokens = perRecord * tally.records;
  const places = options.places ?? [{ region, model }];
  // Where prices differ, the estimate is the dearest place's: where records run is known only
  // as they run.
  const price = (output: number) => {
    let dearest: ReturnType<typeof estimateCost> | undefined;
    for (const place of places) {
      const cost = estimateCost({
        model: place.model,
        region: place.region,
        inputTokens,
        outputTokens: output,
      });
      if (!dearest || (cost.usd ?? 0) > (dearest.usd ?? 0)) dearest = cost;
    }
    return dearest!;
  };
  const expected = price(outputTokens);
  const worst = price(maxTokens * tally.records);
  const cheapest = Math.min(
    ...places.map(
      (place) =>
        estimateCost({ model: place.model, region: place.region, inputTokens, outputTokens }).usd ??
        Number.POSITIVE_INFINITY,
    ),
  );
  const spread =
    places.length > 1 && expected.usd !== undefined && cheapest < expected.usd
      ? [
          `The targets differ in price: $${cheapest.toFixed(4)} to $${expected.usd.toFixed(4)} expected; the estimate and the budget use the dearest.`,
        ]
      : [];
  return {
    model: spec.model,
    region: [...new Set(places.map((place) => place.region))].join(", "),
    records: options.counts.records,
    pending: tally.records,
    completed: options.counts.completed,
    failed: options.counts.failed,
    requests: tally.records,
    inputTokens,
    outputTokens,
    outputTokensPerRecord: perRecord,
    maxOutputTokens: maxTokens * tally.records,
    costUsd: expected.usd,
    worstCaseCostUsd: worst.usd,
    calibration: {
      method,
      ratio,
      sampled: method === "CountTokens" ? tally.sample.length : 0,
      ...(note ? { note } : {}),
    },
    priceNotes: [...expected.notes, ...spread],
    priceVerification: expected.verification,
  };
}
