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
import type {ProbeBatchRequest, ProbeBatchResult} from "./types.js";

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

export type {PassExecutor, ProbeBatchRequest, ProbeBatchResult} from "./types.js";
