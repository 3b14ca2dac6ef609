import type { CommandRunner } from "../command-table.js";

/** `quarry status JOB`: how far a job is, read from its journal without disturbing a run. */
export const run: CommandRunner = async (args, options, io) => {
  const [{ loadJobSpec }, { jobStatus }] = await Promise.all([
    import("../../jobs/job-spec.js"),
    import("../../jobs/job-status.js"),
  ]);
  const spec = await loadJobSpec(String(args[0]), {
    overrides: options.out ? { output: String(options.out) } : {},
  });
  const status = await jobStatus(spec);
  if (options.json) {
    io.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `Job ${spec.name}: ${status.completed}/${status.records} completed, ${status.failed} failed, ${status.pending} pending`,
    status.running
      ? `Running now (pid ${status.running.pid} on ${status.running.hostname}, since ${status.running.startedOn})`
      : status.journalExists
        ? `Not running. Last journal entry ${status.lastFinishedOn ?? "none"}.`
        : "Not started yet.",
  ];
  if (status.costUsd > 0) lines.push(`Spent so far: $${status.costUsd.toFixed(4)}`);
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
};
