/**
 * Perturbation scoring shared by RISE, Score-CAM and SISE: s_k = Ψ_c(I ⊙ m_k) for a stream of
 * masks, in batches (one forward pass per batch), with progress, cancellation between batches
 * and, optionally, the weighted mask sum Σ_k weight_k·m_k accumulated on the way.
 */
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../model/adapter.js";
import type {ScoreMode} from "../model/score.js";
import {runInOrder, type PassExecutor} from "./executor.js";
import {weightedMaskSum} from "./masking.js";
import {assertFinite} from "./pipeline.js";
import {yieldToEventLoop, type WorkTracker} from "./progress.js";

/** Masks made on demand, batch by batch, so that thousands of them never sit in memory at once. */
export interface MaskSource {
  count: number;
  /** Masks start..start+size−1 as [size, H, W, 1] (0..1) at the model's input size; called in order. */
  make(start: number, size: number): tf.Tensor4D;
}

export interface MaskScoring {
  classIndex: number;
  score: ScoreMode;
  batchSize: number;
  work: WorkTracker;
  /** Per-mask weights [b] from the batch's scores and masks; when given, Σ_k weight_k·m_k is returned. */
  weight?: (scores: tf.Tensor1D, masks: tf.Tensor4D) => tf.Tensor1D;
  /** Runs the forward passes (several batches at once); default: `model` in this thread. */
  executor?: PassExecutor;
}

export interface MaskScores {
  /** s_k for every mask, in source order. */
  scores: Float32Array;
  /** Σ_k weight_k·m_k [H, W] (caller disposes), or null without `weight`. */
  weightedSum: tf.Tensor2D | null;
}

/** Scores every mask of `source` on `pixels` [1, H, W, 3] (pixel space: the image is masked before preprocessing). */
export async function scoreMasks(
  model: ExplainableModel,
  pixels: tf.Tensor4D,
  source: MaskSource,
  scoring: MaskScoring
): Promise<MaskScores> {
  if (scoring.executor) return scoreMasksWithExecutor(scoring.executor, pixels, source, scoring);
  const {classIndex, score, batchSize, work, weight} = scoring;
  const scores = new Float32Array(source.count);
  let sum: tf.Tensor2D | null = null;
  try {
    for (let start = 0; start < source.count; start += batchSize) {
      const size = Math.min(batchSize, source.count - start);
      const [batchScores, batchSum] = tf.tidy(() => {
        const masks = source.make(start, size);
        const s = model.scores(tf.mul(pixels, masks) as tf.Tensor4D, classIndex, score);
        return weight ? [s, weightedMaskSum(masks, weight(s, masks))] : [s];
      });
      if (batchSum) {
        const next: tf.Tensor2D = sum ? tf.add(sum, batchSum) : batchSum;
        if (sum) tf.dispose([sum, batchSum]);
        sum = next as tf.Tensor2D;
      }
      const values = await batchScores!.data();
      batchScores!.dispose();
      assertFinite(values, "class score");
      scores.set(values, start);
      await yieldToEventLoop();
      work.advance(size);
    }
    return {scores, weightedSum: sum};
  } catch (error) {
    sum?.dispose();
    throw error;
  }
}

/**
 * scoreMasks through an executor: masks are made here in order, masked images go out with up to
 * `executor.concurrency` batches in flight, and scores and the weighted sum are taken in source
 * order, so the result equals the sequential run's bit for bit.
 */
async function scoreMasksWithExecutor(executor: PassExecutor, pixels: tf.Tensor4D, source: MaskSource, scoring: MaskScoring): Promise<MaskScores> {
  const {classIndex, score, batchSize, work, weight} = scoring;
  const scores = new Float32Array(source.count);
  let sum: tf.Tensor2D | null = null;
  try {
    await runInOrder({
      count: Math.ceil(source.count / batchSize),
      concurrency: executor.concurrency,
      start: async (batch) => {
        const start = batch * batchSize;
        const size = Math.min(batchSize, source.count - start);
        const masks = source.make(start, size);
        try {
          const masked = tf.tidy(() => tf.mul(pixels, masks));
          const values = (await masked.data()) as Float32Array;
          masked.dispose();
          return {start, masks, values: await executor.scoreBatch(values, size, classIndex, score)};
        } catch (error) {
          masks.dispose();
          throw error;
        }
      },
      consume: async ({start, masks, values}) => {
        try {
          assertFinite(values, "class score");
          if (weight) {
            const batchSum = tf.tidy(() => weightedMaskSum(masks, weight(tf.tensor1d(values), masks)));
            const next: tf.Tensor2D = sum ? tf.add(sum, batchSum) : batchSum;
            if (sum) tf.dispose([sum, batchSum]);
            sum = next;
          }
        } finally {
          masks.dispose();
        }
        scores.set(values, start);
        await yieldToEventLoop();
        work.advance(values.length);
      },
      discard: ({masks}) => masks.dispose()
    });
    return {scores, weightedSum: sum};
  } catch (error) {
    (sum as tf.Tensor2D | null)?.dispose();
    throw error;
  }
}
