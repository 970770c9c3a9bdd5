/**
 * Phases shared by the methods: image → pixels at model size, class choice, low-resolution
 * map → image size (bilinear, half-pixel centres) → min-max, and the result record.
 */
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../model/adapter.js";
import type {ScoreMode} from "../model/score.js";
import type {SaliencyMap} from "../maps/types.js";
import type {CommonOptions, Explanation, RgbImage} from "./types.js";

export function validateImage(image: RgbImage): RgbImage {
  const {width, height, rgb} = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`image size must be positive integers, got ${width}x${height}`);
  }
  if (rgb.length !== width * height * 3) {
    throw new Error(`image data has ${rgb.length} values; ${width}x${height} RGB needs ${width * height * 3}`);
  }
  return image;
}

/** Pixel tensor [1, H, W, 3] (0..255) at the model's input size. */
export function imageToPixels(model: ExplainableModel, image: RgbImage): tf.Tensor4D {
  validateImage(image);
  return tf.tidy(() => {
    const raw = tf.tensor4d(Float32Array.from(image.rgb), [1, image.height, image.width, 3]);
    if (image.height === model.inputHeight && image.width === model.inputWidth) return raw;
    return tf.image.resizeBilinear(raw, [model.inputHeight, model.inputWidth], false, true);
  });
}

/** Throws a clear error when a tensor read back holds NaN or infinities. */
export function assertFinite(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw new Error(`${what} contains ${values[i]} (at index ${i}): the model produced non-finite values`);
    }
  }
}

/** The class to explain (default: top prediction) and its score under `mode`: one forward pass. */
export async function resolveTarget(
  model: ExplainableModel,
  pixels: tf.Tensor4D,
  classIndex: number | undefined,
  mode: ScoreMode
): Promise<{classIndex: number; scoreValue: number}> {
  const logits = model.logits(pixels);
  try {
    return await targetFromLogits(model, logits, classIndex, mode);
  } finally {
    logits.dispose();
  }
}

/**
 * The class to explain (given, or the top prediction) and its score under `mode`, from the
 * logits [n, classes] of a pass whose first row is the image: saves a separate forward pass.
 */
export async function targetFromLogits(
  model: ExplainableModel,
  logits: tf.Tensor2D,
  classIndex: number | undefined,
  mode: ScoreMode
): Promise<{classIndex: number; scoreValue: number}> {
  const values = Array.from((await logits.data()).subarray(0, model.numClasses));
  assertFinite(values, "model output");
  let chosen = classIndex;
  if (chosen === undefined) {
    chosen = 0;
    for (let i = 1; i < values.length; i++) if (values[i]! > values[chosen]!) chosen = i;
  }
  model.checkClass(chosen);
  const logit = values[chosen]!;
  if (mode === "sigmoid") return {classIndex: chosen, scoreValue: 1 / (1 + Math.exp(-logit))};
  if (mode === "softmax") {
    const top = Math.max(...values);
    const total = values.reduce((sum, v) => sum + Math.exp(v - top), 0);
    return {classIndex: chosen, scoreValue: Math.exp(logit - top) / total};
  }
  return {classIndex: chosen, scoreValue: logit};
}

/** minmax(X) = (X − min) / (max − min + 1e-6), as in algorithms.md. */
export function minmaxTensor<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const min = tf.min(x);
    const max = tf.max(x);
    return tf.div(tf.sub(x, min), tf.add(tf.sub(max, min), 1e-6)) as T;
  });
}

/** Upsample a [h, w] map to the image size and min-max it (Up, then minmax). */
export function upsampleAndNormalize(map: tf.Tensor2D, width: number, height: number): tf.Tensor2D {
  return tf.tidy(() => {
    const [h, w] = map.shape;
    const resized =
      h === height && w === width
        ? map
        : tf.image.resizeBilinear(map.reshape([1, h, w, 1]) as tf.Tensor4D, [height, width], false, true).reshape([height, width]);
    return minmaxTensor(resized as tf.Tensor2D);
  });
}

/** Reads a [height, width] tensor into a SaliencyMap (asynchronous read: WebGPU-safe), disposing it. */
export async function readMap(tensor: tf.Tensor2D): Promise<SaliencyMap> {
  const [height, width] = tensor.shape;
  const data = (await tensor.data()) as Float32Array;
  tensor.dispose();
  assertFinite(data, "saliency map");
  return {width, height, data: Float32Array.from(data)};
}

/** Options without callbacks, signals or executors: what goes into the result record. */
export function recordableOptions(options: CommonOptions & Record<string, unknown>): Record<string, unknown> {
  const {signal: _s, onProgress: _p, executor: _e, ...rest} = options;
  return rest;
}

export function explanationRecord(args: {
  method: string;
  model: ExplainableModel;
  map: SaliencyMap;
  classIndex: number;
  scoreMode: ScoreMode;
  scoreValue: number;
  layer: string | string[] | null;
  options: Record<string, unknown>;
  startedAt: number;
  timings?: Record<string, number>;
  passes: {forward: number; backward: number};
  intermediates?: Record<string, unknown>;
}): Explanation {
  return {
    method: args.method,
    map: args.map,
    classIndex: args.classIndex,
    className: args.model.meta.classNames[args.classIndex]!,
    score: {mode: args.scoreMode, value: args.scoreValue},
    layer: args.layer,
    options: args.options,
    backend: tf.getBackend(),
    timings: {totalMs: performance.now() - args.startedAt, ...args.timings},
    passes: args.passes,
    ...(args.intermediates ? {intermediates: args.intermediates} : {})
  };
}
