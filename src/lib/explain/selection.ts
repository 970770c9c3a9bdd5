/**
 * Which feature maps of a layer become SISE masks (algorithms.md, SISE step 2), from the average
 * gradients α_k = mean_ij ∂Ψ_c/∂A_k(i,j). SISE keeps α_k > μ·β (β = max_k α_k); Ada-SISE
 * replaces μ with an Otsu threshold on the positive normalised gradients â_k = α_k/β.
 * Both skip a layer with β ≤ 0. Pure functions on arrays: no tensors.
 */
import {otsuThreshold} from "../maps/otsu.js";

export interface LayerSelection {
  /** Kept channel indices, ascending. */
  kept: number[];
  /** β = max_k α_k. */
  beta: number;
  /** Threshold applied to α (keep α_k > threshold): μ·β for SISE, τ·β for Ada-SISE; null when skipped. */
  threshold: number | null;
  /** The threshold relative to β (μ, or τ on â): null when skipped. */
  relativeThreshold: number | null;
  /** Why the layer keeps no map; null when it keeps some. */
  skipped: string | null;
}

export interface SelectionStrategy {
  /** Recorded in results: "threshold" (SISE) or "adaptive" (Ada-SISE). */
  name: string;
  select(alphas: ArrayLike<number>): LayerSelection;
}

function maxOf(values: ArrayLike<number>): number {
  let beta = -Infinity;
  for (let k = 0; k < values.length; k++) beta = Math.max(beta, values[k]!);
  return beta;
}

function keptAbove(alphas: ArrayLike<number>, threshold: number): number[] {
  const kept: number[] = [];
  for (let k = 0; k < alphas.length; k++) if (alphas[k]! > threshold) kept.push(k);
  return kept;
}

function skippedLayer(beta: number): LayerSelection {
  return {kept: [], beta, threshold: null, relativeThreshold: null, skipped: `no channel has a positive average gradient (β = ${beta})`};
}

/** SISE: keep α_k > μ·β. */
export function thresholdSelection(mu: number): SelectionStrategy {
  return {
    name: "threshold",
    select(alphas) {
      const beta = maxOf(alphas);
      if (!(beta > 0)) return skippedLayer(beta);
      const threshold = mu * beta;
      return {kept: keptAbove(alphas, threshold), beta, threshold, relativeThreshold: mu, skipped: null};
    }
  };
}

/** Ada-SISE: τ = otsu({â_k > 0}) on [0, 1]; keep â_k > τ. */
export function adaptiveSelection(): SelectionStrategy {
  return {
    name: "adaptive",
    select(alphas) {
      const beta = maxOf(alphas);
      if (!(beta > 0)) return skippedLayer(beta);
      const normalized = Array.from(alphas, (a) => a / beta);
      const tau = otsuThreshold(
        normalized.filter((a) => a > 0),
        0,
        1
      );
      return {kept: keptAbove(normalized, tau), beta, threshold: tau * beta, relativeThreshold: tau, skipped: null};
    }
  };
}

/**
 * At most `maxMasks` channels: the ones with the largest α (ties: lower index first), returned
 * ascending. Taking the top of an upper set keeps Ada-SISE's channels inside SISE's.
 */
export function capByGradient(channels: readonly number[], alphas: ArrayLike<number>, maxMasks: number | undefined): number[] {
  if (maxMasks === undefined || channels.length <= maxMasks) return [...channels];
  return [...channels]
    .sort((a, b) => alphas[b]! - alphas[a]! || a - b)
    .slice(0, maxMasks)
    .sort((a, b) => a - b);
}
