/**
 * SISE (algorithms.md, steps 1–6), with the channel selection as a strategy so that Ada-SISE is
 * SISE with another `select` and nothing else:
 * 1. layers: the model's block ends (or `layers`), ordered shallow to deep;
 * 2. one forward + backward pass gives α_k = mean_ij ∂Ψ_c/∂A_k for every layer; the strategy keeps channels;
 * 3. masks m_k = minmax(Up(A_k)) (constant maps dropped, optional per-layer cap `maxMasks`);
 * 4. s_k = Ψ_c(I⊙m_k) in batches, all layers' masks as one stream;
 * 5. V = minmax(Σ_k s_k·m_k / Σ_λ m_k(λ)) per layer;
 * 6. cascaded fusion with Otsu gates (`fusion`: hard or soft).
 */
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../model/adapter.js";
import {fuseLayerMaps, type GateMode} from "../maps/fusion.js";
import {minmax} from "../maps/normalize.js";
import {resizeBilinear} from "../maps/resize.js";
import type {SaliencyMap} from "../maps/types.js";
import {channelRanges, layeredChannelMaskSource} from "./masking.js";
import {batchSizeOption, checkChoiceOption, checkIntegerOption, checkNumberOption} from "./options.js";
import {assertFinite, explanationRecord, imageToPixels, minmaxTensor, readMap, recordableOptions} from "./pipeline.js";
import {AbortedError, WorkTracker} from "./progress.js";
import {scoreMasks} from "./scoring.js";
import {capByGradient, thresholdSelection, type LayerSelection, type SelectionStrategy} from "./selection.js";
import type {CommonOptions, Explanation, Method} from "./types.js";

export interface SiseOptions extends CommonOptions {
  /** Layers to sample, any order (sorted shallow to deep); default: the model's block ends. */
  layers?: string[];
  /** μ of SISE's rule α_k > μ·β (−1..1, default 0); Ada-SISE ignores it. */
  mu?: number;
  /** Per-layer cap on masks: the channels with the largest α among the selected (1–100000). */
  maxMasks?: number;
  /** Fusion gate: "hard" (paper, default) or "soft" (authors' code). */
  fusion?: GateMode;
}

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

/** Requested layers, validated, de-duplicated and in graph order (the cascade runs shallow to deep). */
export function siseLayers(model: ExplainableModel, requested: readonly string[] | undefined): string[] {
  if (requested && requested.length === 0) throw new Error("layers must name at least one layer");
  const names = requested ?? model.blockEnds;
  if (names.length === 0) throw new Error(`model "${model.meta.name}" has no block ends to sample: pass layers`);
  const nodes = [...new Set(names)].map((name) => model.camNode(name));
  return nodes.sort((a, b) => a.index - b.index).map((n) => n.name);
}

