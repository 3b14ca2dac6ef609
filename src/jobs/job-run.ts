import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { Clock } from "../clock/clock.js";
import { systemClock } from "../clock/system-clock.js";
import { QuarryError } from "../errors/quarry-error.js";
import { type ResolvedModel, resolveModel } from "../models/resolve-model.js";
import { type DatasetRecord, readDataset, recordsFromRows } from "./dataset-reader.js";
import {
  cacheSavings,
  estimateJob,
  fullMaxTokens,
  type JobEstimate,
  localInputTokens,
  placePricer,
  placesOf,
  TokenTally,
} from "./estimate-job.js";
import { type ExecutionResult, executeJob, type StopReason } from "./execute-job.js";
import { type JobClient, openJobClient } from "./job-client.js";
import type { JobSpec } from "./job-spec.js";
import {
  FileJournal,
  type JournalStore,
  type JournalTarget,
  type JournalUsage,
  journalPaths,
  MemoryJournal,
} from "./journal.js";
import { loadJobAssets } from "./load-job-assets.js";
import { JsonlOutputWriter, writeAtomically, writeOutputFromJournal } from "./output-writer.js";
import { planPromptCache } from "./plan-prompt-cache.js";
import { preflight } from "./preflight.js";
import type { PrepareRecordContext } from "./prepare-record.js";
import { ProgressTracker } from "./progress-tracker.js";
import type { RunReportData } from "./report-data.js";
import { renderReportHtml } from "./report-html.js";
import { ReportRecorder } from "./report-recorder.js";
import { RunEmitter } from "./run-events.js";
import type { OutputSchema } from "./structured-output.js";

/** How `runJobSpec` is asked to run. */
export interface JobRunOptions {
  readonly spec: JobSpec;
  /**
   * Rows given in code instead of the spec's input file: an array, or a function returning a
   * fresh (async) iterable each time — the preflight reads every row before the run reads them
   * again, so a one-shot stream must come wrapped in a function.
   */
  readonly rows?: RowSource;
  /** A schema given in code (zod or JSON Schema) instead of the spec's schema file. */
  readonly schema?: OutputSchema;
  /**
   * Where the journal lives: `file` (beside the output, resumable) or `memory` (this run only).
   * @default "file"
   */
  readonly journal?: "file" | "memory";
  /** Start over: the old journal is archived. */
  readonly fresh?: boolean;
  /** Run again only the records that failed. */
  readonly retryFailed?: boolean;
  /** Stop after the preflight and the estimate. */
  readonly dryRun?: boolean;
  /**
   * Where to write the HTML report; false for none.
   * @default `<output>.report.html`
   */
  readonly report?: string | false;
  /** Aborting stops starting records; those in flight are finished and journaled. */
  readonly stop?: AbortSignal;
  /** Aborting abandons everything at once (records in flight run again on resume). */
  readonly abort?: AbortSignal;
  readonly clock?: Clock;
  /** Listeners for progress (the CLI's bar); created when not given. */
  readonly emitter?: RunEmitter;
  /** A client to use instead of one made from the spec (tests, or a shared client). */
  readonly client?: JobClient;
  /** Called once the estimate is known, before any paid request. */
  readonly onEstimate?: (estimate: JobEstimate) => void;
  /** Called once the run starts, with the live counters a progress display reads. */
  readonly onStart?: (tracker: ProgressTracker) => void;
}

/** Rows from code: re-iterable, or a factory of iterables. */
export type RowSource =
  | readonly unknown[]
  | Iterable<unknown>
  | AsyncIterable<unknown>
  | (() => Iterable<unknown> | AsyncIterable<unknown>);

/** What a run (or a dry run) did. */
export interface RunSummary {
  readonly job: string;
  readonly model: string;
  readonly region: string;
  readonly endpoint: string;
  readonly estimate: JobEstimate;
  /** Rows in the input. */
  readonly records: number;
  /** Completed in earlier runs. */
  readonly resumed: number;
  readonly completed: number;
  readonly failed: number;
  /** Failed in earlier runs and not retried. */
  readonly failedBefore: number;
  /** Left for a later run (budget, interrupt, setup problem). */
  readonly pending: number;
  readonly requests: number;
  readonly throttles: number;
  readonly retries: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Input tokens read from and written to the prompt cache (see `promptCaching`). */
  readonly cacheReadInputTokens: number;
  readonly cacheWriteInputTokens: number;
  /** Dollars prompt caching saved: cached tokens at the input price, less what they cost. */
  readonly cacheSavingsUsd: number;
  readonly costUsd: number;
  readonly wallMs: number;
  readonly failuresByReason: Readonly<Record<string, number>>;
  readonly stopped: StopReason | undefined;
  readonly stopMessage: string | undefined;
  readonly dryRun: boolean;
  readonly output: string | undefined;
  readonly report: string | undefined;
  readonly journal: string | undefined;
}

