import type { Clock } from "../clock/clock.js";

/** What a progress display shows at one moment. */
export interface ProgressSnapshot {
  readonly total: number;
  /** Records finished in earlier runs of this job (resumed). */
  readonly resumed: number;
  readonly completed: number;
  readonly failed: number;
  /** Records waiting out a backoff before another attempt. */
  readonly retrying: number;
  readonly inFlight: number;
  readonly requests: number;
  readonly throttles: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
  readonly elapsedMs: number;
  /** Records finished per second over the recent window. */
  readonly recordsPerSecond: number;
  readonly requestsPerSecond: number;
  readonly tokensPerSecond: number;
  /** Estimated time to finish, in ms, or undefined before there is a rate. */
  readonly etaMs: number | undefined;
}

const WINDOW_MS = 10_000;

interface Sample {
  readonly at: number;
  readonly finished: number;
  readonly requests: number;
  readonly tokens: number;
}

/**
 * Counts a run's progress from the runner's events and derives rates over a sliding window, so
 * the bar and the log lines show the current pace rather than the average since start.
 */
export class ProgressTracker {
  readonly #clock: Clock;
  readonly #startedAt: number;
  #samples: Sample[] = [];
  total = 0;
  resumed = 0;
  completed = 0;
  failed = 0;
  retrying = 0;
  inFlight = 0;
  requests = 0;
  throttles = 0;
  inputTokens = 0;
  outputTokens = 0;
  costUsd = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
    this.#startedAt = clock.now();
  }

  snapshot(): ProgressSnapshot {
    const now = this.#clock.now();
    const finished = this.completed + this.failed;
    const current: Sample = {
      at: now,
      finished,
      requests: this.requests,
      tokens: this.inputTokens + this.outputTokens,
    };
    this.#samples.push(current);
    while (this.#samples.length > 2 && now - this.#samples[0]!.at > WINDOW_MS)
      this.#samples.shift();
    const oldest = this.#samples[0]!;
    const seconds = (now - oldest.at) / 1000;
    const rate = (pick: (s: Sample) => number) =>
      seconds > 0 ? (pick(current) - pick(oldest)) / seconds : 0;
    const recordsPerSecond = rate((s) => s.finished);
    const remaining = Math.max(0, this.total - this.resumed - finished);
    return {
      total: this.total,
      resumed: this.resumed,
      completed: this.completed,
      failed: this.failed,
      retrying: this.retrying,
      inFlight: this.inFlight,
      requests: this.requests,
      throttles: this.throttles,
      inputTokens: this.inputTokens,
      outputTokens: this.outputTokens,
      costUsd: this.costUsd,
      elapsedMs: now - this.#startedAt,
      recordsPerSecond,
      requestsPerSecond: rate((s) => s.requests),
      tokensPerSecond: rate((s) => s.tokens),
      etaMs: recordsPerSecond > 0 ? (remaining / recordsPerSecond) * 1000 : undefined,
    };
  }
}

/** One plain progress line, for logs and non-terminal output. */
export function formatProgressLine(snapshot: ProgressSnapshot): string {
  const done = snapshot.resumed + snapshot.completed + snapshot.failed;
  const percent = snapshot.total > 0 ? ((done / snapshot.total) * 100).toFixed(1) : "0.0";
  const eta = snapshot.etaMs === undefined ? "?" : formatSeconds(snapshot.etaMs);
  return (
    `${done}/${snapshot.total} (${percent}%) done=${snapshot.completed + snapshot.resumed} failed=${snapshot.failed}` +
    ` retrying=${snapshot.retrying} in-flight=${snapshot.inFlight} ${snapshot.requestsPerSecond.toFixed(1)} req/s` +
    ` ${Math.round(snapshot.tokensPerSecond)} tok/s throttles=${snapshot.throttles} $${snapshot.costUsd.toFixed(4)} eta=${eta}`
  );
}

/** "42s", "3m05s", "1h02m". */
export function formatSeconds(ms: number): string {
  const total = Math.round(ms / 1000);
  if (total < 60) return `${total}s`;
  if (total < 3600) return `${Math.floor(total / 60)}m${String(total % 60).padStart(2, "0")}s`;
  return `${Math.floor(total / 3600)}h${String(Math.floor((total % 3600) / 60)).padStart(2, "0")}m`;
}
