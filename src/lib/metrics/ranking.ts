/**
 * One pixel ranking shared by Bbox, top-fraction masks (mIoU, Drop/Increase) and
 * deletion/insertion, so they all break ties the same way:
 * descending value, equal values in ascending row-major index (top-left first).
 */
import {assertFinite} from "../maps/normalize.js";
import type {SaliencyMap} from "../maps/types.js";

/** Pixel indices from most to least salient; ties keep row-major order. */
export function rankPixelsDescending(map: SaliencyMap): Uint32Array {
  const values = map.data;
  assertFinite(values);
  const order = new Uint32Array(values.length);
  for (let i = 0; i < order.length; i++) order[i] = i;
  order.sort((a, b) => values[b]! - values[a]! || a - b);
  return order;
}

/**
 * Binary mask of the `count` highest pixels. Pixels with S ≤ 0 are never selected
 * (an empty or sparse map selects fewer), so zero-valued ties cannot pick arbitrary
 * top-left pixels.
 */
export function topCountMask(map: SaliencyMap, count: number): Uint8Array {
  if (!Number.isInteger(count) || count < 0) throw new Error(`count must be a non-negative integer, got ${count}`);
  const order = rankPixelsDescending(map);
  const mask = new Uint8Array(order.length);
  const limit = Math.min(count, order.length);
  for (let r = 0; r < limit; r++) {
    const i = order[r]!;
    if (!(map.data[i]! > 0)) break;
    mask[i] = 1;
  }
  return mask;
}

/** Pixel count of a fraction: `round(fraction·n)`. */
export function fractionCount(fraction: number, n: number): number {
  if (!(fraction >= 0 && fraction <= 1)) throw new Error(`fraction must be in [0, 1], got ${fraction}`);
  return Math.round(fraction * n);
}

/** Binary mask of the top `round(fraction·n)` pixels (same tie and S ≤ 0 rules as {@link topCountMask}). */
export function topFractionMask(map: SaliencyMap, fraction: number): Uint8Array {
  return topCountMask(map, fractionCount(fraction, map.data.length));
}