/**
 * A whole run of a job: read the job's files, open (and lock) the journal, preflight every row,
 * estimate tokens and dollars, then send the pending records, journal each outcome, write the
 * outputs and the report. Bad input fails before any request; a changed job is refused unless
 * `fresh`; nothing finished is sent again.
 */
export async function runJobSpec(options: JobRunOptions): Promise<RunSummary> {
  const { spec } = options;
  const clock = options.clock ?? systemClock;
  const stop = options.stop ?? new AbortController().signal;
  const abort = options.abort ?? new AbortController().signal;
  const startedAt = new Date();
  const startedClock = clock.now();
  const assets = await loadJobAssets(spec, {
    ...(options.schema ? { schema: options.schema } : {}),
    signal: abort,
  });
  const model = resolveModelFor(spec);

  const useFile = (options.journal ?? "file") === "file" && !options.dryRun;
  const paths = journalPaths(spec.output);
  let journal: JournalStore;
  if (useFile) {
    await mkdir(paths.folder, { recursive: true });
    journal = await FileJournal.open({
      path: paths.journal,
      lockPath: paths.lock,
      archiveFolder: paths.archive,
      fingerprint: assets.fingerprint,
      ...(options.fresh ? { fresh: true } : {}),
      ...(options.retryFailed ? { retryFailed: true } : {}),
      clock,
    });
  } else if (
    options.dryRun &&
    (await exists(paths.journal)) &&
    options.journal !== "memory" &&
    !options.fresh
  ) {
    // A dry run reads the journal to say what is left, without locking it or changing it.
    journal = await FileJournal.open({
      path: paths.journal,
      fingerprint: assets.fingerprint,
      ...(options.retryFailed ? { retryFailed: true } : {}),
      clock,
    });
  } else {
    journal = new MemoryJournal(
      assets.fingerprint,
      options.retryFailed ? { retryFailed: true } : {},
    );
  }

  let client: JobClient | undefined;
  let jsonl: JsonlOutputWriter | undefined;
  try {
    const rowSource = options.rows;
    const records = (): AsyncIterable<DatasetRecord> =>
      rowSource !== undefined
        ? recordsFromRows(typeof rowSource === "function" ? rowSource() : rowSource, {
            ...(spec.id ? { idColumn: spec.id } : {}),
            ...(spec.rows ? { limit: spec.rows } : {}),
            file: "rows",
            signal: abort,
          })
        : readDataset({
            file: spec.input,
            format: spec.inputFormat,
            ...(spec.id ? { idColumn: spec.id } : {}),
            ...(spec.rows ? { limit: spec.rows } : {}),
            signal: abort,
          });
    if (
      rowSource !== undefined &&
      typeof rowSource !== "function" &&
      !isReiterable(rowSource as Iterable<unknown>)
    ) {
      throw new QuarryError(
        "input.rows",
        "rows is a one-shot iterable (a generator or stream), but the preflight reads every row before the run reads them again.",
        {
          hint: "Pass an array, or a function that returns a fresh iterable: rows: () => readMyRows().",
        },
      );
    }
    const prepareContext: PrepareRecordContext = {
      file: options.rows !== undefined ? "rows" : spec.input,
      template: assets.template,
      ...(assets.system ? { system: assets.system } : {}),
      carry: spec.carry,
      journal,
    };
    const tally = new TokenTally();
    const checked = await preflight({
      dataset: {
        records: records(),
        file: prepareContext.file,
        ...(spec.rows ? { limit: spec.rows } : {}),
      },
      template: assets.template,
      ...(assets.system ? { system: assets.system } : {}),
      carry: spec.carry,
      journal,
      onRecord: (record) => tally.add(record),
      signal: abort,
    });

    client = options.client ?? (await openJobClient(spec, { clock, signal: abort }));
    const region = await client.region();
    const places = placesOf(spec, model, region);
    // With targets: every Region the records may run in.
    const regions = [...new Set(places.map((place) => place.region))].join(", ");
    const estimate = await estimateJob({
      spec,
      model,
      region,
      places,
      quarry: checked.pending > 0 ? client.quarry : undefined,
      tally,
      output: assets.output,
      counts: { records: checked.rows, completed: checked.completed, failed: checked.failed },
      signal: abort,
    });
    options.onEstimate?.(estimate);

    const base = {
      job: spec.name,
      model: spec.model,
      region: regions,
      endpoint: client.endpointLabel,
      estimate,
      records: checked.rows,
      resumed: checked.completed,
      failedBefore: checked.failed,
      dryRun: Boolean(options.dryRun),
      output: options.dryRun ? undefined : spec.output,
      journal: useFile ? paths.journal : undefined,
    };
    if (options.dryRun || checked.pending === 0) {
      if (!options.dryRun && useFile) await writeOutputs(spec, journal, undefined);
      return {
        ...base,
        completed: 0,
        failed: 0,
        pending: options.dryRun ? checked.pending : 0,
        requests: 0,
        throttles: 0,
        retries: 0,
        inputTokens: 0,
        outputTokens: 0,
        cacheReadInputTokens: 0,
        cacheWriteInputTokens: 0,
        cacheSavingsUsd: 0,
        costUsd: 0,
        wallMs: clock.now() - startedClock,
        failuresByReason: {},
        stopped: undefined,
        stopMessage: undefined,
        report: undefined,
      };
    }

    if (spec.outputFormat === "jsonl" && useFile) {
      await mkdir(dirname(spec.output), { recursive: true });
      jsonl = await JsonlOutputWriter.open({
        path: spec.output,
        journal,
        ...(options.retryFailed ? { omitFailed: true } : {}),
      });
    }

    const emitter = options.emitter ?? new RunEmitter();
    const tracker = new ProgressTracker(clock);
    tracker.total = checked.rows;
    tracker.resumed = checked.completed + checked.failed;
    const recorder = new ReportRecorder();
    recorder.totals.records = checked.rows;
    recorder.totals.resumed = checked.completed;
    const since = () => clock.now() - startedClock;
    wireListeners(emitter, tracker, recorder, since, client, cacheSavings(places));
    options.onStart?.(tracker);

    const pricing = placePricer(places);
    const promptCache = planPromptCache({
      spec,
      model,
      template: assets.template,
      ...(assets.system ? { system: assets.system } : {}),
    });
    // Each call is priced where it ran (call-record hands over its target).
    const costOf = (usage: JournalUsage, target?: JournalTarget) =>
      pricing.price(usage, target) ?? 0;
    const maxTokens = fullMaxTokens(spec, model);
    const result: ExecutionResult = await executeJob({
      spec,
      quarry: client.quarry,
      output: assets.output,
      nativeStructuredOutput: spec.api === "converse" && spec.structuredOutput === "native",
      ...(promptCache ? { promptCache } : {}),
      journal,
      records,
      prepareContext,
      emitter,
      clock,
      stop,
      abort,
      costOf,
      worstCaseCostOf: (record) =>
        (pricing.dearest({
          inputTokens: Math.ceil(localInputTokens(record) * estimate.calibration.ratio),
          outputTokens: maxTokens,
        }) ?? 0) *
        (1 + spec.repairAttempts),
      spentBefore: await spentBefore(journal, checked.completed + checked.failed),
    });

    await journal.flush();
    await jsonl?.close();
    jsonl = undefined;
    if (useFile)
      await writeOutputs(
        spec,
        journal,
        spec.outputFormat === "jsonl" ? "jsonl-written" : undefined,
      );

    const wallMs = clock.now() - startedClock;
    const reportData: RunReportData = recorder.data({
      name: spec.name,
      model: spec.model,
      region: regions,
      endpoint: client.endpointLabel,
      startedAt: startedAt.toISOString(),
      wallMs,
    });
    let report: string | undefined;
    if (options.report !== false && useFile) {
      report = options.report ?? `${spec.output.replace(/\.(jsonl|csv|json)$/i, "")}.report.html`;
      const html = renderReportHtml(reportData);
      await writeAtomically(report, async (stream) => {
        stream.end(html);
      });
    }
    const pending = Math.max(0, checked.pending - result.completed - result.failed);
    return {
      ...base,
      completed: result.completed,
      failed: result.failed,
      pending,
      requests: reportData.totals.requests,
      throttles: reportData.totals.throttles,
      retries: reportData.totals.retries,
      inputTokens: reportData.totals.inputTokens,
      outputTokens: reportData.totals.outputTokens,
      cacheReadInputTokens: reportData.totals.cacheReadInputTokens,
      cacheWriteInputTokens: reportData.totals.cacheWriteInputTokens,
      cacheSavingsUsd: reportData.totals.cacheSavingsUsd,
      costUsd: reportData.totals.costUsd,
      wallMs,
      failuresByReason: reportData.failuresByReason,
      stopped: result.stopped,
      stopMessage:
        result.stopError?.message ??
        (result.stopped === "interrupted"
          ? "Interrupted; run the same command again to continue."
          : undefined),
      report,
    };
  } finally {
    await jsonl?.close().catch(() => {});
    await journal.close();
    if (client && !options.client) await client.close();
  }
}

