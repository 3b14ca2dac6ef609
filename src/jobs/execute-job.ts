import type { Quarry } from "../client/create-quarry.js";
import type { Clock } from "../clock/clock.js";
import { BedrockCallError } from "../errors/bedrock-call-error.js";
import { QuarryError } from "../errors/quarry-error.js";
import { RetryError } from "../errors/retry-error.js";
import { type CallRecordContext, callRecord } from "./call-record.js";
import type { DatasetRecord } from "./dataset-reader.js";
import type { JobSpec } from "./job-spec.js";
import type { JournalEntry, JournalStore, JournalUsage } from "./journal.js";
import type { PromptCachePlan } from "./plan-prompt-cache.js";
import { type PreparedRecord, type PrepareRecordContext, prepareRecord } from "./prepare-record.js";
import type { RunEmitter } from "./run-events.js";
import { SlotPool } from "./slot-pool.js";
import type { StructuredOutput } from "./structured-output.js";

/** Why a run ended before every record was tried. */
export type StopReason = "budget" | "interrupted" | "setup";

/** What `executeJob` needs. */
export interface ExecuteJobOptions {
  readonly spec: JobSpec;
  readonly quarry: Quarry;
  readonly output: StructuredOutput | undefined;
  readonly nativeStructuredOutput: boolean;
  /** Where to place prompt-cache checkpoints; none when undefined. */
  readonly promptCache?: PromptCachePlan;
  readonly journal: JournalStore;
  /** A fresh pass over the input (the preflight made the first). */
  readonly records: () => AsyncIterable<DatasetRecord>;
  readonly prepareContext: PrepareRecordContext;
  readonly emitter: RunEmitter;
  readonly clock: Clock;
  /** Aborting stops starting records; records in flight finish and are journaled. */
  readonly stop: AbortSignal;
  /** Aborting also abandons records in flight (they are not journaled and run again on resume). */
  readonly abort: AbortSignal;
  readonly costOf: (usage: JournalUsage) => number;
  /** The most a record could cost (its full max tokens): what a budget must keep in reserve. */
  readonly worstCaseCostOf: (record: PreparedRecord) => number;
  /** Dollars spent by earlier runs of this job (the journal's records). */
  readonly spentBefore: number;
  /**
   * Records in flight at once. The scheduler paces the calls; this only bounds memory.
   * @default 512
   */
  readonly window?: number;
  /**
   * How long a graceful stop waits for records in flight before abandoning them.
   * @default 60000
   */
  readonly stopGraceMs?: number;
}

/** What a run did. */
export interface ExecutionResult {
  readonly completed: number;
  readonly failed: number;
  /** Records left pending (a stop before they started, or abandoned in flight). */
  readonly notRun: number;
  readonly stopped: StopReason | undefined;
  /** The error that stopped the run, for `setup`. */
  readonly stopError: QuarryError | undefined;
  readonly spentUsd: number;
}

// Failures that are about the setup rather than the record: every other record would fail the
// same way, so the run stops at once and they are not journaled (a fixed setup reruns them).
const SETUP_EXCEPTIONS = new Set([
  "AccessDeniedException",
  "ResourceNotFoundException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "MissingAuthenticationTokenException",
  "ExpiredTokenException",
  "IncompleteSignatureException",
  "UnknownOperationException",
  "CredentialsProviderError",
]);

// The same final failure on this many records before any success stops the run as a setup
// problem (a misspelt model option fails every record alike).
const SAME_FAILURE_BEFORE_STOP = 5;

/**
 * Sends every pending record through the client, a bounded window at a time, journaling each
 * outcome as it arrives. Stops cleanly on `stop` (after journaling what is in flight), before a
 * record that could take the spending past the budget, or at the first sign that the setup (not
 * the record) is wrong.
 */
