/**
 * RISE: S = (1/(N·p))·Σ_i Ψ_c(I⊙M_i)·M_i over N seeded random masks (see explain/rise-masks.ts).
 * Default N = 2000, half the paper's 4000, to halve the run time in the browser; pass
 * `masks: 4000` to match the paper.
 */
import * as tf from "@tensorflow/tfjs";
import {batchParam, classParam, scoreParam, seedParam} from "../explain/params.js";
import {defineMethod} from "../explain/pipeline.js";
import {riseCellSize, riseMaskSource} from "../explain/rise-masks.js";
import {scoreMasks} from "../explain/scoring.js";
import {targetOfImage} from "../explain/target.js";
import {finalMap} from "../explain/upsample.js";

export const rise = defineMethod({
  name: "rise",
  title: "RISE",
  summary: "random masks weighted by the score of the masked image",
  defaultScore: "softmax",
  params: {
    classIndex: classParam,
    score: scoreParam("softmax"),
    masks: {
      kind: "int",
      min: 1,
      max: 100_000,
      default: 2000,
      help: "N: number of random masks (the paper used 4000)",
      slider: {min: 16, max: 8000, step: 16},
      quick: 100
    },
    grid: {kind: "int", min: 2, max: 64, default: 7, help: "s: grid cells per side", slider: {max: 16}},
    keep: {kind: "number", min: 0, max: 1, exclusiveMin: true, default: 0.5, help: "p: probability that a cell is kept", slider: {min: 0.05, step: 0.05}},
    seed: seedParam,
    batchSize: batchParam("forward")
  },
  async run(context, {classIndex, masks: maskCount, grid, keep, seed, batchSize}) {
    const {model, pixels, image} = context;
    const target = await targetOfImage(context, classIndex);
    const settings = {grid, keep, height: model.inputHeight, width: model.inputWidth};
    const scoringStart = performance.now();
    const scored = await scoreMasks(model, pixels, riseMaskSource(maskCount, settings, seed), {
      classIndex: target.classIndex,
      score: context.scoreMode,
      batchSize,
      work: context.work(maskCount, "masks"),
      weighting: "score",
      executor: context.executor
    });
    const saliency = context.hold(scored.weightedSums[0]!);
    const scoringMs = performance.now() - scoringStart;
    const map = await finalMap(context.hold(tf.mul(saliency, 1 / (maskCount * keep)) as tf.Tensor2D), image.width, image.height);
    const {cellHeight, cellWidth} = riseCellSize(settings);
    return {
      map,
      target,
      layer: null,
      timings: {scoringMs},
      passes: {forward: maskCount + 1, backward: 0},
      intermediates: {maskCount, grid, keep, cellHeight, cellWidth, scores: scored.scores}
    };
  }
});
