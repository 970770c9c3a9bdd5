/**
 * Model-parameter randomisation test (Adebayo et al.; algorithms.md, Metrics): weights
 * are re-initialised cumulatively from the top layer down, the method explains again
 * after each step, and its map is compared with the original by Spearman ρ. The model
 * is abstracted as two callbacks, so this runs without tfjs. Restoring the weights
 * afterwards is the caller's job.
 */
import type {SaliencyMap} from "../maps/types.js";
import {spearman} from "./spearman.js";

export interface CascadingRandomizationOptions {
  /** Layers in randomisation order, top (output side) first. */
  layerNamesTopDown: readonly string[];
  /** Randomise layers 0..k of layerNamesTopDown (cumulative: calls come with k = 0, 1, 2, …). */
  randomizeUpTo: (k: number) => Promise<void> | void;
  /** Explain the current model (same image and class every time). */
  explain: () => Promise<SaliencyMap> | SaliencyMap;
  /** Keep every step's map in the result (default true; the pages show them). */
  keepMaps?: boolean;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}

export interface RandomizationStep {
  /** Deepest-randomised layer at this step (all layers above it are random too). */
  layer: string;
  /** Spearman ρ between this step's map and the original; NaN when either map is constant. */
  correlation: number;
  map?: SaliencyMap;
}

export interface CascadingRandomizationResult {
  original: SaliencyMap;
  steps: RandomizationStep[];
  /** correlations[k] = steps[k].correlation. */
  correlations: number[];
}

export async function cascadingRandomization(options: CascadingRandomizationOptions): Promise<CascadingRandomizationResult> {
  const {layerNamesTopDown, randomizeUpTo, explain, keepMaps = true, signal, onProgress} = options;
  if (layerNamesTopDown.length === 0) throw new Error("cascadingRandomization needs at least one layer");
  signal?.throwIfAborted();
  const original = await explain();
  const steps: RandomizationStep[] = [];
  for (let k = 0; k < layerNamesTopDown.length; k++) {
    signal?.throwIfAborted();
    await randomizeUpTo(k);
    const map = await explain();
    if (map.data.length !== original.data.length) {
      throw new Error(`explain returned ${map.width}x${map.height} after randomising, ${original.width}x${original.height} before`);
    }
    steps.push({layer: layerNamesTopDown[k]!, correlation: spearman(original.data, map.data), ...(keepMaps ? {map} : {})});
    onProgress?.(k + 1, layerNamesTopDown.length);
  }
  return {original, steps, correlations: steps.map((s) => s.correlation)};
}

/**
 * Rule: a method passes when, after randomising all layers (the last correlation),
 * |ρ| < threshold (default 0.5). |ρ| because an inverted map still mirrors the original.
 * NaN (the map became constant: all structure gone) counts as ρ = 0, i.e. a pass.
 */
export function passesSanityCheck(correlations: readonly number[], threshold = 0.5): boolean {
  if (correlations.length === 0) throw new Error("passesSanityCheck needs at least one correlation");
  const last = correlations[correlations.length - 1]!;
  return Number.isNaN(last) ? true : Math.abs(last) < threshold;
}
