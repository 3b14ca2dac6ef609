import type { ReportFailure, ReportSecond, RunReportData } from "./report-data.js";

const LATENCY_SAMPLE = 10_000;
const FAILURE_LIST = 500;

/**
 * Accumulates what a run's report needs while it runs, in bounded memory: a per-second timeline,
 * a reservoir sample of latencies, failure counts by reason and the first failures.
 */
export class ReportRecorder {
  readonly #timeline = new Map<number, ReportSecond>();
  readonly #latencies: number[] = [];
  #latencySeen = 0;
  readonly #failuresByReason: Record<string, number> = {};
  readonly #failures: ReportFailure[] = [];
  #random: () => number;
  totals = {
    records: 0,
    resumed: 0,
    completed: 0,
    failed: 0,
    requests: 0,
    throttles: 0,
    retries: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadInputTokens: 0,
    cacheWriteInputTokens: 0,
    costUsd: 0,
    cacheSavingsUsd: 0,
  };

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  #second(atMs: number): ReportSecond {
    const second = Math.max(0, Math.floor(atMs / 1000));
    let slot = this.#timeline.get(second);
    if (!slot) {
      slot = {
        second,
        requests: 0,
        completed: 0,
        failed: 0,
        throttled: 0,
        retries: 0,
        inputTokens: 0,
        outputTokens: 0,
      };
      this.#timeline.set(second, slot);
    }
    return slot;
  }

  request(atMs: number): void {
    this.totals.requests++;
    this.#second(atMs).requests++;
  }

  throttled(atMs: number): void {
    this.totals.throttles++;
    this.#second(atMs).throttled++;
  }

  retried(atMs: number): void {
    this.totals.retries++;
    this.#second(atMs).retries++;
  }

  completed(
    atMs: number,
    record: {
      latencyMs: number;
      inputTokens: number;
      outputTokens: number;
      cacheReadInputTokens?: number;
      cacheWriteInputTokens?: number;
      costUsd: number;
      cacheSavingsUsd?: number;
    },
  ): void {
    const slot = this.#second(atMs);
    slot.completed++;
    slot.inputTokens += record.inputTokens;
    slot.outputTokens += record.outputTokens;
    this.totals.completed++;
    this.totals.inputTokens += record.inputTokens;
    this.totals.outputTokens += record.outputTokens;
    this.totals.cacheReadInputTokens += record.cacheReadInputTokens ?? 0;
    this.totals.cacheWriteInputTokens += record.cacheWriteInputTokens ?? 0;
    this.totals.costUsd += record.costUsd;
    this.totals.cacheSavingsUsd += record.cacheSavingsUsd ?? 0;
    // Reservoir sampling keeps a uniform sample of every latency in bounded memory.
    this.#latencySeen++;
    if (this.#latencies.length < LATENCY_SAMPLE) this.#latencies.push(record.latencyMs);
    else {
      const slotIndex = Math.floor(this.#random() * this.#latencySeen);
      if (slotIndex < LATENCY_SAMPLE) this.#latencies[slotIndex] = record.latencyMs;
    }
  }

  failed(
    atMs: number,
    failure: ReportFailure,
    tokens: { inputTokens: number; outputTokens: number; costUsd: number } = {
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
    },
  ): void {
    this.totals.failed++;
    this.totals.inputTokens += tokens.inputTokens;
    this.totals.outputTokens += tokens.outputTokens;
    this.totals.costUsd += tokens.costUsd;
    this.#second(atMs).failed++;
    const reason = failureCategory(failure.reason);
    this.#failuresByReason[reason] = (this.#failuresByReason[reason] ?? 0) + 1;
    if (this.#failures.length < FAILURE_LIST) this.#failures.push(failure);
  }

  data(job: RunReportData["job"]): RunReportData {
    return {
      job,
      totals: { ...this.totals },
      timeline: [...this.#timeline.values()].sort((a, b) => a.second - b.second),
      latenciesMs: [...this.#latencies],
      failuresByReason: { ...this.#failuresByReason },
      failures: [...this.#failures],
    };
  }
}

/** Groups failure reasons: the text before the first colon, so per-record details do not split groups. */
export function failureCategory(reason: string): string {
  const colon = reason.indexOf(":");
  const head = (colon > 0 ? reason.slice(0, colon) : reason).trim();
  return head.length > 80 ? `${head.slice(0, 77)}...` : head;
}
