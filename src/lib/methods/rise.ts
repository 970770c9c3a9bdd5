/**
 * RISE: S = (1/(N·p))·Σ_i Ψ_c(I⊙M_i)·M_i over N seeded random masks (see rise-masks.ts).
 * Default N = 2000, half the paper's 4000, to halve the run time in the browser; pass
 * `masks: 4000` to match the paper.
 */
import * as tf from "@tensorflow/tfjs";
import {batchSizeOption, checkIntegerOption, checkNumberOption} from "./options.js";
import {explanationRecord, imageToPixels, readMap, recordableOptions, resolveTarget, upsampleAndNormalize} from "./pipeline.js";
import {AbortedError, WorkTracker} from "./progress.js";
import {riseCellSize, riseMaskSource} from "./rise-masks.js";
import {scoreMasks} from "./scoring.js";
import type {CommonOptions, Explanation, Method} from "./types.js";

export interface RiseOptions extends CommonOptions {
  /** N: number of masks (1–100000, default 2000). */
  masks?: number;
  /** s: grid cells per side (2–64, default 7). */
  grid?: number;
  /** p: probability a cell is kept (0 < p ≤ 1, default 0.5). */
  keep?: number;
}

export const rise: Method<RiseOptions> = {
  name: "rise",
  title: "RISE",
  defaultScore: "softmax",
  async explain(model, image, options = {}): Promise<Explanation> {
    const startedAt = performance.now();
    const maskCount = checkIntegerOption("masks", options.masks ?? 2000, 1, 100_000);
    const grid = checkIntegerOption("grid", options.grid ?? 7, 2, 64);
    const keep = checkNumberOption("keep", options.keep ?? 0.5, 0, 1, true);
    const seed = checkIntegerOption("seed", options.seed ?? 0, 0, 2 ** 32 - 1);
    const batchSize = batchSizeOption(model, options.batchSize, "forward");
    const scoreMode = options.score ?? "softmax";
    if (options.signal?.aborted) throw new AbortedError();
    const pixels = imageToPixels(model, image);
    let saliency: tf.Tensor2D | null = null;
    try {
      const target = await resolveTarget(model, pixels, options.classIndex, scoreMode);
      const settings = {grid, keep, height: model.inputHeight, width: model.inputWidth};
      const work = new WorkTracker(maskCount, options.signal, options.onProgress, "masks");
      const scoringStart = performance.now();
      const scored = await scoreMasks(model, pixels, riseMaskSource(maskCount, settings, seed), {
        classIndex: target.classIndex,
        score: scoreMode,
        batchSize,
        work,
        weighting: "score",
        executor: options.executor
      });
      saliency = scored.weightedSums[0]!;
      const scoringMs = performance.now() - scoringStart;
      const scaled = tf.mul(saliency, 1 / (maskCount * keep)) as tf.Tensor2D;
      const map = await readMap(tf.tidy(() => upsampleAndNormalize(scaled, image.width, image.height)));
      scaled.dispose();
      const {cellHeight, cellWidth} = riseCellSize(settings);
      return explanationRecord({
        method: "rise",
        model,
        map,
        classIndex: target.classIndex,
        scoreMode,
        scoreValue: target.scoreValue,
        layer: null,
        options: recordableOptions({...options, masks: maskCount, grid, keep, seed, batchSize, score: scoreMode}),
        startedAt,
        timings: {scoringMs},
        passes: {forward: maskCount + 1, backward: 0},
        intermediates: {maskCount, grid, keep, cellHeight, cellWidth, scores: scored.scores}
      });
    } finally {
      tf.dispose(saliency ? [pixels, saliency] : [pixels]);
    }
  }
};
