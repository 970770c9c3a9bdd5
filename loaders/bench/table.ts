/** Plain-text tables for the terminal (pure): padded columns, first column left-aligned. */

export function formatNumber(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return value.toFixed(digits);
}

/** Columns padded to their widest cell; the first column left-aligned, the rest right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const columns = header.length;
  for (const row of rows) if (row.length !== columns) throw new Error(`table row has ${row.length} cells, header has ${columns}`);
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(header), rule, ...rows.map(line)].join("\n");
}

/**
 * Cells of one metric row with the best value starred: `better` says whether higher or lower
 * wins; ties all get the star; null/NaN cells are "–" and never best.
 */
export function starredRow(values: readonly (number | null)[], better: "higher" | "lower" | null, digits = 2): string[] {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const best = better === null || finite.length < 2 ? null : better === "higher" ? Math.max(...finite) : Math.min(...finite);
  return values.map((v) => {
    const text = formatNumber(v, digits);
    return best !== null && v !== null && v.toFixed(digits) === best.toFixed(digits) ? `${text}*` : `${text} `;
  });
}
