/**
 * SISE's phases (algorithms.md, steps 2–6), for SISE and Ada-SISE alike:
 * - select: one forward + backward pass gives α_k = mean_ij ∂Ψ_c/∂A_k at every layer; the
 *   selection strategy keeps channels, constant maps are dropped, an optional cap applies;
 * - score: masks m_k = minmax(Up(A_k)) of every layer as one stream (batches run across layer
 *   ends, so only the last one is partial), s_k = Ψ_c(I⊙m_k), V = minmax(Σ_k s_k·m_k / Σ_λ m_k(λ));
 * - fuse: the cascade with Otsu gates over the layers that kept a map.
 */
import * as tf from "@tensorflow/tfjs";
import {fuseLayerMaps, type GateMode} from "../maps/fusion.js";
import type {SaliencyMap} from "../maps/types.js";
import {capture} from "./capture.js";
import {assertModelFinite} from "./finite.js";
import {channelRanges, layeredChannelMaskSource} from "./masks.js";
import type {ExplainContext, Target} from "./pipeline.js";
import {scoreMasks} from "./scoring.js";
import {capByGradient, type LayerSelection, type SelectionStrategy} from "./selection.js";
import {minmaxTensor, readMap} from "./upsample.js";

/** What happened at one layer: the pages draw selection and layer maps from this. */
export interface SiseLayerReport {
  layer: string;
  /** Channels of the layer (K). */
  channels: number;
  /** α_k for every channel [K]. */
  alphas: Float32Array;
  beta: number;
  threshold: number | null;
  relativeThreshold: number | null;
  /** Channels the rule kept, before dropping constant maps and capping. */
  keptByRule: number;
  /** Kept channels dropped because their map is constant (all-zero mask). */
  constantDropped: number[];
  /** Channels turned into masks, ascending. */
  selected: number[];
  selectedCount: number;
  /** s_k of each selected channel, in `selected` order. */
  scores: Float32Array;
  /** V_b at the model's input size, or null when skipped. */
  map: SaliencyMap | null;
  skipped: string | null;
}

export interface SiseFusionReport {
  gateMode: GateMode;
  /** Layers in the cascade, shallow to deep (skipped layers left out). */
  layers: string[];
  /** E before the cascade: V of the first layer. */
  initial: SaliencyMap;
  steps: {layer: string; gate: SaliencyMap; threshold: number; otsuThreshold: number; fused: SaliencyMap}[];
}

/** Rule → drop constant maps → cap; a layer left with no mask is skipped. */
function layerReport(layer: string, alphas: Float32Array, selection: LayerSelection, varying: boolean[], maxMasks: number | undefined): SiseLayerReport {
  const usable = selection.kept.filter((k) => varying[k]);
  const selected = capByGradient(usable, alphas, maxMasks);
  const skipped = selection.skipped ?? (selected.length === 0 ? "every kept channel has a constant map" : null);
  return {
    layer,
    channels: alphas.length,
    alphas,
    beta: selection.beta,
    threshold: selection.threshold,
    relativeThreshold: selection.relativeThreshold,
    keptByRule: selection.kept.length,
    constantDropped: selection.kept.filter((k) => !varying[k]),
    selected: skipped ? [] : selected,
    selectedCount: skipped ? 0 : selected.length,
    scores: new Float32Array(0),
    map: null,
    skipped
  };
}

/** Step 2: the layers' activations (kept for masking) and each layer's selection. */
export async function selectChannels(
  context: ExplainContext,
  layers: string[],
  classIndex: number | undefined,
  strategy: SelectionStrategy,
  maxMasks: number | undefined
): Promise<{target: Target; activations: tf.Tensor4D[]; reports: SiseLayerReport[]}> {
  const probe = capture(context, {layers, classIndex: classIndex ?? "top"});
  const alphaTensors = context.hold(probe.gradients!.map((g) => tf.tidy(() => tf.mean(g, [0, 1, 2]))));
  const rangeTensors = context.hold(probe.activations.map((a) => channelRanges(a))); // constant maps make no mask
  tf.dispose([probe.logits, ...probe.gradients!]); // only α is needed from here
  const [scoreValues, classValues, ...layerValues] = await Promise.all([
    probe.scores!.data(),
    probe.classes!.data(),
    ...alphaTensors.map((a) => a.data()),
    ...rangeTensors.map((r) => r.data())
  ]);
  assertModelFinite(scoreValues, "class score");
  const reports = layers.map((layer, l) => {
    const alphas = Float32Array.from(layerValues[l]!);
    assertModelFinite(alphas, `gradients at layer "${layer}"`);
    const varying = Array.from(layerValues[layers.length + l]!, (r) => r > 0);
    return layerReport(layer, alphas, strategy.select(alphas), varying, maxMasks);
  });
  return {target: {classIndex: classValues[0]!, scoreValue: scoreValues[0]!}, activations: probe.activations, reports};
}

/** Steps 3–5: every kept channel's mask scored, one coverage-weighted sum and layer map per layer. */
export async function scoreLayerMasks(
  context: ExplainContext,
  reports: SiseLayerReport[],
  activations: tf.Tensor4D[],
  classIndex: number,
  batchSize: number
): Promise<number> {
  const {model, pixels} = context;
  const maskCount = reports.reduce((s, r) => s + r.selectedCount, 0);
  const sampled = reports.flatMap((report, l) => (report.skipped ? [] : [{report, activations: activations[l]!, channels: report.selected}]));
  const source = layeredChannelMaskSource(sampled, model.inputHeight, model.inputWidth);
  const scored = await scoreMasks(model, pixels, source, {
    classIndex,
    score: context.scoreMode,
    batchSize,
    work: context.work(maskCount, "masks"),
    weighting: "coverage",
    segments: source.segments,
    executor: context.executor
  });
  context.hold(scored.weightedSums);
  const layerMaps = await Promise.all(scored.weightedSums.map((sum) => readMap(minmaxTensor(sum))));
  let first = 0;
  sampled.forEach(({report}, i) => {
    report.scores = scored.scores.slice(first, first + report.selectedCount);
    report.map = layerMaps[i]!;
    first += report.selectedCount;
  });
  return maskCount;
}

/** Step 6: the cascade over the layers that kept maps (an all-zero map at the model's size when none did). */
export function fuseLayers(context: ExplainContext, reports: SiseLayerReport[], gateMode: GateMode): {map: SaliencyMap; fusion: SiseFusionReport | null} {
  const {model} = context;
  const used = reports.filter((r) => r.map !== null);
  const fused =
    used.length > 0
      ? fuseLayerMaps(
          used.map((r) => r.map!),
          {gate: gateMode}
        )
      : null;
  const map = fused?.map ?? {width: model.inputWidth, height: model.inputHeight, data: new Float32Array(model.inputWidth * model.inputHeight)};
  const fusion = fused && {
    gateMode,
    layers: used.map((r) => r.layer),
    initial: fused.initial,
    steps: fused.steps.map((s) => ({...s, layer: used[s.layer]!.layer}))
  };
  return {map, fusion};
}
