import type { Clock } from "../clock/clock.js";
import type { JobEstimate } from "./estimate-job.js";
import { type RowSource, type RunSummary, runJobSpec } from "./job-run.js";
import { type JobOverrides, resolveJobSpec } from "./job-spec.js";
import type { JournalUsage } from "./journal.js";
import { RunEmitter } from "./run-events.js";
import type { OutputSchema } from "./structured-output.js";

/** One record's outcome, as `runJob` yields it. */
export type JobResult<T = unknown> =
  | {
      readonly id: string;
      readonly rowNumber: number;
      readonly status: "completed";
      /** The validated object (with a schema) or the reply text. */
      readonly result: T;
      readonly attemptsMade: number;
      readonly usage: JournalUsage;
      readonly costUsd: number;
    }
  | {
      readonly id: string;
      readonly rowNumber: number;
      readonly status: "failed";
      readonly failedReason: string;
      readonly errorCode: string;
      /** The last reply as received, when there was one. */
      readonly raw?: string;
      readonly attemptsMade: number;
      readonly usage: JournalUsage;
      readonly costUsd: number;
    };

/** Options of `runJob`. */
export interface RunJobOptions<T = unknown> {
  /**
   * The job, with the fields of a job file: `model`, `prompt` (`{ text }` or a template file),
   * `system`, `maxTokens`, `temperature`, `endpoint` (`"local"` for the embedded emulator),
   * `region`, `limits`, `retry`, `budget`, `repairAttempts`, ... `input` is not needed.
   */
  readonly job: JobOverrides & Readonly<Record<string, unknown>>;
  /** The rows: an array, or a function returning a fresh (async) iterable. */
  readonly rows: RowSource;
  /** The reply's schema (zod or JSON Schema): replies are extracted, repaired, validated. */
  readonly schema?: OutputSchema<T>;
  /**
   * Keep a resumable journal beside this output file (JSONL/CSV/JSON by extension); without it
   * the run keeps its journal in memory.
   */
  readonly output?: string;
  /** Relative paths in `job` resolve against this. @default process.cwd() */
  readonly baseDir?: string;
  /** Aborting stops starting records; those in flight finish and are yielded. */
  readonly signal?: AbortSignal;
  /** Called once the estimate is known, before any paid request. */
  readonly onEstimate?: (estimate: JobEstimate) => void;
  readonly clock?: Clock;
}

/**
 * Runs a job from code and yields each record's result as it finishes (in completion order).
 * Everything `quarry run` does applies: the preflight checks every row and renders every prompt
 * before a request; the scheduler paces and retries; schema failures are re-asked; with
 * `output`, the journal makes the run resumable exactly once. The generator's return value is
 * the run's summary.
 *
 * ```ts
 * for await (const r of runJob({ job: { model, endpoint: "local", prompt: { text: "Flower of {state}?" } }, rows, schema })) {
 *   if (r.status === "completed") console.log(r.id, r.result);
 * }
 * ```
 */
export async function* runJob<T = unknown>(
  options: RunJobOptions<T>,
): AsyncGenerator<JobResult<T>, RunSummary> {
  const spec = resolveJobSpec(
    {
      input: "rows.jsonl",
      inputFormat: "jsonl",
      ...(options.output ? { output: options.output } : { output: "quarry-results.jsonl" }),
      ...options.job,
    },
    { ...(options.baseDir ? { baseDir: options.baseDir } : {}) },
  );
  const emitter = new RunEmitter();
  const queue: JobResult<T>[] = [];
  let wake: (() => void) | undefined;
  const push = (result: JobResult<T>) => {
    queue.push(result);
    wake?.();
  };
  emitter.on("record-completed", (event) =>
    push({
      id: event.id,
      rowNumber: event.rowNumber,
      status: "completed",
      result: event.result as T,
      attemptsMade: event.attemptsMade,
      usage: event.usage,
      costUsd: event.costUsd,
    }),
  );
  emitter.on("record-failed", (event) =>
    push({
      id: event.id,
      rowNumber: event.rowNumber,
      status: "failed",
      failedReason: event.reason,
      errorCode: event.errorCode,
      ...(event.raw !== undefined ? { raw: event.raw } : {}),
      attemptsMade: event.attemptsMade,
      usage: event.usage,
      costUsd: event.costUsd,
    }),
  );
  let finished = false;
  let outcome: { summary?: RunSummary; error?: unknown } = {};
  const running = runJobSpec({
    spec,
    rows: options.rows,
    ...(options.schema ? { schema: options.schema as OutputSchema } : {}),
    journal: options.output ? "file" : "memory",
    report: false,
    emitter,
    ...(options.signal ? { stop: options.signal } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.onEstimate ? { onEstimate: options.onEstimate } : {}),
  })
    .then(
      (summary) => {
        outcome = { summary };
      },
      (error: unknown) => {
        outcome = { error };
      },
    )
    .finally(() => {
      finished = true;
      wake?.();
    });
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (finished) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
    await running;
    if (outcome.error !== undefined) throw outcome.error;
    return outcome.summary!;
  } finally {
    await running;
  }
}
