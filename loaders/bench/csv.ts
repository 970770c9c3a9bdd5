/** CSV text from records (pure): RFC 4180 quoting, null/NaN as empty cells. */

function cell(value: unknown): string {
  if (value === null || value === undefined || (typeof value === "number" && !Number.isFinite(value))) return "";
  const text = typeof value === "number" ? String(Math.round(value * 1e6) / 1e6) : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(columns: readonly string[], records: readonly Record<string, unknown>[]): string {
  const lines = [columns.map(cell).join(","), ...records.map((r) => columns.map((c) => cell(r[c])).join(","))];
  return lines.join("\n") + "\n";
}
