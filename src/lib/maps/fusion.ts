/**
 * SISE cascaded fusion (algorithms.md, SISE step 6): `E = V1`; for each deeper layer b,
 * `E = (E + V_b) ⊙ Gate(V_b)`; finally `minmax(E)`. Every gate and partial E is kept,
 * because the pages draw the cascade step by step.
 */
import {minmax, assertFinite} from "./normalize.js";
import {otsuGate, softGate, type GateResult, type SoftGateOptions} from "./otsu.js";
import {assertSameSize, cloneMap, type SaliencyMap} from "./types.js";

/** `hard`: the paper's `[V > otsu(V)]` (default). `soft`: the authors' code sigmoid gate. */
export type GateMode = "hard" | "soft";

export interface FusionOptions {
  gate?: GateMode;
  /** Only used by the soft gate. */
  soft?: SoftGateOptions;
}

export interface FusionStep {
  /** Index of V_b in the input list (1 for the second-shallowest layer, ...). */
  layer: number;
  gate: SaliencyMap;
  /** Threshold the gate applied. */
  threshold: number;
  /** Otsu threshold it came from (differs from `threshold` only for a raised soft gate). */
  otsuThreshold: number;
  /** E after this step, before the final minmax. */
  fused: SaliencyMap;
}

export interface FusionResult {
  /** minmax of the last E: the explanation. */
  map: SaliencyMap;
  /** E before the cascade: a copy of V1. */
  initial: SaliencyMap;
  /** One entry per deeper layer, shallow to deep. */
  steps: FusionStep[];
  gateMode: GateMode;
}

/**
 * Fuse layer maps ordered shallow to deep, all the same size and each already
 * minmax'ed (the gates' Otsu histogram is on [0, 1]). A single layer gives minmax(V1).
 */
export function fuseLayerMaps(layerMaps: readonly SaliencyMap[], options: FusionOptions = {}): FusionResult {
  const gateMode = options.gate ?? "hard";
  if (layerMaps.length === 0) throw new Error("fusion needs at least one layer map");
  const first = layerMaps[0]!;
  for (let b = 0; b < layerMaps.length; b++) {
    assertSameSize(first, layerMaps[b]!, `layer maps 0 and ${b}`);
    assertFinite(layerMaps[b]!.data, `layer map ${b}`);
  }
  const gateOf = (map: SaliencyMap): GateResult => (gateMode === "soft" ? softGate(map, options.soft) : otsuGate(map));

  const initial = cloneMap(first);
  let fused = initial.data;
  const steps: FusionStep[] = [];
  for (let b = 1; b < layerMaps.length; b++) {
    const layer = layerMaps[b]!.data;
    const {gate, threshold, otsuThreshold} = gateOf(layerMaps[b]!);
    const next = new Float32Array(fused.length);
    for (let i = 0; i < next.length; i++) next[i] = (fused[i]! + layer[i]!) * gate.data[i]!;
    fused = next;
    steps.push({layer: b, gate, threshold, otsuThreshold, fused: {width: first.width, height: first.height, data: next}});
  }
  return {map: minmax({width: first.width, height: first.height, data: fused}), initial, steps, gateMode};
}