/** Routes the run's and the scheduler's events to the progress counters and the report. */
function wireListeners(
  emitter: RunEmitter,
  tracker: ProgressTracker,
  recorder: ReportRecorder,
  since: () => number,
  client: JobClient,
  savingsOf: (usage: JournalUsage, target?: JournalTarget) => number,
): void {
  const backingOff = new Set<string>();
  const settle = (id: string | undefined) => {
    if (id !== undefined && backingOff.delete(id)) tracker.retrying = backingOff.size;
  };
  emitter.on("record-start", () => {
    tracker.inFlight++;
  });
  emitter.on("record-completed", (event) => {
    tracker.inFlight--;
    tracker.completed++;
    settle(event.id);
    tracker.inputTokens += event.usage.inputTokens ?? 0;
    tracker.outputTokens += event.usage.outputTokens ?? 0;
    tracker.costUsd += event.costUsd;
    recorder.completed(since(), {
      latencyMs: event.latencyMs,
      inputTokens: event.usage.inputTokens ?? 0,
      outputTokens: event.usage.outputTokens ?? 0,
      cacheReadInputTokens: event.usage.cacheReadInputTokens ?? 0,
      cacheWriteInputTokens: event.usage.cacheWriteInputTokens ?? 0,
      costUsd: event.costUsd,
      cacheSavingsUsd: savingsOf(event.usage, event.target),
    });
  });
  emitter.on("record-failed", (event) => {
    tracker.inFlight--;
    tracker.failed++;
    settle(event.id);
    tracker.inputTokens += event.usage.inputTokens ?? 0;
    tracker.outputTokens += event.usage.outputTokens ?? 0;
    tracker.costUsd += event.costUsd;
    recorder.failed(
      since(),
      {
        id: event.id,
        row: event.rowNumber,
        reason: event.reason,
        ...(event.raw !== undefined ? { raw: event.raw } : {}),
      },
      {
        inputTokens: event.usage.inputTokens ?? 0,
        outputTokens: event.usage.outputTokens ?? 0,
        costUsd: event.costUsd,
      },
    );
  });
  const scheduler = client.quarry.scheduler;
  scheduler.on("sent", (event) => {
    tracker.requests++;
    settle(event.recordId);
    recorder.request(since());
    emitter.emit("request", { id: event.recordId, attempt: event.attempt });
  });
  scheduler.on("throttled", (event) => {
    tracker.throttles++;
    recorder.throttled(since());
    emitter.emit("throttled", { id: event.recordId, name: event.name });
  });
  scheduler.on("retrying", (event) => {
    recorder.retried(since());
    if (event.recordId !== undefined) {
      backingOff.add(event.recordId);
      tracker.retrying = backingOff.size;
    }
    emitter.emit("retrying", { id: event.recordId, name: event.name, waitMs: event.waitMs });
  });
}

