import type { RecordResult } from "../harness/record-accounting.js";
import type { WorkItem } from "../scenarios/workload.js";

/** Placeholder keys for the emulator, which does not check signatures in the benchmark. */
export const EMULATOR_CREDENTIALS = {
  accessKeyId: "AKIDQUARRYBENCH",
  secretAccessKey: "quarry-bench-placeholder",
} as const;

/** What a contestant is given: the endpoint, the model, the max tokens, the prompts. */
export interface ContestantRun {
  /** The emulator's URL, e.g. `http://127.0.0.1:4599`. */
  readonly endpoint: string;
  readonly region: string;
  readonly modelId: string;
  /** The max tokens every peer requests. */
  readonly maxTokens: number;
  /** What Quarry requests (`auto` lets its scheduler size it). */
  readonly quarryMaxTokens: number | "auto";
  readonly items: readonly WorkItem[];
  /** Aborts at the contestant's deadline. */
  readonly signal: AbortSignal;
  /** Reports one record's outcome (called once per record). */
  report(result: RecordResult): void;
}

/** One way of running the workload. */
export interface Contestant {
  readonly name: string;
  /** How it is configured, and why (printed with the results). */
  readonly configuration: string;
  run(run: ContestantRun): Promise<void>;
}

/** A short label for a failure: the error's name, its code, and the cause's name. */
export function errorLabel(error: unknown): string {
  if (!(error instanceof Error)) return String(error).slice(0, 60);
  const code = (error as { code?: unknown }).code;
  let label = error.name;
  if (typeof code === "string" && code !== error.name) label += ` ${code}`;
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Error && cause.name !== error.name) label += ` ← ${errorLabel(cause)}`;
  return label;
}

/** Calls `task` for each item with at most `limit` in flight; takes no new item once aborted. */
export async function forEachPooled<T>(
  items: readonly T[],
  limit: number,
  signal: AbortSignal,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal.aborted) {
      const item = items[next++]!;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
