/** A plain-text table: a header row, then rows, columns padded; numbers right-aligned. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const numeric = /^[-+]?[\d.,]+(%|×| MiB| s)?$|^—$/;
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) =>
        numeric.test(cell) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join("  ")
      .trimEnd();
  const rule = widths.map((width) => "-".repeat(width)).join("  ");
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/** A number with a fixed count of decimals, or a dash when it is not finite. */
export function fixed(value: number, decimals = 0): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : "—";
}

/** A fraction as a percentage. */
export function percent(value: number, decimals = 1): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(decimals)}%` : "—";
}
