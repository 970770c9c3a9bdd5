/**
 * Perturbation scoring shared by RISE, Score-CAM and SISE: s_k = Ψ_c(I ⊙ m_k) for a stream of
 * masks, in batches (one forward pass per batch), with progress, cancellation between batches
 * and, optionally, the weighted mask sum Σ_k weight_k·m_k accumulated on the way — one sum per
 * segment of the stream (SISE: one per layer, scored as one stream so batches stay full).
 */
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../model/adapter.js";
import type {ScoreMode} from "../model/score.js";
import {runInOrder} from "./executor.js";
import {assertModelFinite} from "./finite.js";
import {maskWeights} from "./mask-recipes.js";
import {maskedImages, weightedMaskSums} from "./masks.js";
import {yieldToEventLoop, type WorkTracker} from "./progress.js";
import type {MaskSource, MaskWeighting, PassExecutor, ProbeBatchRequest} from "./types.js";

export interface MaskScoring {
  classIndex: number;
  score: ScoreMode;
  batchSize: number;
  work: WorkTracker;
  /** Per-mask weights from the batch's scores (and masks); when given, Σ_k weight_k·m_k is returned. */
  weighting?: MaskWeighting;
  /** Mask counts of consecutive parts of the stream, one weighted sum each; default: one part. */
  segments?: readonly number[];
  /** Runs the forward passes (several batches at once); default: `model` in this thread. */
  executor?: PassExecutor;
}

export interface MaskScores {
  /** s_k for every mask, in source order. */
  scores: Float32Array;
  /** Σ_k weight_k·m_k [H, W] per segment (caller disposes; zeros for an empty segment), or [] without `weighting`. */
  weightedSums: tf.Tensor2D[];
}

/** Scores every mask of `source` on `pixels` [1, H, W, 3] (pixel space: the image is masked before preprocessing). */
export async function scoreMasks(model: ExplainableModel, pixels: tf.Tensor4D, source: MaskSource, scoring: MaskScoring): Promise<MaskScores> {
  const sums = new SegmentSums(scoring.segments ?? [source.count], source.count);
  try {
    const scores = scoring.executor
      ? await scoreWithExecutor(scoring.executor, pixels, source, scoring, sums)
      : await scoreInThread(model, pixels, source, scoring, sums);
    return {scores, weightedSums: scoring.weighting ? sums.take(pixels.shape[1], pixels.shape[2]) : []};
  } finally {
    sums.dispose();
  }
}

/**
 * Batches of `batchSize` masks in stream order, except that an odd number of batches (more than
 * one) ends in two halves of the last: spread over two workers, the last batch would otherwise
 * run alone while the other worker waits. The plan depends on the counts only, so every executor
 * (and the run in this thread) sums the same batches and gives the same bits.
 */
export function maskBatches(count: number, batchSize: number): {start: number; size: number}[] {
  const batches: {start: number; size: number}[] = [];
  for (let start = 0; start < count; start += batchSize) batches.push({start, size: Math.min(batchSize, count - start)});
  const last = batches[batches.length - 1];
  if (batches.length > 1 && batches.length % 2 === 1 && last!.size > 1) {
    const first = Math.ceil(last!.size / 2);
    batches.splice(-1, 1, {start: last!.start, size: first}, {start: last!.start + first, size: last!.size - first});
  }
  return batches;
}

async function scoreInThread(model: ExplainableModel, pixels: tf.Tensor4D, source: MaskSource, scoring: MaskScoring, sums: SegmentSums): Promise<Float32Array> {
  const {classIndex, score, work, weighting} = scoring;
  const scores = new Float32Array(source.count);
  for (const {start, size} of maskBatches(source.count, scoring.batchSize)) {
    const [batchScores, ...partials] = tf.tidy(() => {
      const masks = source.make(start, size);
      const s = model.scores(maskedImages(pixels, masks), classIndex, score);
      return weighting ? [s, ...weightedMaskSums(masks, maskWeights(weighting, s, masks), sums.parts(start, size))] : [s];
    });
    if (weighting) sums.add(start, size, partials as tf.Tensor2D[]);
    const values = await batchScores!.data();
    batchScores!.dispose();
    assertModelFinite(values, "class score");
    scores.set(values, start);
    await yieldToEventLoop();
    work.advance(size);
  }
  return scores;
}

/**
 * scoreMasks through an executor, with up to `executor.concurrency` batches in flight; scores and
 * the weighted sums are taken in source order, so the result equals the sequential run's bit for
 * bit. Where the executor and the source both can, a batch goes out as a recipe and the executor
 * makes, scores and sums its masks (this thread only adds sums); otherwise masks are made here.
 */