/** CSV and JSON outputs are written from the journal at the end (JSONL follows it live). */
async function writeOutputs(
  spec: JobSpec,
  journal: JournalStore,
  jsonl: "jsonl-written" | undefined,
): Promise<void> {
  if (jsonl) return;
  await mkdir(dirname(spec.output), { recursive: true });
  await writeOutputFromJournal({ path: spec.output, journal, format: spec.outputFormat });
}

/** Dollars the journal's finished records cost (for a budget across resumed runs). */
async function spentBefore(journal: JournalStore, finished: number): Promise<number> {
  if (finished === 0) return 0;
  let total = 0;
  for await (const entry of journal.entries({ order: "journal" })) total += entry.costUsd ?? 0;
  return total;
}

/** The job's model, resolved once: an unknown id fails here, before any request. */
function resolveModelFor(spec: JobSpec): ResolvedModel {
  const model = resolveModel(spec.model);
  if (model.kind !== "text") {
    throw new QuarryError(
      "input.model",
      `${spec.model} is ${model.kind === "embedding" ? "an embedding" : "an image"} model; a job's prompts need a text model.`,
      {
        model: spec.model,
        hint: "Set model to a text model, e.g. anthropic.claude-3-haiku-20240307-v1:0.",
      },
    );
  }
  if (spec.api === "converse" && !model.capabilities.converse) {
    throw new QuarryError("input.model", `${spec.model} does not support the Converse API.`, {
      model: spec.model,
      hint: "Set api: invoke in the job.",
    });
  }
  return model;
}

function isReiterable(rows: AsyncIterable<unknown> | Iterable<unknown>): boolean {
  if (Array.isArray(rows)) return true;
  const iterator =
    (rows as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] ??
    (rows as { [Symbol.iterator]?: unknown })[Symbol.iterator];
  // Generators return themselves from [Symbol.asyncIterator]: one pass only.
  return typeof iterator === "function" && (iterator as () => unknown).call(rows) !== rows;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
