import type { CommandRunner } from "../command-table.js";
import { formatEstimate } from "../format-summary.js";
import { jobOverrides } from "../job-overrides.js";

/**
 * `quarry estimate JOB`: reads and checks every row, renders every prompt, counts tokens
 * (calibrated with the free CountTokens on a sample where the model has it) and prices the job.
 */
export const run: CommandRunner = async (args, options, io) => {
  const [{ loadJobSpec }, { runJobSpec }] = await Promise.all([
    import("../../jobs/job-spec.js"),
    import("../../jobs/job-run.js"),
  ]);
  const spec = await loadJobSpec(String(args[0]), { overrides: jobOverrides(options) });
  const summary = await runJobSpec({ spec, dryRun: true, stop: io.signal });
  if (options.json) io.stdout.write(`${JSON.stringify(summary.estimate, null, 2)}\n`);
  else io.stdout.write(`Job ${spec.name}\n${formatEstimate(summary.estimate)}\n`);
  return 0;
};
