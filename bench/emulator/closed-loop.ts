import { performance } from "node:perf_hooks";

/** What a closed-loop run measured. */
export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly firstError?: string;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/**
 * Keeps `concurrency` requests in flight for `durationMs`: each worker sends its next request
 * as soon as the previous one is answered (a closed loop), so the figure is the server's
 * sustainable rate at that concurrency. A warm-up of `warmupMs` runs first and is not counted,
 * so the JIT has compiled the hot path before measuring starts.
 */
export async function runClosedLoop(
  send: (index: number) => Promise<void>,
  options: {
    concurrency: number;
    durationMs: number;
    warmupMs: number;
    /** Runs between the warm-up and the measured run (e.g. to read the server's CPU time). */
    beforeMeasure?: () => Promise<void>;
  },
): Promise<LoadResult> {
  await drive(send, options.concurrency, options.warmupMs, () => {});
  await options.beforeMeasure?.();
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  await drive(send, options.concurrency, options.durationMs, (ms, error) => {
    if (error === undefined) latencies.push(ms);
    else {
      errors++;
      firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    }
  });
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    errors,
    ...(firstError !== undefined ? { firstError } : {}),
    seconds,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  };
}

async function drive(
  send: (index: number) => Promise<void>,
  concurrency: number,
  durationMs: number,
  onDone: (ms: number, error?: unknown) => void,
): Promise<void> {
  const deadline = performance.now() + durationMs;
  let counter = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      try {
        await send(counter++);
        onDone(performance.now() - started);
      } catch (error) {
        onDone(performance.now() - started, error ?? new Error("unknown failure"));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** The nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank]!;
}