async function scoreWithExecutor(
  executor: PassExecutor,
  pixels: tf.Tensor4D,
  source: MaskSource,
  scoring: MaskScoring,
  sums: SegmentSums
): Promise<Float32Array> {
  const {classIndex, score, work, weighting} = scoring;
  const scores = new Float32Array(source.count);
  const batches = maskBatches(source.count, scoring.batchSize);
  const byRecipe = executor.scoreMaskRecipe && source.recipe ? {score: executor.scoreMaskRecipe.bind(executor), recipe: source.recipe.bind(source)} : null;
  const image = byRecipe ? ((await pixels.data()) as Float32Array) : null;
  type Batch = {start: number; values: Float32Array; masks: tf.Tensor4D | null; partials: Float32Array[]};
  await runInOrder<Batch>({
    count: batches.length,
    concurrency: executor.concurrency,
    start: async (batch) => {
      const {start, size} = batches[batch]!;
      if (byRecipe) {
        const request = {pixels: image!, recipe: byRecipe.recipe(start, size), classIndex, score, weighting: weighting ?? null, parts: sums.parts(start, size)};
        const result = await byRecipe.score(request, work.signal);
        return {start, values: result.scores, masks: null, partials: result.sums};
      }
      const masks = source.make(start, size);
      try {
        const masked = maskedImages(pixels, masks);
        const values = (await masked.data()) as Float32Array;
        masked.dispose();
        return {start, masks, values: await executor.scoreBatch(values, size, classIndex, score, work.signal), partials: []};
      } catch (error) {
        masks.dispose();
        throw error;
      }
    },
    consume: async ({start, masks, values, partials}) => {
      try {
        assertModelFinite(values, "class score");
        if (weighting) {
          const [height, width] = [pixels.shape[1], pixels.shape[2]];
          const taken = masks
            ? tf.tidy(() => weightedMaskSums(masks, maskWeights(weighting, tf.tensor1d(values), masks), sums.parts(start, values.length)))
            : partials.map((sum) => tf.tensor2d(sum, [height, width]));
          sums.add(start, values.length, taken);
        }
      } finally {
        masks?.dispose();
      }
      scores.set(values, start);
      await yieldToEventLoop();
      work.advance(values.length);
    },
    discard: ({masks}) => masks?.dispose()
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

  /** Parts [from, to) of masks start..start+size−1 that fall in one segment each, in order. */
  parts(start: number, size: number): [number, number][] {
    return this.pieces(start, size).map(([, from, to]) => [from, to]);
  }

  /** Adds a batch's weighted sum over each of `parts(start, size)` to the running sums (takes ownership). */
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

/** Batches of gradient passes over generated inputs (Integrated Grad-CAM's path points, IG's). */
export interface GradientBatches {
  /** Inputs in all. */
  count: number;
  batchSize: number;
  /** Inputs first..first+count−1 as pixels [count, H, W, 3] (0..255, model input size). */
  inputs(first: number, count: number): tf.Tensor4D;
  /** Layers probed; with `inputGradient` the pass also differentiates to the pixels (in this thread). */
  request: ProbeBatchRequest & {inputGradient?: boolean};
  /** What a batch's pass leaves behind, from its activations and gradients (run in a tidy). */
  reduce(pass: {activations: tf.Tensor4D[]; gradients: tf.Tensor4D[]; inputGradient?: tf.Tensor4D}): tf.Tensor;
  /** Takes a batch's reduced tensor and scores in input order; both are disposed after it returns. */
  consume(first: number, count: number, reduced: tf.Tensor, scores: tf.Tensor1D): void | Promise<void>;
  work: WorkTracker;
}

/**
 * Runs gradient batches in this thread, or through the executor with several in flight (taken in
 * input order, so results equal the sequential run's bit for bit); progress and cancellation
 * after every batch. Input gradients always run here (executors return layer gradients only).
 */
export async function runGradientBatches(model: ExplainableModel, executor: PassExecutor | undefined, spec: GradientBatches): Promise<void> {
  const {count, batchSize, request, work} = spec;
  const finish = async (first: number, size: number, reduced: tf.Tensor, scores: tf.Tensor1D) => {
    try {
      await spec.consume(first, size, reduced, scores);
    } finally {
      tf.dispose([reduced, scores]);
    }
    await yieldToEventLoop();
    work.advance(size);
  };
  if (!executor || request.inputGradient) {
    for (let first = 0; first < count; first += batchSize) {
      const size = Math.min(batchSize, count - first);
      const [reduced, scores] = tf.tidy(() => {
        const probe = model.probe(spec.inputs(first, size), request);
        return [spec.reduce({activations: probe.activations, gradients: probe.gradients!, inputGradient: probe.inputGradient}), probe.scores!];
      });
      await finish(first, size, reduced!, scores as tf.Tensor1D);
    }
    return;
  }
  await runInOrder({
    count: Math.ceil(count / batchSize),
    concurrency: executor.concurrency,
    start: async (batch) => {
      const first = batch * batchSize;
      const size = Math.min(batchSize, count - first);
      const inputs = spec.inputs(first, size);
      const values = (await inputs.data()) as Float32Array;
      inputs.dispose();
      return {first, size, probe: await executor.probeBatch(values, size, request, work.signal)};
    },
    consume: async ({first, size, probe}) => {
      const reduced = tf.tidy(() => {
        const tensors = (arrays: Float32Array[]) => arrays.map((values, i) => tf.tensor4d(values, probe.shapes[i] as [number, number, number, number]));
        return spec.reduce({activations: tensors(probe.activations), gradients: tensors(probe.gradients)});
      });
      await finish(first, size, reduced, tf.tensor1d(probe.scores));
    }
  });
}

export type {MaskSource} from "./types.js";