export function defineSise(spec: {
  name: string;
  title: string;
  /** The selection rule from the options (its own option checks included). */
  strategy: (options: SiseOptions) => {strategy: SelectionStrategy; recorded: Record<string, unknown>};
}): Method<SiseOptions> {
  return {
    name: spec.name,
    title: spec.title,
    defaultScore: "softmax",
    async explain(model, image, options = {}): Promise<Explanation> {
      const startedAt = performance.now();
      const layers = siseLayers(model, options.layers);
      const {strategy, recorded} = spec.strategy(options);
      const maxMasks = options.maxMasks === undefined ? undefined : checkIntegerOption("maxMasks", options.maxMasks, 1, 100_000);
      const gateMode = checkChoiceOption("fusion", options.fusion ?? "hard", ["hard", "soft"] as const);
      const batchSize = batchSizeOption(model, options.batchSize, "forward");
      const scoreMode = options.score ?? "softmax";
      // μ is recorded only by a strategy that uses it (Ada-SISE ignores it).
      const {mu: _mu, ...withoutMu} = options;
      if (options.signal?.aborted) throw new AbortedError();
      const pixels = imageToPixels(model, image);
      const held: tf.Tensor[] = [pixels];
      try {
        // Step 2: one forward + backward pass serves every layer.
        const probe = model.probe(pixels, {layers, classIndex: options.classIndex ?? "top", score: scoreMode});
        const activations = probe.activations;
        held.push(probe.logits, probe.scores!, probe.classes!, ...activations, ...probe.gradients!);
        const alphaTensors = probe.gradients!.map((g) => tf.tidy(() => tf.mean(g, [0, 1, 2])));
        const rangeTensors = activations.map((a) => channelRanges(a)); // constant maps make no mask
        held.push(...alphaTensors, ...rangeTensors);
        tf.dispose([probe.logits, ...probe.gradients!]); // only α is needed from here (disposing twice is harmless)
        const [scoreValues, classValues, ...layerValues] = await Promise.all([
          probe.scores!.data(),
          probe.classes!.data(),
          ...alphaTensors.map((a) => a.data()),
          ...rangeTensors.map((r) => r.data())
        ]);
        assertFinite(scoreValues, "class score");
        const classIndex = classValues[0]!;
        const reports = layers.map((layer, l) => {
          const alphas = Float32Array.from(layerValues[l]!);
          assertFinite(alphas, `gradients at layer "${layer}"`);
          const varying = Array.from(layerValues[layers.length + l]!, (r) => r > 0);
          return layerReport(layer, alphas, strategy.select(alphas), varying, maxMasks);
        });
        const selectionMs = performance.now() - startedAt;

        // Steps 3–5: every layer's masks as one stream (batches run across layer ends, so only
        // the last one is partial), one weighted sum per layer; progress counted in masks.
        const maskCount = reports.reduce((s, r) => s + r.selectedCount, 0);
        const work = new WorkTracker(maskCount, options.signal, options.onProgress, "masks");
        const sampled = reports.flatMap((report, l) => (report.skipped ? [] : [{report, activations: activations[l]!, channels: report.selected}]));
        const source = layeredChannelMaskSource(sampled, model.inputHeight, model.inputWidth);
        const scored = await scoreMasks(model, pixels, source, {
          classIndex,
          score: scoreMode,
          batchSize,
          work,
          weighting: "coverage",
          segments: source.segments,
          executor: options.executor
        });
        held.push(...scored.weightedSums);
        const layerMaps = await Promise.all(scored.weightedSums.map((sum) => readMap(minmaxTensor(sum))));
        let first = 0;
        sampled.forEach(({report}, i) => {
          report.scores = scored.scores.slice(first, first + report.selectedCount);
          report.map = layerMaps[i]!;
          first += report.selectedCount;
        });
        const scoringMs = performance.now() - startedAt - selectionMs;

        // Step 6: cascade over the layers that kept maps.
        const used = reports.filter((r) => r.map !== null);
        const fused = used.length > 0 ? fuseLayerMaps(used.map((r) => r.map!), {gate: gateMode}) : null;
        const atModelSize = fused?.map ?? {width: model.inputWidth, height: model.inputHeight, data: new Float32Array(model.inputWidth * model.inputHeight)};
        const map = minmax(resizeBilinear(atModelSize, image.width, image.height));
        const fusion: SiseFusionReport | null = fused && {
          gateMode,
          layers: used.map((r) => r.layer),
          initial: fused.initial,
          steps: fused.steps.map((s) => ({...s, layer: used[s.layer]!.layer}))
        };
        return explanationRecord({
          method: spec.name,
          model,
          map,
          classIndex,
          scoreMode,
          scoreValue: scoreValues[0]!,
          layer: layers,
          options: recordableOptions({...withoutMu, layers, ...recorded, ...(maxMasks ? {maxMasks} : {}), fusion: gateMode, batchSize, score: scoreMode}),
          startedAt,
          timings: {selectionMs, scoringMs, fusionMs: performance.now() - startedAt - selectionMs - scoringMs},
          passes: {forward: 1 + maskCount, backward: 1},
          intermediates: {
            selection: strategy.name,
            maskCount,
            totalChannels: reports.reduce((s, r) => s + r.channels, 0),
            layers: reports,
            skippedLayers: reports.filter((r) => r.skipped).map((r) => r.layer),
            fusion
          }
        });
      } finally {
        tf.dispose(held);
      }
    }
  };
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

export const sise = defineSise({
  name: "sise",
  title: "SISE",
  strategy: (options) => {
    const mu = checkNumberOption("mu", options.mu ?? 0, -1, 1);
    return {strategy: thresholdSelection(mu), recorded: {mu}};
  }
});
