import { escapeXml, histogram, lineChart, percentile } from "./report-charts.js";
import type { RunReportData } from "./report-data.js";

/** Renders a run's report as one self-contained HTML page (no scripts, no network). */
export function renderReportHtml(data: RunReportData): string {
  const { job, totals, timeline } = data;
  const seconds = timeline.map((s) => s.second);
  const fill = (pick: (s: RunReportData["timeline"][number]) => number) => {
    const bySecond = new Map(timeline.map((s) => [s.second, pick(s)]));
    const last = seconds.length ? Math.max(...seconds) : 0;
    const points: [number, number][] = [];
    for (let second = 0; second <= last; second++) points.push([second, bySecond.get(second) ?? 0]);
    return points;
  };
  const throughput = lineChart(
    "Throughput and throttles over time",
    [
      { name: "completed / s", color: "#16a34a", points: fill((s) => s.completed) },
      { name: "requests / s", color: "#2563eb", points: fill((s) => s.requests) },
      { name: "throttled / s", color: "#dc2626", points: fill((s) => s.throttled), bars: true },
      { name: "failed / s", color: "#7c3aed", points: fill((s) => s.failed), bars: true },
    ],
    "seconds since start",
    "per second",
  );
  const tokens = lineChart(
    "Tokens over time",
    [
      { name: "input tokens / s", color: "#0891b2", points: fill((s) => s.inputTokens) },
      { name: "output tokens / s", color: "#ea580c", points: fill((s) => s.outputTokens) },
    ],
    "seconds since start",
    "tokens per second",
  );
  const sorted = [...data.latenciesMs].sort((a, b) => a - b);
  const latency = histogram("Latency per record", sorted, "ms");
  const wallSeconds = job.wallMs / 1000;
  const rate = wallSeconds > 0 ? (totals.completed + totals.failed) / wallSeconds : 0;
  const cards: [string, string][] = [
    ["Records", `${totals.records.toLocaleString("en-US")}`],
    ["Completed", `${totals.completed.toLocaleString("en-US")}`],
    ["Failed", `${totals.failed.toLocaleString("en-US")}`],
    ["Resumed from journal", `${totals.resumed.toLocaleString("en-US")}`],
    ["Requests", `${totals.requests.toLocaleString("en-US")}`],
    [
      "Throttled",
      `${totals.throttles.toLocaleString("en-US")} (${pct(totals.throttles, totals.requests)})`,
    ],
    ["Retries", `${totals.retries.toLocaleString("en-US")}`],
    ["Wall time", formatDuration(job.wallMs)],
    ["Records / s", rate.toFixed(1)],
    ["Input tokens", totals.inputTokens.toLocaleString("en-US")],
    ["Output tokens", totals.outputTokens.toLocaleString("en-US")],
    ["Cost", `$${totals.costUsd.toFixed(4)}`],
    ...(totals.cacheReadInputTokens > 0 || totals.cacheWriteInputTokens > 0
      ? ([
          [
            "Cache read / write tokens",
            `${totals.cacheReadInputTokens.toLocaleString("en-US")} / ${totals.cacheWriteInputTokens.toLocaleString("en-US")}`,
          ],
          ["Saved by prompt caching", `$${totals.cacheSavingsUsd.toFixed(4)}`],
        ] as [string, string][])
      : []),
    [
      "Latency p50 / p99",
      `${Math.round(percentile(sorted, 0.5))} / ${Math.round(percentile(sorted, 0.99))} ms`,
    ],
  ];
  const reasons = Object.entries(data.failuresByReason).sort((a, b) => b[1] - a[1]);
  const failureRows = data.failures
    .map(
      (f) =>
        `<tr><td>${escapeXml(f.id)}</td><td>${f.row}</td><td>${escapeXml(f.reason)}</td><td><code>${escapeXml(truncate(f.raw ?? "", 300))}</code></td></tr>`,
    )
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Quarry run report — ${escapeXml(job.name)}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:820px;color:#111827;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.meta{color:#4b5563;font-size:13px}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:8px;margin-top:16px}
.card{border:1px solid #e5e7eb;border-radius:6px;padding:8px 10px}.card b{display:block;font-size:16px}.card span{font-size:11px;color:#6b7280}
table{border-collapse:collapse;width:100%;font-size:12px}td,th{border-bottom:1px solid #e5e7eb;padding:4px 6px;text-align:left;vertical-align:top}
code{white-space:pre-wrap;word-break:break-word;font-size:11px}
.ok{color:#16a34a}.bad{color:#dc2626}
</style></head><body>
<h1>Quarry run report — ${escapeXml(job.name)}</h1>
<div class="meta">${escapeXml(job.model)} · ${escapeXml(job.region)} · ${escapeXml(job.endpoint)} · started ${escapeXml(job.startedAt)}</div>
<div class="meta ${totals.failed === 0 ? "ok" : "bad"}">${totals.failed === 0 ? "Every record succeeded." : `${totals.failed} record(s) failed.`}</div>
<div class="cards">${cards.map(([label, value]) => `<div class="card"><b>${escapeXml(value)}</b><span>${escapeXml(label)}</span></div>`).join("")}</div>
<h2>Throughput and throttles</h2>${throughput}
<h2>Latency distribution</h2>${latency}
<h2>Tokens</h2>${tokens}
<h2>Failures</h2>
${
  reasons.length === 0
    ? "<p>None.</p>"
    : `<table><tr><th>Reason</th><th>Records</th></tr>${reasons.map(([reason, count]) => `<tr><td>${escapeXml(reason)}</td><td>${count}</td></tr>`).join("")}</table>
<h2>Failed records${data.failures.length < totals.failed ? ` (first ${data.failures.length})` : ""}</h2>
<table><tr><th>Id</th><th>Row</th><th>Reason</th><th>Raw reply</th></tr>${failureRows}</table>`
}
</body></html>
`;
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${((part / whole) * 100).toFixed(1)}%` : "0%";
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}

/** "1h 02m 03s", "2m 05s", "4.2s". */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h > 0
    ? `${h}h ${String(m).padStart(2, "0")}m ${String(s).padStart(2, "0")}s`
    : `${m}m ${String(s).padStart(2, "0")}s`;
}
