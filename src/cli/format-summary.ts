import type { JobEstimate } from "../jobs/estimate-job.js";
import type { RunSummary } from "../jobs/job-run.js";
import { formatDuration } from "../jobs/report-html.js";

const number = (value: number) => Math.round(value).toLocaleString("en-US");
const dollars = (value: number | undefined) =>
  value === undefined
    ? "unknown (no price for this model/region)"
    : `$${value < 0.01 ? value.toFixed(4) : value.toFixed(2)}`;

/** The estimate, as printed before a run and by `quarry estimate`. */
export function formatEstimate(estimate: JobEstimate): string {
  const lines = [
    `Model ${estimate.model} in ${estimate.region}`,
    `Records: ${number(estimate.records)} (${number(estimate.pending)} to run, ${number(estimate.completed)} done, ${number(estimate.failed)} failed before)`,
    `Estimate: ${number(estimate.requests)} requests · ~${number(estimate.inputTokens)} input tokens (${
      estimate.calibration.method === "CountTokens"
        ? `local estimate calibrated on ${estimate.calibration.sampled} prompts with CountTokens, ×${estimate.calibration.ratio.toFixed(2)}`
        : "local estimate"
    }) · ~${number(estimate.outputTokens)} output tokens (${number(estimate.outputTokensPerRecord)} per record assumed)`,
    `Cost: ~${dollars(estimate.costUsd)} expected, at most ${dollars(estimate.worstCaseCostUsd)} if every reply used its max tokens${
      estimate.priceVerification && estimate.priceVerification !== "official"
        ? ` (prices ${estimate.priceVerification})`
        : ""
    }`,
  ];
  if (estimate.calibration.note) lines.push(`Note: ${estimate.calibration.note}`);
  return lines.join("\n");
}

/** The summary printed after a run. */
export function formatSummary(summary: RunSummary): string {
  const lines: string[] = [];
  const head =
    summary.stopped === "budget"
      ? "Stopped at the budget"
      : summary.stopped === "interrupted"
        ? "Interrupted"
        : summary.stopped === "setup"
          ? "Stopped"
          : "Done";
  lines.push(
    `${head} in ${formatDuration(summary.wallMs)}: ${number(summary.completed)} completed, ${number(summary.failed)} failed` +
      (summary.resumed > 0 ? `, ${number(summary.resumed)} already done` : "") +
      (summary.failedBefore > 0
        ? `, ${number(summary.failedBefore)} failed before (--retry-failed to rerun)`
        : "") +
      (summary.pending > 0 ? `, ${number(summary.pending)} still pending` : ""),
  );
  lines.push(
    `${number(summary.requests)} requests · ${number(summary.throttles)} throttled · ${number(summary.retries)} retried · ${number(summary.inputTokens)} input / ${number(summary.outputTokens)} output tokens · ${dollars(summary.costUsd)}`,
  );
  if (summary.cacheReadInputTokens > 0 || summary.cacheWriteInputTokens > 0) {
    const saved = summary.cacheSavingsUsd;
    lines.push(
      `Prompt cache: ${number(summary.cacheReadInputTokens)} input tokens read, ${number(summary.cacheWriteInputTokens)} written · ${
        saved < 0 ? `cost ${dollars(-saved)} more (the write premium)` : `saved ${dollars(saved)}`
      }`,
    );
  }
  const reasons = Object.entries(summary.failuresByReason).sort((a, b) => b[1] - a[1]);
  if (reasons.length > 0) {
    lines.push("Failures by reason:");
    for (const [reason, count] of reasons.slice(0, 10))
      lines.push(`  ${number(count)} × ${reason}`);
  }
  if (summary.stopMessage) lines.push(summary.stopMessage);
  if (summary.output) lines.push(`Output: ${summary.output}`);
  if (summary.report) lines.push(`Report: ${summary.report}`);
  return lines.join("\n");
}
