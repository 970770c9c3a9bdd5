/**
 * Otsu thresholds and the SISE gates built on them (algorithms.md, SISE step 6).
 *
 * Rules (one place, so every caller agrees):
 * - `bins` (256) equal bins on [lo, hi]; a value equal to `hi` falls in the last bin,
 *   values outside [lo, hi] are clamped into the first/last bin.
 * - Candidate thresholds are the bin edges `t = lo + k·(hi − lo)/bins`, k = 0..bins;
 *   class 0 = bins below k, class 1 = bins from k up.
 * - Class means use bin centres (histogram Otsu), weights are pixel fractions.
 * - Score `ω0·ω1·(μ0 − μ1)²`, 0 when a class is empty; the first (lowest) maximum wins.
 *   A histogram with no split of positive score (constant input) therefore gets t = lo.
 * - Gates compare strictly: `V > t`.
 */
import {assertFinite} from "./normalize.js";
import type {SaliencyMap} from "./types.js";

export interface OtsuDetails {
  /** The chosen threshold (a bin edge). */
  threshold: number;
  /** Chosen edge index k: class 0 is bins [0, k). */
  index: number;
  /** Pixel count per bin. */
  counts: Float64Array;
  /** Between-class score for every candidate k = 0..bins (length bins + 1). */
  scores: Float64Array;
}

/**
 * First k maximising ω0·ω1·(μ0 − μ1)² for the split "bins < k | bins ≥ k",
 * with k restricted to [firstK, lastK]. Cumulative sums do not change across empty
 * bins, so candidates inside a gap get bit-identical scores and ties resolve to the first.
 */
function bestSplit(counts: Float64Array, binValues: Float64Array, firstK: number, lastK: number): {index: number; scores: Float64Array} {
  const bins = counts.length;
  let total = 0;
  let totalSum = 0;
  for (let b = 0; b < bins; b++) {
    total += counts[b]!;
    totalSum += counts[b]! * binValues[b]!;
  }
  const scores = new Float64Array(bins + 1);
  let below = 0;
  let belowSum = 0;
  let bestIndex = firstK;
  let bestScore = -1;
  for (let k = 0; k <= bins; k++) {
    if (k > 0) {
      below += counts[k - 1]!;
      belowSum += counts[k - 1]! * binValues[k - 1]!;
    }
    const above = total - below;
    let score = 0;
    if (below > 0 && above > 0) {
      const mean0 = belowSum / below;
      const mean1 = (totalSum - belowSum) / above;
      score = (below / total) * (above / total) * (mean0 - mean1) ** 2;
    }
    scores[k] = score;
    if (k >= firstK && k <= lastK && score > bestScore) {
      bestScore = score;
      bestIndex = k;
    }
  }
  return {index: bestIndex, scores};
}

/** Otsu on `bins` equal bins over [lo, hi], with the histogram and every candidate's score. */
export function otsuDetails(values: ArrayLike<number>, lo = 0, hi = 1, bins = 256): OtsuDetails {
  if (!(hi > lo)) throw new Error(`otsu range must have hi > lo, got [${lo}, ${hi}]`);
  if (!Number.isInteger(bins) || bins < 2) throw new Error(`otsu needs an integer bins >= 2, got ${bins}`);
  assertFinite(values, "otsu input");
  const width = (hi - lo) / bins;
  const counts = new Float64Array(bins);
  for (let i = 0; i < values.length; i++) {
    const b = Math.floor((values[i]! - lo) / width);
    counts[b < 0 ? 0 : b >= bins ? bins - 1 : b]!++;
  }
  const centres = new Float64Array(bins);
  for (let b = 0; b < bins; b++) centres[b] = lo + (b + 0.5) * width;
  const {index, scores} = bestSplit(counts, centres, 0, bins);
  return {threshold: lo + index * width, index, counts, scores};
}

/**
 * Otsu threshold of any list of values in [lo, hi] (e.g. Ada-SISE's normalised
 * gradients in [0, 1]). Returns a bin edge; select with `value > threshold`.
 */
export function otsuThreshold(values: ArrayLike<number>, lo = 0, hi = 1, bins = 256): number {
  return otsuDetails(values, lo, hi, bins).threshold;
}

/** Otsu threshold of a map whose values lie in [0, 1] (a minmax'ed layer map). */
export function otsu(map: SaliencyMap): number {
  return otsuThreshold(map.data, 0, 1, 256);
}

export interface GateResult {
  /** The gate, same size as the input (0/1 for the hard gate, (0, 1) for the soft one). */
  gate: SaliencyMap;
  /** The threshold the gate applied. */
  threshold: number;
  /** The Otsu threshold it was derived from (equal to `threshold` for the hard gate). */
  otsuThreshold: number;
}

/** Hard gate of the paper: `Bin(V) = [V > otsu(V)]`. */
export function otsuGate(map: SaliencyMap): GateResult {
  const t = otsu(map);
  const out = new Float32Array(map.data.length);
  for (let i = 0; i < out.length; i++) out[i] = map.data[i]! > t ? 1 : 0;
  return {gate: {width: map.width, height: map.height, data: out}, threshold: t, otsuThreshold: t};
}

/**
 * Otsu level of the authors' code: values quantised to `q = round(V·256)` (clamped to
 * 0..256, Math.round: halves round up), one histogram bin per integer level, candidate splits
 * j = 0..256 with class 0 = {q < j} and class 1 = {q ≥ j}; first maximum; returned as `j / 256`,
 * the first level of the upper class (as the authors' code returns it; one level below it moves
 * every soft-gate step by 1/256). A constant input has no split of positive score: j = 0.
 */
export function quantizedOtsuThreshold(values: ArrayLike<number>, levels = 256): number {
  assertFinite(values, "otsu input");
  const counts = new Float64Array(levels + 1);
  for (let i = 0; i < values.length; i++) {
    const q = Math.round(values[i]! * levels);
    counts[q < 0 ? 0 : q > levels ? levels : q]!++;
  }
  const levelValues = new Float64Array(levels + 1);
  for (let q = 0; q <= levels; q++) levelValues[q] = q;
  const {index} = bestSplit(counts, levelValues, 0, levels);
  return index / levels;
}

export interface SoftGateOptions {
  /** Sigmoid steepness (authors' code: 100). */
  slope?: number;
  /** Threshold multiplier tried first (1.5). */
  factor?: number;
  /** The raised threshold is used when fewer than this fraction of pixels reach it (0.1). */
  minFraction?: number;
}

/**
 * Soft gate of the authors' code: `sigmoid(slope·(V − t'))` with `t' = factor·t` when
 * fewer than `minFraction` of the pixels are ≥ factor·t, else `t`; `t` from
 * {@link quantizedOtsuThreshold}.
 */
export function softGate(map: SaliencyMap, options: SoftGateOptions = {}): GateResult {
  const {slope = 100, factor = 1.5, minFraction = 0.1} = options;
  const t = quantizedOtsuThreshold(map.data);
  const raised = factor * t;
  let atOrAbove = 0;
  for (let i = 0; i < map.data.length; i++) if (map.data[i]! >= raised) atOrAbove++;
  const applied = atOrAbove < minFraction * map.data.length ? raised : t;
  const out = new Float32Array(map.data.length);
  for (let i = 0; i < out.length; i++) out[i] = 1 / (1 + Math.exp(-slope * (map.data[i]! - applied)));
  return {gate: {width: map.width, height: map.height, data: out}, threshold: applied, otsuThreshold: t};
}
