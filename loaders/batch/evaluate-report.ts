/**
 * The printed and written forms of an evaluation (pure apart from the writer): Table 1 as the
 * bench prints it (methods as columns, best starred) with each figure's 95% interval, and the
 * files `npm run bench` writes, under evaluate-*: JSON of everything, a summary CSV and the
 * per-image CSV with the bench's columns.
 */
import {join} from "node:path";
import {writeFileAtomic} from "../atomic-write.js";
import {toCsv} from "../bench/csv.js";
import {metricRows} from "../bench/report.js";
import {IMAGE_COLUMNS} from "../bench/results.js";
import {formatNumber, formatTable, starredRow} from "../bench/table.js";
import type {EvaluateResult} from "./evaluate.js";

export function evaluationTable(result: EvaluateResult): string {
  const rows = metricRows({pointingTolerance: result.pointingTolerance ?? Number.NaN, truth: result.settings.truth});
  if (result.pointingTolerance === null) rows[3]!.label = `Pointing % (±${result.settings.pointingToleranceAt224} px at 224², scaled) ↑`;
  const header = ["", ...result.methods.map((m) => m.method)];
  const body = rows.map((row) => {
    const cells = starredRow(
      result.methods.map((m) => m.metrics[row.key]),
      row.better,
      row.digits
    );
    return [row.label, ...cells.map((cell, i) => `${cell} ± ${formatNumber(result.methods[i]!.intervals[row.key], row.digits)}`)];
  });
  body.push(["Explained score", ...result.methods.map((m) => m.explainedScore)]);
  body.push(["(image, class) rows / with truth", ...result.methods.map((m) => `${m.rows} / ${m.localisedRows}`)]);
  return formatTable(header, body);
}

export function evaluationReport(result: EvaluateResult): string {
  const unmapped = result.unmappedClasses.length ? `; classes left out (no model class): ${result.unmappedClasses.join(", ")}` : "";
  return [
    `=== ${result.model} on ${result.dataset}: ${result.images} images${unmapped} ===`,
    `ground truth: ${result.settings.truth}; Drop/Increase keep the top ${100 * result.settings.keepFraction}%; ` +
      `${result.settings.curveSteps} deletion/insertion steps (deletion to black, insertion from blur); ± is the 95% interval`,
    "",
    evaluationTable(result)
  ].join("\n");
}

export const EVALUATE_SUMMARY_COLUMNS = [
  "model",
  "dataset",
  "method",
  "explainedScore",
  "rows",
  "localisedRows",
  ...(["ebpg", "bbox", "miou", "pointing", "drop", "increase", "deletionAuc", "insertionAuc", "secondsPerImage"] as const).flatMap((k) => [k, `${k}Ci95`])
];

/** The JSON text: NaN and infinities as null. */
export function evaluationJson(result: EvaluateResult): string {
  const {batch, ...rest} = result;
  const plain = {...rest, batch: {computed: batch.computed, reused: batch.reused, items: batch.items, manifest: batch.manifest}};
  return JSON.stringify(plain, (_key, value) => (typeof value === "number" && !Number.isFinite(value) ? null : value), 1) + "\n";
}

/** Writes evaluate.json, evaluate-summary.csv and evaluate-images.csv into `dir`. */
export function writeEvaluation(result: EvaluateResult, dir: string): string[] {
  const summary = result.methods.map((m) => ({
    model: result.model,
    dataset: result.dataset,
    method: m.method,
    explainedScore: m.explainedScore,
    rows: m.rows,
    localisedRows: m.localisedRows,
    ...Object.fromEntries(
      Object.entries(m.metrics).flatMap(([k, v]) => [
        [k, v],
        [`${k}Ci95`, m.intervals[k as keyof typeof m.intervals]]
      ])
    )
  }));
  const files: [string, string][] = [
    ["evaluate.json", evaluationJson(result)],
    ["evaluate-summary.csv", toCsv(EVALUATE_SUMMARY_COLUMNS, summary)],
    ["evaluate-images.csv", toCsv(IMAGE_COLUMNS, result.rows as unknown as Record<string, unknown>[])]
  ];
  return files.map(([name, text]) => {
    const path = join(dir, name);
    writeFileAtomic(path, text);
    return path;
  });
}
