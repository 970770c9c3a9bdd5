/**
 * Perturbation scoring shared by RISE, Score-CAM and SISE: s_k = Ψ_c(I ⊙ m_k) for a stream of
 * masks, in batches (one forward pass per batch), with progress, cancellation between batches
 * and, optionally, the weighted mask sum Σ_k weight_k·m_k accumulated on the way — one sum per
 * segment of the stream (SISE: one per layer, scored as one stream so batches stay full).
 */
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../model/adapter.js";
import type {ScoreMode} from "../model/score.js";
import {runInOrder, type PassExecutor} from "./executor.js";
import {maskedImages, weightedMaskSums} from "./masking.js";
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
  /** Mask counts of consecutive parts of the stream, one weighted sum each; default: one part. */
  segments?: readonly number[];
  /** Runs the forward passes (several batches at once); default: `model` in this thread. */
  executor?: PassExecutor;
}

export interface MaskScores {
  /** s_k for every mask, in source order. */
  scores: Float32Array;
  /** Σ_k weight_k·m_k [H, W] per segment (caller disposes; zeros for an empty segment), or [] without `weight`. */
  weightedSums: tf.Tensor2D[];
}

/** Scores every mask of `source` on `pixels` [1, H, W, 3] (pixel space: the image is masked before preprocessing). */
export async function scoreMasks(
  model: ExplainableModel,
  pixels: tf.Tensor4D,
  source: MaskSource,
  scoring: MaskScoring
): Promise<MaskScores> {
  const sums = new SegmentSums(scoring.segments ?? [source.count], source.count);
  try {
    const scores = scoring.executor
      ? await scoreWithExecutor(scoring.executor, pixels, source, scoring, sums)
      : await scoreInThread(model, pixels, source, scoring, sums);
    return {scores, weightedSums: scoring.weight ? sums.take(pixels.shape[1], pixels.shape[2]) : []};
  } finally {
    sums.dispose();
  }
}

async function scoreInThread(model: ExplainableModel, pixels: tf.Tensor4D, source: MaskSource, scoring: MaskScoring, sums: SegmentSums): Promise<Float32Array> {
  const {classIndex, score, batchSize, work, weight} = scoring;
  const scores = new Float32Array(source.count);
  for (let start = 0; start < source.count; start += batchSize) {
    const size = Math.min(batchSize, source.count - start);
    const [batchScores, ...partials] = tf.tidy(() => {
      const masks = source.make(start, size);
      const s = model.scores(maskedImages(pixels, masks), classIndex, score);
      return weight ? [s, ...sums.partials(start, masks, weight(s, masks))] : [s];
    });
    if (weight) sums.add(start, size, partials as tf.Tensor2D[]);
    const values = await batchScores!.data();
    batchScores!.dispose();
    assertFinite(values, "class score");
    scores.set(values, start);
    await yieldToEventLoop();
    work.advance(size);
  }
  return scores;
}

/**
 * scoreMasks through an executor: masks are made here in order, masked images go out with up to
 * `executor.concurrency` batches in flight, and scores and the weighted sums are taken in source
 * order, so the result equals the sequential run's bit for bit.
 */
async function scoreWithExecutor(executor: PassExecutor, pixels: tf.Tensor4D, source: MaskSource, scoring: MaskScoring, sums: SegmentSums): Promise<Float32Array> {
  const {classIndex, score, batchSize, work, weight} = scoring;
  const scores = new Float32Array(source.count);
  await runInOrder({
    count: Math.ceil(source.count / batchSize),
    concurrency: executor.concurrency,
    start: async (batch) => {
      const start = batch * batchSize;
      const size = Math.min(batchSize, source.count - start);
      const masks = source.make(start, size);
      try {
        const masked = maskedImages(pixels, masks);
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
        if (weight) sums.add(start, values.length, tf.tidy(() => sums.partials(start, masks, weight(tf.tensor1d(values), masks))));
      } finally {
        masks.dispose();
      }
      scores.set(values, start);
      await yieldToEventLoop();
      work.advance(values.length);
    },
    discard: ({masks}) => masks.dispose()
  });
  return scores;
}

/** Σ_k weight_k·m_k per segment of the stream, accumulated batch by batch in source order. */
class SegmentSums {
  /** Stream offset where each segment starts, then the total. */
  private readonly bounds: number[];
  private readonly sums: (tf.Tensor2D | null)[];

  constructor(segments: readonly number[], count: number) {
    if (segments.some((n) => !Number.isInteger(n) || n < 0) || segments.reduce((a, b) => a + b, 0) !== count) {
      throw new Error(`mask segments ${JSON.stringify(segments)} must be counts adding up to the ${count} masks`);
    }
    this.bounds = [0];
    for (const n of segments) this.bounds.push(this.bounds[this.bounds.length - 1]! + n);
    this.sums = segments.map(() => null);
  }

  /** Segments overlapping masks start..start+size−1, as [segment, first, end) offsets into the batch. */
  private pieces(start: number, size: number): [number, number, number][] {
    const found: [number, number, number][] = [];
    for (let s = 0; s < this.sums.length; s++) {
      const from = Math.max(start, this.bounds[s]!);
      const to = Math.min(start + size, this.bounds[s + 1]!);
      if (from < to) found.push([s, from - start, to - start]);
    }
    return found;
  }

  /** The batch's contribution to each segment it overlaps (call inside a tidy). */
  partials(start: number, masks: tf.Tensor4D, weights: tf.Tensor1D): tf.Tensor2D[] {
    return weightedMaskSums(
      masks,
      weights,
      this.pieces(start, masks.shape[0]).map(([, from, to]) => [from, to] as const)
    );
  }

  /** Adds `partials(start, …)` of a batch of `size` masks to the running sums (takes ownership). */
  add(start: number, size: number, partials: tf.Tensor2D[]): void {
    this.pieces(start, size).forEach(([segment], i) => {
      const previous = this.sums[segment];
      const partial = partials[i]!;
      this.sums[segment] = previous ? (tf.add(previous, partial) as tf.Tensor2D) : partial;
      if (previous) tf.dispose([previous, partial]);
    });
  }

  /** The sums (zeros for a segment without masks); the caller owns them from here. */
  take(height: number, width: number): tf.Tensor2D[] {
    const taken = this.sums.map((sum) => sum ?? (tf.zeros([height, width]) as tf.Tensor2D));
    this.sums.fill(null);
    return taken;
  }

  dispose(): void {
    tf.dispose(this.sums.filter((s): s is tf.Tensor2D => s !== null));
    this.sums.fill(null);
  }
}
