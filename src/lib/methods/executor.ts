/**
 * The seam between a method and the network passes it makes. Perturbation scoring and Integrated
 * Grad-CAM's path points are independent batches, so an executor may run several at once (a
 * pool of Node worker threads, each with its own copy of the model); the method keeps the
 * in-order bookkeeping, so its map is the same bit for bit whatever runs the passes.
 * Browser-safe: plain typed arrays cross the seam, no DOM and no Node APIs.
 */
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../model/adapter.js";
import type {ScoreMode} from "../model/score.js";
import {scoreMaskRecipe, type MaskRecipeRequest, type MaskRecipeResult} from "./mask-recipes.js";

export interface ProbeBatchRequest {
  layers: readonly string[];
  classIndex: number;
  score: ScoreMode;
}

export interface ProbeBatchResult {
  /** Activations per requested layer, row-major with `shapes[i]` ([count, h, w, k]). */
  activations: Float32Array[];
  /** ∂score/∂activation per layer, same shapes as the activations. */
  gradients: Float32Array[];
  shapes: number[][];
  /** The class score of each image [count]. */
  scores: Float32Array;
}

/**
 * Every call may take the run's AbortSignal: an executor that queues work (the pool) drops calls
 * not yet started once it aborts (they reject with AbortedError), so a cancelled run stops
 * within the batches already running instead of leaving its whole window of batches behind.
 */
export interface PassExecutor {
  /** How many batches a method should keep in flight to keep the executor busy. */
  readonly concurrency: number;
  /**
   * Class scores of `count` pixel images [count, H, W, 3] (0..255, model input size). The
   * executor may take ownership of `pixels` (transfer it to a worker): don't reuse it after.
   */
  scoreBatch(pixels: Float32Array, count: number, classIndex: number, mode: ScoreMode, signal?: AbortSignal): Promise<Float32Array>;
  /** One forward + backward pass: activations and gradients of the class score at `layers`. */
  probeBatch(pixels: Float32Array, count: number, request: ProbeBatchRequest, signal?: AbortSignal): Promise<ProbeBatchResult>;
  /**
   * Optional: makes a batch of masks from its recipe, scores the masked images and sums the
   * weighted masks, all on the executor's side (mask-recipes.ts `scoreMaskRecipe`).
   */
  scoreMaskRecipe?(request: MaskRecipeRequest, signal?: AbortSignal): Promise<MaskRecipeResult>;
}

function pixelTensor(model: ExplainableModel, pixels: Float32Array, count: number): tf.Tensor4D {
  const expected = count * model.inputHeight * model.inputWidth * 3;
  if (pixels.length !== expected) {
    throw new Error(`a batch of ${count} images at ${model.inputWidth}x${model.inputHeight} needs ${expected} values, got ${pixels.length}`);
  }
  return tf.tensor4d(pixels, [count, model.inputHeight, model.inputWidth, 3]);
}

/** Scores a batch on `model` in this thread (the computation a pool worker runs). */
export async function scoreBatchOn(model: ExplainableModel, pixels: Float32Array, count: number, classIndex: number, mode: ScoreMode): Promise<Float32Array> {
  const scores = tf.tidy(() => model.scores(pixelTensor(model, pixels, count), model.checkClass(classIndex), mode));
  try {
    return Float32Array.from(await scores.data());
  } finally {
    scores.dispose();
  }
}

/** Probes a batch on `model` in this thread (the computation a pool worker runs). */
export async function probeBatchOn(model: ExplainableModel, pixels: Float32Array, count: number, request: ProbeBatchRequest): Promise<ProbeBatchResult> {
  const classIndex = model.checkClass(request.classIndex);
  const input = pixelTensor(model, pixels, count);
  let probe: ReturnType<ExplainableModel["probe"]>;
  try {
    probe = model.probe(input, {layers: request.layers, classIndex, score: request.score});
  } finally {
    input.dispose();
  }
  try {
    const [scores, ...values] = await Promise.all([probe.scores!.data(), ...probe.activations.map((a) => a.data()), ...probe.gradients!.map((g) => g.data())]);
    const layers = probe.activations.length;
    return {
      activations: values.slice(0, layers).map((v) => Float32Array.from(v)),
      gradients: values.slice(layers).map((v) => Float32Array.from(v)),
      shapes: probe.activations.map((a) => [...a.shape]),
      scores: Float32Array.from(scores)
    };
  } finally {
    tf.dispose([probe.logits, probe.scores!, probe.classes!, ...probe.activations, ...probe.gradients!]);
  }
}

/** The default executor: the model in this thread, one batch at a time. */
export function inProcessExecutor(model: ExplainableModel): PassExecutor {
  return {
    concurrency: 1,
    scoreBatch: (pixels, count, classIndex, mode) => scoreBatchOn(model, pixels, count, classIndex, mode),
    probeBatch: (pixels, count, request) => probeBatchOn(model, pixels, count, request),
    scoreMaskRecipe: (request) => scoreMaskRecipe(model, request)
  };
}

/**
 * Runs tasks 0..count−1 with up to `concurrency` started and not yet consumed, and hands the
 * results to `consume` strictly in task order (so sums accumulate as in a sequential run).
 * Tasks start in order too (mask sources must be read in order). On a failure (or a throw from
 * `consume`, e.g. cancellation) the tasks still in flight are left to finish and `discard`ed.
 */
export async function runInOrder<T>(spec: {
  count: number;
  concurrency: number;
  start: (index: number) => Promise<T>;
  consume: (result: T, index: number) => void | Promise<void>;
  discard?: (result: T) => void;
}): Promise<void> {
  const {count, start, consume, discard} = spec;
  const window = Math.max(1, Math.floor(spec.concurrency));
  const pending: Promise<T>[] = [];
  let started = 0;
  let consumed = 0;
  const launch = () => {
    while (started < count && started - consumed < window) {
      const index = started++;
      // A synchronous throw in `start` becomes a rejection, handled like any other.
      const task = Promise.resolve().then(() => start(index));
      task.catch(() => {}); // rejections are observed when consumed or dropped
      pending[index] = task;
    }
  };
  try {
    launch();
    while (consumed < count) {
      const result = await pending[consumed]!;
      delete pending[consumed];
      consumed++;
      try {
        await consume(result, consumed - 1);
      } catch (error) {
        discard?.(result);
        throw error;
      }
      launch();
    }
  } finally {
    for (let i = consumed; i < started; i++) {
      pending[i]?.then(
        (result) => discard?.(result),
        () => {}
      );
    }
  }
}
