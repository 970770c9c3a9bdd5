/** Area under a sampled curve by the trapezoidal rule. */

/**
 * Trapezoidal area of `scores` over `x` (default: evenly spaced on [0, 1], i.e.
 * x_k = k/(n − 1)). Needs at least two points.
 */
export function curveAuc(scores: ArrayLike<number>, x?: ArrayLike<number>): number {
  const n = scores.length;
  if (n < 2) throw new Error(`a curve needs at least 2 points for an area, got ${n}`);
  if (x !== undefined && x.length !== n) throw new Error(`curve has ${n} scores but ${x.length} x positions`);
  let area = 0;
  for (let k = 1; k < n; k++) {
    const dx = x === undefined ? 1 / (n - 1) : x[k]! - x[k - 1]!;
    area += (dx * (scores[k]! + scores[k - 1]!)) / 2;
  }
  return area;
}
