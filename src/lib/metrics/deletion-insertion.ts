/**
 * Deletion and insertion curves (algorithms.md, Metrics). Pixels are taken in order
 * of S (most salient first, ties in row-major order). Deletion starts from the image
 * and replaces pixels by the canvas; insertion starts from the canvas and puts image
 * pixels back. Step k (k = 0..steps) has `round(k·n/steps)` pixels changed, so step 0
 * is the untouched start and step `steps` the full swap. Images are interleaved HWC
 * Float32Arrays in pixel space; the model is a callback, so nothing here needs tfjs.
 */
import type {SaliencyMap} from "../maps/types.js";
import {channelsOf} from "./apply-mask.js";
import {curveAuc} from "./auc.js";
import {rankPixelsDescending} from "./ranking.js";

export type CurveMode = "deletion" | "insertion";

/** Pixel order for deletion/insertion: descending S, ties by row-major index. */
export function deletionInsertionOrder(map: SaliencyMap): Uint32Array {
  return rankPixelsDescending(map);
}

/** Pixels changed at step k of `steps`: `round(k·n/steps)`. */
export function pixelsAtStep(step: number, steps: number, pixels: number): number {
  return Math.round((step * pixels) / steps);
}

export interface CurveImageOptions {
  mode: CurveMode;
  /** Number of steps; the curve has steps + 1 points. */
  steps: number;
  /** Replacement values (same layout as the image); default black (all 0). Use gaussianBlurImage for a blurred one. */
  canvas?: Float32Array;
}

export interface CurveBatchOptions extends CurveImageOptions {
  /** Images per batch (default 16). */
  batchSize?: number;
}

function checkInputs(image: Float32Array, map: SaliencyMap, steps: number, canvas: Float32Array | undefined): number {
  const channels = channelsOf(image, map.data.length);
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`steps must be a positive integer, got ${steps}`);
  if (canvas !== undefined && canvas.length !== image.length) {
    throw new Error(`canvas has length ${canvas.length}, image has ${image.length}`);
  }
  return channels;
}

/**
 * The curve's images in batches, built incrementally (one working image, each step
 * copied out), so a long curve never holds more than one batch.
 */
export function* deletionInsertionBatches(
  image: Float32Array,
  map: SaliencyMap,
  options: CurveBatchOptions
): Generator<{firstStep: number; images: Float32Array[]}> {
  const {mode, steps, batchSize = 16} = options;
  const canvas = options.canvas ?? new Float32Array(image.length);
  const channels = checkInputs(image, map, steps, options.canvas);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const order = deletionInsertionOrder(map);
  const pixels = order.length;
  const source = mode === "deletion" ? canvas : image;
  const working = (mode === "deletion" ? image : canvas).slice();
  let changed = 0;
  let batch: Float32Array[] = [];
  let firstStep = 0;
  for (let step = 0; step <= steps; step++) {
    const target = pixelsAtStep(step, steps, pixels);
    for (; changed < target; changed++) {
      const offset = order[changed]! * channels;
      for (let d = 0; d < channels; d++) working[offset + d] = source[offset + d]!;
    }
    batch.push(working.slice());
    if (batch.length === batchSize || step === steps) {
      yield {firstStep, images: batch};
      firstStep = step + 1;
      batch = [];
    }
  }
}

/** All steps + 1 images of a curve at once (fine for small images or few steps). */
export function buildDeletionInsertionImages(image: Float32Array, map: SaliencyMap, steps: number, mode: CurveMode, canvas?: Float32Array): Float32Array[] {
  const images: Float32Array[] = [];
  for (const {images: batch} of deletionInsertionBatches(image, map, {mode, steps, canvas, batchSize: steps + 1})) {
    images.push(...batch);
  }
  return images;
}

export interface CurveRunOptions {
  mode: CurveMode;
  /** Default 100. */
  steps?: number;
  canvas?: Float32Array;
  /** Images per scoreBatch call (default 16). */
  batchSize?: number;
  signal?: AbortSignal;
  /** Called after each batch with steps done and total steps + 1. */
  onProgress?: (done: number, total: number) => void;
}

export interface DeletionInsertionCurve {
  mode: CurveMode;
  steps: number;
  /** Fraction of pixels changed at each point (0 … 1). */
  fractions: number[];
  /** Model score at each point. */
  scores: number[];
  /** Trapezoidal area under scores over fractions. */
  auc: number;
}

/** Run a curve through a batched score callback (e.g. class probability of a tfjs model). */
export async function deletionInsertionCurve(
  image: Float32Array,
  map: SaliencyMap,
  scoreBatch: (images: Float32Array[]) => Promise<number[]> | number[],
  options: CurveRunOptions
): Promise<DeletionInsertionCurve> {
  const {mode, steps = 100, canvas, batchSize = 16, signal, onProgress} = options;
  const scores: number[] = [];
  signal?.throwIfAborted();
  for (const {images} of deletionInsertionBatches(image, map, {mode, steps, canvas, batchSize})) {
    const batchScores = await scoreBatch(images);
    if (batchScores.length !== images.length) {
      throw new Error(`scoreBatch returned ${batchScores.length} scores for ${images.length} images`);
    }
    scores.push(...batchScores);
    signal?.throwIfAborted();
    onProgress?.(scores.length, steps + 1);
  }
  const pixels = map.data.length;
  const fractions = Array.from({length: steps + 1}, (_, k) => pixelsAtStep(k, steps, pixels) / pixels);
  return {mode, steps, fractions, scores, auc: curveAuc(scores, fractions)};
}
