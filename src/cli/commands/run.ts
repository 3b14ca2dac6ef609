import { QuarryError } from "../../errors/quarry-error.js";
import type { CommandRunner } from "../command-table.js";
import { formatEstimate, formatSummary } from "../format-summary.js";
import { jobOverrides } from "../job-overrides.js";

/** Exit statuses of a run: 0 every record succeeded; distinct ones for failures and stops. */
export const RUN_EXIT = { ok: 0, someFailed: 1, stoppedEarly: 3, interrupted: 130 } as const;

/** `quarry run JOB`: preflight, estimate, run with progress, summary and report. */
export const run: CommandRunner = async (args, options, io) => {
  const [{ loadJobSpec }, { runJobSpec }, { startProgressDisplay }] = await Promise.all([
    import("../../jobs/job-spec.js"),
    import("../../jobs/job-run.js"),
    import("../../jobs/progress-display.js"),
  ]);
  const json = Boolean(options.json);
  const spec = await loadJobSpec(String(args[0]), { overrides: jobOverrides(options) });
  const progressMode = json ? "none" : parseProgress(options.progress);
  let display: { stop(): void } | undefined;
  const summary = await runJobSpec({
    spec,
    ...(options.dryRun ? { dryRun: true } : {}),
    ...(options.fresh ? { fresh: true } : {}),
    ...(options.retryFailed ? { retryFailed: true } : {}),
    ...(options.report === false
      ? { report: false }
      : typeof options.report === "string"
        ? { report: options.report }
        : {}),
    stop: io.signal,
    onEstimate: (estimate) => {
      if (!json) io.stderr.write(`Job ${spec.name}\n${formatEstimate(estimate)}\n`);
    },
    onStart: (tracker) => {
      display = startProgressDisplay(tracker, {
        stream: io.stderr,
        ...(progressMode ? { mode: progressMode } : {}),
      });
    },
  }).finally(() => display?.stop());
  if (json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else io.stderr.write(`${formatSummary(summary)}\n`);
  if (summary.dryRun) return RUN_EXIT.ok;
  if (summary.stopped === "interrupted") return RUN_EXIT.interrupted;
  if (summary.stopped !== undefined || summary.pending > 0) return RUN_EXIT.stoppedEarly;
  return summary.failed > 0 || summary.failedBefore > 0 ? RUN_EXIT.someFailed : RUN_EXIT.ok;
};

function parseProgress(value: unknown): "bar" | "log" | "none" | undefined {
  if (value === undefined) return undefined;
  if (value === "bar" || value === "log" || value === "none") return value;
  throw new QuarryError(
    "cli.usage",
    `--progress expects "bar", "log" or "none", got ${JSON.stringify(value)}`,
  );
}
