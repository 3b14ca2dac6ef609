/** One second of a run, as the report plots it. */
export interface ReportSecond {
  readonly second: number;
  requests: number;
  completed: number;
  failed: number;
  throttled: number;
  retries: number;
  inputTokens: number;
  outputTokens: number;
}

/** A failed record, as the report lists it. */
export interface ReportFailure {
  readonly id: string;
  readonly row: number;
  readonly reason: string;
  readonly raw?: string;
}

/** Everything the HTML report and the summary are made from. */
export interface RunReportData {
  readonly job: {
    readonly name: string;
    readonly model: string;
    readonly region: string;
    readonly endpoint: string;
    readonly startedAt: string;
    readonly wallMs: number;
  };
  readonly totals: {
    readonly records: number;
    /** Records finished in earlier runs of the same job (resumed from the journal). */
    readonly resumed: number;
    readonly completed: number;
    readonly failed: number;
    readonly requests: number;
    readonly throttles: number;
    readonly retries: number;
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly cacheReadInputTokens: number;
    readonly cacheWriteInputTokens: number;
    readonly costUsd: number;
    /** What the cached tokens would have cost at the full input price, minus what they cost. */
    readonly cacheSavingsUsd: number;
  };
  readonly timeline: readonly ReportSecond[];
  /** A uniform sample of per-record latencies in ms (bounded, so memory stays flat). */
  readonly latenciesMs: readonly number[];
  readonly failuresByReason: Readonly<Record<string, number>>;
  /** The first failures, bounded. */
  readonly failures: readonly ReportFailure[];
}
