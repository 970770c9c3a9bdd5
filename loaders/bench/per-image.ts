/**
 * Each Table 1 figure as the mean of a per-image term (pure), and the 95% interval of that mean:
 * Drop and Increase are means of 100·max(0, Y−O)/Y and 100·[O > Y] (algorithms.md), the
 * localisation figures means over the images with ground truth.
 */
import {mean} from "./aggregate.js";
import type {ImageRow, MethodMetrics} from "./types.js";

export type MetricKey = keyof MethodMetrics;

/** The per-image term whose mean is the table's figure; null where the image has none (no ground truth). */
export function perImageTerm(metric: MetricKey, row: ImageRow): number | null {
  switch (metric) {
    case "ebpg":
      return row.ebpg === null ? null : 100 * row.ebpg;
    case "bbox":
      return row.bbox === null ? null : 100 * row.bbox;
    case "miou":
      return row.iou === null ? null : 100 * row.iou;
    case "pointing":
      return row.pointingHit === null ? null : row.pointingHit ? 100 : 0;
    case "drop":
      return row.probability > 0 ? (100 * Math.max(0, row.probability - row.keptProbability)) / row.probability : 0;
    case "increase":
      return row.keptProbability > row.probability ? 100 : 0;
    case "deletionAuc":
      return row.deletionAuc;
    case "insertionAuc":
      return row.insertionAuc;
    case "secondsPerImage":
      return row.ms / 1000;
  }
}

/** Half-width of the normal 95% interval of a mean (1.96 standard errors); NaN with fewer than 2 values. */
export function halfWidth95(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return Number.NaN;
  const m = mean(values);
  const variance = values.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1);
  return 1.96 * Math.sqrt(variance / n);
}

/** The 95% half-width of every figure of one method's rows (null where no image has the term). */
export function metricIntervals(rows: readonly ImageRow[]): Record<MetricKey, number | null> {
  const keys: MetricKey[] = ["ebpg", "bbox", "miou", "pointing", "drop", "increase", "deletionAuc", "insertionAuc", "secondsPerImage"];
  return Object.fromEntries(
    keys.map((key) => {
      const values = rows.map((r) => perImageTerm(key, r)).filter((v): v is number => v !== null);
      return [key, values.length === 0 ? null : halfWidth95(values)];
    })
  ) as Record<MetricKey, number | null>;
}