export async function executeJob(options: ExecuteJobOptions): Promise<ExecutionResult> {
  const { spec, journal, emitter } = options;
  const pool = new SlotPool(options.window ?? 512);
  const inFlight = new AbortController();
  const abandon = () => inFlight.abort(options.abort.reason ?? new Error("run aborted"));
  if (options.abort.aborted) abandon();
  options.abort.addEventListener("abort", abandon, { once: true });

  let completed = 0;
  let failed = 0;
  let notRun = 0;
  let stopped: StopReason | undefined;
  let stopError: QuarryError | undefined;
  let spent = options.spentBefore;
  let reserved = 0;
  let successes = 0;
  // Final failures held back while nothing has succeeded yet (see SAME_FAILURE_BEFORE_STOP).
  let heldFailures: JournalEntry[] = [];

  const stopWith = (reason: StopReason, error?: QuarryError) => {
    if (stopped === undefined) {
      stopped = reason;
      stopError = error;
    }
    if (reason === "setup") abandon();
  };
  const onStop = () => stopWith("interrupted");
  if (options.stop.aborted) onStop();
  options.stop.addEventListener("abort", onStop, { once: true });

  const context: CallRecordContext = {
    quarry: options.quarry,
    spec,
    output: options.output,
    nativeStructuredOutput: options.nativeStructuredOutput,
    ...(options.promptCache ? { promptCache: options.promptCache } : {}),
    costOf: options.costOf,
    now: () => options.clock.now(),
    signal: inFlight.signal,
  };

  const journalEntry = (entry: JournalEntry) => {
    journal.append(entry);
    if (entry.state === "completed") {
      completed++;
      emitter.emit("record-completed", {
        id: entry.id,
        rowNumber: entry.rowNumber,
        latencyMs: entry.durationMs ?? 0,
        attemptsMade: entry.attemptsMade,
        usage: entry.usage ?? {},
        costUsd: entry.costUsd ?? 0,
        ...(entry.target ? { target: entry.target } : {}),
        result: entry.result,
      });
    } else {
      failed++;
      emitter.emit("record-failed", {
        id: entry.id,
        rowNumber: entry.rowNumber,
        reason: entry.failedReason ?? "failed",
        errorCode: entry.errorCode ?? "failed",
        ...(entry.raw !== undefined ? { raw: entry.raw } : {}),
        attemptsMade: entry.attemptsMade,
        usage: entry.usage ?? {},
        costUsd: entry.costUsd ?? 0,
      });
    }
  };

  const runOne = async (record: PreparedRecord, worstCase: number) => {
    emitter.emit("record-start", { id: record.id, rowNumber: record.rowNumber });
    try {
      const entry = await callRecord(record, context);
      spent += entry.costUsd ?? 0;
      if (entry.state === "completed") {
        successes++;
        if (heldFailures.length > 0) {
          for (const held of heldFailures) journalEntry(held);
          heldFailures = [];
        }
        journalEntry(entry);
      } else if (successes === 0 && isFinalCode(entry.errorCode)) {
        heldFailures.push(entry);
        const sameCause = heldFailures.filter(
          (held) => held.failedReason === entry.failedReason,
        ).length;
        if (sameCause >= SAME_FAILURE_BEFORE_STOP) {
          stopWith(
            "setup",
            new QuarryError(
              "run.every-record-fails",
              `The first ${sameCause} records all failed the same way, so the run stopped: ${entry.failedReason}`,
              {
                hint: "Fix the job (model options, schema, prompt) and run it again; these records were not journaled.",
              },
            ),
          );
        }
      } else journalEntry(entry);
    } catch (error) {
      const setup = setupProblem(error);
      if (setup) stopWith("setup", setup);
      else if (!inFlight.signal.aborted) {
        // Any other error from the client is this record's failure, with its reason.
        const described = error instanceof Error ? error : new Error(String(error));
        journalEntry({
          id: record.id,
          rowNumber: record.rowNumber,
          ...(record.line !== undefined ? { line: record.line } : {}),
          rowHash: record.rowHash,
          ...(record.carry ? { carry: record.carry } : {}),
          state: "failed",
          attemptsMade: attemptsIn(error),
          finishedOn: Date.now(),
          failedReason: reasonOf(described),
          errorCode: codeOf(described),
        });
      }
      if (inFlight.signal.aborted) notRun++;
    } finally {
      reserved -= worstCase;
      pool.release();
    }
  };

  const budget = spec.budget;
  try {
    for await (const source of options.records()) {
      if (stopped !== undefined) break;
      const record = prepareRecord(source, options.prepareContext);
      if (record.state !== undefined) continue;
      const worstCase = budget === undefined ? 0 : options.worstCaseCostOf(record);
      await pool.acquire();
      if (stopped !== undefined) {
        pool.release();
        notRun++;
        break;
      }
      if (budget !== undefined && spent + reserved + worstCase > budget) {
        pool.release();
        stopWith(
          "budget",
          new QuarryError(
            "run.budget",
            `Stopped before exceeding the budget of $${budget.toFixed(2)}: $${spent.toFixed(4)} spent, $${reserved.toFixed(4)} reserved by calls in flight, and the next record could cost up to $${worstCase.toFixed(4)}.`,
            {
              hint: "Raise budget in the job (or --budget) and run the same command again to continue.",
            },
          ),
        );
        notRun++;
        break;
      }
      reserved += worstCase;
      void runOne(record, worstCase);
    }
  } finally {
    // Records never started because the loop stopped early are counted by the caller from the
    // journal; here we wait for those in flight, abandoning them if a graceful stop drags on.
    const grace = options.stopGraceMs ?? 60_000;
    const timer =
      stopped === "interrupted" || stopped === "budget"
        ? setTimeout(abandon, grace).unref()
        : undefined;
    await pool.drained();
    if (timer) clearTimeout(timer);
    options.stop.removeEventListener("abort", onStop);
    options.abort.removeEventListener("abort", abandon);
  }
  if (stopped !== "setup") for (const held of heldFailures) journalEntry(held);
  return { completed, failed, notRun, stopped, stopError, spentUsd: spent - options.spentBefore };
}

/** A failure that is about the setup (credentials, model access, region), not the record. */
function setupProblem(error: unknown): QuarryError | undefined {
  if (error instanceof BedrockCallError && SETUP_EXCEPTIONS.has(error.exceptionName)) return error;
  const retry =
    error instanceof RetryError
      ? error
      : (error as { cause?: unknown })?.cause instanceof RetryError
        ? (error as { cause: RetryError }).cause
        : undefined;
  if (retry && (retry.reason === "retry-budget-exhausted" || retry.reason === "quota-exhausted")) {
    return error instanceof QuarryError ? error : retry;
  }
  if (error instanceof QuarryError && error.code.startsWith("input.")) return error;
  const name = (error as { name?: unknown })?.name;
  if (typeof name === "string" && SETUP_EXCEPTIONS.has(name)) {
    return new QuarryError("run.setup", (error as Error).message, { cause: error });
  }
  return undefined;
}

function isFinalCode(code: string | undefined): boolean {
  return (
    code !== undefined && code !== "schema" && !code.startsWith("reply.") && code !== "guardrail"
  );
}

function reasonOf(error: Error): string {
  const name = error instanceof BedrockCallError ? error.exceptionName : error.name;
  return `${name}: ${error.message}`;
}

function codeOf(error: Error): string {
  if (error instanceof BedrockCallError) return error.exceptionName;
  if (error instanceof QuarryError) return error.code;
  return error.name;
}

function attemptsIn(error: unknown): number {
  const retry = error instanceof RetryError ? error : (error as { cause?: unknown })?.cause;
  return retry instanceof RetryError ? Math.max(1, retry.failures.length) : 1;
}
