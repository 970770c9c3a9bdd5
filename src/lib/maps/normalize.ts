/**
 * Value normalisation as algorithms.md defines it. NaN or infinite input throws
 * instead of spreading silently through every later step.
 */
import type {SaliencyMap} from "./types.js";

/** The epsilon of algorithms.md's `minmax`; it keeps a constant map at 0 instead of NaN. */
export const MINMAX_EPSILON = 1e-6;

/** Throw a clear error if any value is NaN or infinite; `cause` is appended to say where it came from. */
export function assertFinite(values: ArrayLike<number>, what = "map", cause?: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) throw new Error(`${what} contains ${v} (first at index ${i})${cause ? `: ${cause}` : ""}`);
  }
}

/** Smallest and largest value; throws on NaN/infinite values or an empty array. */
export function extent(values: ArrayLike<number>, what = "map"): [number, number] {
  if (values.length === 0) throw new Error(`${what} is empty`);
  assertFinite(values, what);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** `(X − min) / (max − min + 1e-6)` on a plain array. */
export function minmaxValues(values: ArrayLike<number>): Float32Array {
  const [lo, hi] = extent(values);
  const scale = 1 / (hi - lo + MINMAX_EPSILON);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = (values[i]! - lo) * scale;
  return out;
}

/** `minmax(X) = (X − min) / (max − min + 1e-6)`: max lands just below 1, a constant map becomes 0. */
export function minmax(map: SaliencyMap): SaliencyMap {
  return {width: map.width, height: map.height, data: minmaxValues(map.data)};
}

/** `max(X, 0)` element-wise. */
export function relu(map: SaliencyMap): SaliencyMap {
  assertFinite(map.data);
  const out = new Float32Array(map.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(0, map.data[i]!);
  return {width: map.width, height: map.height, data: out};
}

/** Sum of all values, accumulated in double precision. */
export function sum(map: SaliencyMap): number {
  assertFinite(map.data);
  let s = 0;
  for (let i = 0; i < map.data.length; i++) s += map.data[i]!;
  return s;
}

export function mean(map: SaliencyMap): number {
  return sum(map) / map.data.length;
}
