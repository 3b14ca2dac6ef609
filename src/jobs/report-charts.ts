// Small static SVG charts for the run report. The report must be one self-contained file that
// renders without scripts or network; chart libraries either need a DOM and JavaScript in the
// page or weigh hundreds of kilobytes, while three plain charts take a page of code.

const WIDTH = 760;
const HEIGHT = 240;
const MARGIN = { top: 16, right: 16, bottom: 36, left: 56 };

/** One plotted series. */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
  /** Drawn as bars instead of a line. */
  readonly bars?: boolean;
  /** Bar width in x units (default one second). */
  readonly barWidth?: number;
}

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** Round tick values for an axis from 0 to max. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? rough;
  const ticks: number[] = [];
  for (let value = 0; value <= max + step * 0.001; value += step)
    ticks.push(Number(value.toPrecision(12)));
  if (ticks[ticks.length - 1]! < max)
    ticks.push(Number((ticks[ticks.length - 1]! + step).toPrecision(12)));
  return ticks;
}

function formatNumber(value: number): string {
  if (Math.abs(value) >= 1_000_000) return `${(value / 1_000_000).toFixed(1)}M`;
  if (Math.abs(value) >= 10_000) return `${Math.round(value / 1000)}k`;
  if (Math.abs(value) >= 1000) return `${(value / 1000).toFixed(1)}k`;
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/** A time-series chart: x in seconds, one or more series sharing the y axis. */
export function lineChart(
  title: string,
  series: readonly Series[],
  xLabel: string,
  yLabel: string,
): string {
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map(([x]) => x));
  const yTicks = niceTicks(Math.max(0, ...all.map(([, y]) => y)));
  const yMax = yTicks[yTicks.length - 1]!;
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const sx = (x: number) => MARGIN.left + (x / xMax) * plotW;
  const sy = (y: number) => MARGIN.top + plotH - (yMax > 0 ? (y / yMax) * plotH : 0);
  const parts: string[] = [];
  for (const tick of yTicks) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${sy(tick)}" y2="${sy(tick)}" stroke="#e5e7eb"/>`,
      `<text x="${MARGIN.left - 6}" y="${sy(tick) + 4}" text-anchor="end" font-size="11" fill="#4b5563">${formatNumber(tick)}</text>`,
    );
  }
  for (const tick of niceTicks(xMax, 8)) {
    if (tick > xMax) continue;
    parts.push(
      `<text x="${sx(tick)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" font-size="11" fill="#4b5563">${formatNumber(tick)}</text>`,
    );
  }
  for (const s of series) {
    if (s.points.length === 0) continue;
    if (s.bars) {
      const barWidth = Math.max(1, ((s.barWidth ?? 1) / (xMax + (s.barWidth ?? 1))) * plotW - 1);
      for (const [x, y] of s.points) {
        if (y <= 0) continue;
        parts.push(
          `<rect x="${sx(x) - barWidth / 2}" y="${sy(y)}" width="${barWidth}" height="${sy(0) - sy(y)}" fill="${s.color}" opacity="0.7"/>`,
        );
      }
    } else {
      const path = s.points
        .map(([x, y], i) => `${i === 0 ? "M" : "L"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
        .join("");
      parts.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    }
  }
  const legend = series
    .map(
      (s, i) =>
        `<rect x="${MARGIN.left + i * 150}" y="${HEIGHT - 12}" width="10" height="10" fill="${s.color}"/><text x="${MARGIN.left + i * 150 + 14}" y="${HEIGHT - 3}" font-size="11" fill="#111827">${escapeXml(s.name)}</text>`,
    )
    .join("");
  return svg(
    title,
    `${parts.join("")}<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${sy(0)}" stroke="#9ca3af"/><line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${sy(0)}" y2="${sy(0)}" stroke="#9ca3af"/><text x="14" y="${MARGIN.top + plotH / 2}" font-size="11" fill="#4b5563" transform="rotate(-90 14 ${MARGIN.top + plotH / 2})" text-anchor="middle">${escapeXml(yLabel)}</text><text x="${WIDTH - MARGIN.right}" y="${HEIGHT - MARGIN.bottom + 30}" font-size="11" fill="#4b5563" text-anchor="end">${escapeXml(xLabel)}</text>${legend}`,
  );
}

/** A histogram of values with percentile markers. */
export function histogram(
  title: string,
  values: readonly number[],
  unit: string,
  bins = 30,
): string {
  if (values.length === 0)
    return svg(
      title,
      `<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" fill="#6b7280">no data</text>`,
    );
  const sorted = [...values].sort((a, b) => a - b);
  const max = sorted[sorted.length - 1]!;
  const width = max > 0 ? max / bins : 1;
  const counts = new Array<number>(bins).fill(0);
  for (const value of sorted) counts[Math.min(bins - 1, Math.floor(value / width))]!++;
  const series: Series = {
    name: `records per ${formatNumber(width)} ${unit}`,
    color: "#2563eb",
    bars: true,
    barWidth: width,
    points: counts.map((count, i) => [i * width + width / 2, count] as const),
  };
  const chart = lineChart(title, [series], "", "records");
  const marks = [0.5, 0.9, 0.99]
    .map((q) => `p${Math.round(q * 100)} ${formatNumber(percentile(sorted, q))} ${unit}`)
    .join(" · ")
    .concat(` (x axis: ${unit})`);
  return chart.replace(
    "</svg>",
    `<text x="${WIDTH - MARGIN.right}" y="${HEIGHT - 3}" text-anchor="end" font-size="12" fill="#111827">${escapeXml(marks)}</text></svg>`,
  );
}

/** The q-quantile of sorted values (nearest rank). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function svg(title: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeXml(title)}"><title>${escapeXml(title)}</title>${body}</svg>`;
}
