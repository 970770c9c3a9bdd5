/**
 * Localisation metrics of one map against a ground-truth mask G at map resolution
 * (algorithms.md, Metrics). Averaging over a data set is the caller's job.
 */
import {assertFinite} from "../maps/normalize.js";
import type {SaliencyMap} from "../maps/types.js";
import {maskArea} from "./masks.js";
import {topCountMask, topFractionMask} from "./ranking.js";

function assertMaskFits(map: SaliencyMap, mask: ArrayLike<number>): void {
  if (mask.length !== map.data.length) {
    throw new Error(`mask has length ${mask.length}, map is ${map.width}x${map.height} = ${map.data.length}`);
  }
}

/** EBPG `Σ(S⊙G) / ΣS`; 0 when ΣS = 0. S must be non-negative (apply relu first). */
export function ebpg(map: SaliencyMap, mask: ArrayLike<number>): number {
  assertMaskFits(map, mask);
  assertFinite(map.data);
  let inside = 0;
  let total = 0;
  for (let i = 0; i < map.data.length; i++) {
    const v = map.data[i]!;
    if (v < 0) throw new Error(`EBPG needs a non-negative map; value ${v} at index ${i} (apply relu first)`);
    total += v;
    if (mask[i]) inside += v;
  }
  return total > 0 ? inside / total : 0;
}

/**
 * Bbox score `|topN ∩ G| / N` with `N = |G|`. Ties: row-major order; pixels with
 * S ≤ 0 are never in topN. 0 when G is empty.
 */
export function bboxScore(map: SaliencyMap, mask: ArrayLike<number>): number {
  assertMaskFits(map, mask);
  const n = maskArea(mask);
  if (n === 0) return 0;
  const top = topCountMask(map, n);
  let hits = 0;
  for (let i = 0; i < top.length; i++) if (top[i] && mask[i]) hits++;
  return hits / n;
}

/** Intersection over union of two binary masks; 0 when both are empty. */
export function maskIou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`masks differ in length: ${a.length} vs ${b.length}`);
  let intersection = 0;
  let union = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && b[i]) intersection++;
    if (a[i] || b[i]) union++;
  }
  return union > 0 ? intersection / union : 0;
}

/** Per-image term of mIoU: IoU of S's top `fraction` (default 20%) pixels with G. */
export function topFractionIou(map: SaliencyMap, mask: ArrayLike<number>, fraction = 0.2): number {
  assertMaskFits(map, mask);
  return maskIou(topFractionMask(map, fraction), mask);
}

export interface PointingResult {
  hit: boolean;
  /** The maximum of S (first in row-major order on ties); null for a map with no positive value. */
  point: {x: number; y: number} | null;
}

/**
 * Pointing game: hit when some G pixel lies within `tolerance` pixels (Euclidean
 * distance between pixel positions) of S's maximum. Tolerance 0 = the maximum itself
 * must be in G (TorchRay's benchmark uses 15 at image resolution). Ties in the maximum:
 * the first in row-major order. A map with max ≤ 0 points nowhere: a miss.
 */
export function pointingGame(map: SaliencyMap, mask: ArrayLike<number>, options: {tolerance?: number} = {}): PointingResult {
  const {tolerance = 0} = options;
  if (!(tolerance >= 0)) throw new Error(`tolerance must be >= 0, got ${tolerance}`);
  assertMaskFits(map, mask);
  assertFinite(map.data);
  let best = 0;
  for (let i = 1; i < map.data.length; i++) if (map.data[i]! > map.data[best]!) best = i;
  if (!(map.data[best]! > 0)) return {hit: false, point: null};
  const {width, height} = map;
  const px = best % width;
  const py = Math.floor(best / width);
  const reach = Math.floor(tolerance);
  for (let y = Math.max(0, py - reach); y <= Math.min(height - 1, py + reach); y++) {
    for (let x = Math.max(0, px - reach); x <= Math.min(width - 1, px + reach); x++) {
      if (mask[y * width + x] && (x - px) ** 2 + (y - py) ** 2 <= tolerance * tolerance) {
        return {hit: true, point: {x: px, y: py}};
      }
    }
  }
  return {hit: false, point: {x: px, y: py}};
}
