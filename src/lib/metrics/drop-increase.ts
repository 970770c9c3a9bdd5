/**
 * Drop % and Increase % over a set of K images (algorithms.md):
 * `Drop = (100/K)·Σ max(0, Y_i − O_i)/Y_i`, `Increase = (100/K)·Σ [O_i > Y_i]`,
 * with Y the original scores and O the scores on the masked images (see keepTopFraction).
 */

function checkScores(original: ArrayLike<number>, masked: ArrayLike<number>): void {
  if (original.length !== masked.length) throw new Error(`Y has ${original.length} scores, O has ${masked.length}`);
  if (original.length === 0) throw new Error("Drop/Increase need at least one image");
  for (let i = 0; i < original.length; i++) {
    const y = original[i]!;
    const o = masked[i]!;
    if (!Number.isFinite(y) || !Number.isFinite(o)) throw new Error(`score ${i} is not finite (Y=${y}, O=${o})`);
    if (y < 0) throw new Error(`score Y_${i} = ${y} is negative; Drop/Increase expect probabilities`);
  }
}

/** Average relative confidence drop in %. An image with Y_i = 0 has nothing to drop: its term is 0. */
export function dropPercent(original: ArrayLike<number>, masked: ArrayLike<number>): number {
  checkScores(original, masked);
  let total = 0;
  for (let i = 0; i < original.length; i++) {
    const y = original[i]!;
    if (y > 0) total += Math.max(0, y - masked[i]!) / y;
  }
  return (100 * total) / original.length;
}

/** Percentage of images whose score rose strictly (O_i > Y_i). */
export function increasePercent(original: ArrayLike<number>, masked: ArrayLike<number>): number {
  checkScores(original, masked);
  let count = 0;
  for (let i = 0; i < original.length; i++) if (masked[i]! > original[i]!) count++;
  return (100 * count) / original.length;
}

export function dropIncrease(original: ArrayLike<number>, masked: ArrayLike<number>): {drop: number; increase: number; count: number} {
  return {drop: dropPercent(original, masked), increase: increasePercent(original, masked), count: original.length};
}
