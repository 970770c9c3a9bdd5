/**
 * Per-image rows → one method's Table 1 figures (pure). Localisation metrics average over the
 * images that have ground truth for the explained class; Drop/Increase follow algorithms.md over
 * every image.
 */
import {dropIncrease} from "../../src/lib/metrics/drop-increase.js";
import type {ImageRow, MethodMetrics} from "./types.js";

/** Mean of the non-null values; null when there are none. */
export function meanOrNull(values: readonly (number | null)[]): number | null {
  let total = 0;
  let count = 0;
  for (const v of values) {
    if (v === null) continue;
    total += v;
    count++;
  }
  return count > 0 ? total / count : null;
}

/** The middle value (mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new Error("mean of no values");
  return values.reduce((a, b) => a + b, 0) / values.length;
}

const percent = (v: number | null): number | null => (v === null ? null : 100 * v);

export function methodMetrics(rows: readonly ImageRow[]): MethodMetrics {
  if (rows.length === 0) throw new Error("no image rows to aggregate");
  const {drop, increase} = dropIncrease(
    rows.map((r) => r.probability),
    rows.map((r) => r.keptProbability)
  );
  return {
    ebpg: percent(meanOrNull(rows.map((r) => r.ebpg))),
    bbox: percent(meanOrNull(rows.map((r) => r.bbox))),
    miou: percent(meanOrNull(rows.map((r) => r.iou))),
    pointing: percent(meanOrNull(rows.map((r) => (r.pointingHit === null ? null : r.pointingHit ? 1 : 0)))),
    drop,
    increase,
    deletionAuc: mean(rows.map((r) => r.deletionAuc)),
    insertionAuc: mean(rows.map((r) => r.insertionAuc)),
    secondsPerImage: mean(rows.map((r) => r.ms)) / 1000
  };
}

/** Images that had ground truth (localisation metrics were computed). */
export function localisedCount(rows: readonly ImageRow[]): number {
  return rows.filter((r) => r.ebpg !== null).length;
}
