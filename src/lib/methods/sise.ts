/**
 * SISE (algorithms.md, steps 1–6) on the layer-sampling phases, with the channel selection as a
 * strategy so that Ada-SISE is SISE with another `select` and nothing else:
 * layers = the model's block ends (or `layers`), shallow to deep; select channels by α_k > μ·β;
 * score their masks; fuse the layer maps with Otsu gates (`fusion`: hard or soft).
 */
import {fuseLayers, scoreLayerMasks, selectChannels} from "../explain/layer-sampling.js";
import type {ParamSchema, ParamValues} from "../explain/param-types.js";
import {batchParam, choice, classParam, scoreParam} from "../explain/params.js";
import {defineMethod} from "../explain/pipeline.js";
import {thresholdSelection, type SelectionStrategy} from "../explain/selection.js";
import type {Method} from "../explain/types.js";
import {upsampleAndNormalizeMap} from "../explain/upsample.js";

/** What SISE and Ada-SISE share; each adds its selection's own parameters. */
export const siseParams = {
  classIndex: classParam,
  score: scoreParam("softmax"),
  layers: {kind: "layers", help: "layers to sample (default: the block ends), any order"},
  maxMasks: {
    kind: "int",
    min: 1,
    max: 100_000,
    help: "per-layer cap on masks: the channels with the largest α (default: no cap)",
    slider: {min: 0, max: 4096},
    quick: 4
  },
  fusion: choice(["hard", "soft"], "hard", "fusion gate: hard (paper) or soft (authors' code)"),
  batchSize: batchParam("forward")
} as const satisfies ParamSchema;

export function defineSise<S extends ParamSchema & typeof siseParams>(spec: {
  name: string;
  title: string;
  summary: string;
  params: S;
  strategy: (params: ParamValues<S>) => SelectionStrategy;
}): Method<S> {
  return defineMethod({
    name: spec.name,
    title: spec.title,
    summary: spec.summary,
    defaultScore: "softmax",
    params: spec.params,
    async run(context, params) {
      const {layers, classIndex, maxMasks, fusion: gateMode, batchSize} = params as ParamValues<typeof siseParams>;
      const strategy = spec.strategy(params);
      const {target, activations, reports} = await selectChannels(context, layers, classIndex, strategy, maxMasks);
      const selectionMs = context.elapsed();
      const maskCount = await scoreLayerMasks(context, reports, activations, target.classIndex, batchSize);
      const scoringMs = context.elapsed() - selectionMs;
      const {map: fusedMap, fusion} = fuseLayers(context, reports, gateMode);
      const map = upsampleAndNormalizeMap(fusedMap, context.image.width, context.image.height);
      const intermediates = {
        selection: strategy.name,
        maskCount,
        totalChannels: reports.reduce((s, r) => s + r.channels, 0),
        layers: reports,
        skippedLayers: reports.filter((r) => r.skipped).map((r) => r.layer),
        fusion
      };
      const timings = {selectionMs, scoringMs, fusionMs: context.elapsed() - selectionMs - scoringMs};
      return {map, target, layer: layers, timings, passes: {forward: 1 + maskCount, backward: 1}, intermediates};
    }
  });
}

export const sise = defineSise({
  name: "sise",
  title: "SISE",
  summary: "feature-map masks of every block end, scored and fused block by block",
  params: {...siseParams, mu: {kind: "number", min: -1, max: 1, default: 0, help: "μ of the rule α_k > μ·β", slider: {step: 0.05}}},
  strategy: ({mu}) => thresholdSelection(mu)
});
