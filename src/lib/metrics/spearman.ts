/** Spearman rank correlation, the similarity measure of the sanity check. */
import {assertFinite} from "../maps/normalize.js";

/** Ranks 1..n; tied values share the average of their ranks. */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  assertFinite(values, "rank input");
  const n = values.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => values[a]! - values[b]! || a - b);
  const ranks = new Float64Array(n);
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && values[order[end]!] === values[order[start]!]) end++;
    const rank = (start + 1 + end) / 2; // mean of ranks start+1 .. end
    for (let r = start; r < end; r++) ranks[order[r]!] = rank;
    start = end;
  }
  return ranks;
}

/** Pearson correlation of two equally long arrays; NaN when either is constant. */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`correlation needs equal lengths, got ${a.length} and ${b.length}`);
  const n = a.length;
  if (n < 2) throw new Error(`correlation needs at least 2 values, got ${n}`);
  let meanA = 0;
  let meanB = 0;
  for (let i = 0; i < n; i++) {
    meanA += a[i]!;
    meanB += b[i]!;
  }
  meanA /= n;
  meanB /= n;
  let cov = 0;
  let varA = 0;
  let varB = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - meanA;
    const db = b[i]! - meanB;
    cov += da * db;
    varA += da * da;
    varB += db * db;
  }
  if (varA === 0 || varB === 0) return NaN;
  return cov / Math.sqrt(varA * varB);
}

/** Spearman ρ: Pearson correlation of average ranks. NaN when either input is constant. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`spearman needs equal lengths, got ${a.length} and ${b.length}`);
  return pearson(averageRanks(a), averageRanks(b));
}
