/**
 * The path phase of Integrated Gradients and Integrated Grad-CAM: baselines in pixel space (a black
 * baseline is pixel value 0, not tensor value 0: black, blurred (Gaussian, σ = 5% of the image
 * side by default) and uniform noise (seeded)), the path fractions and the points on the path.
 */
import * as tf from "@tensorflow/tfjs";
import {seededRandom} from "../random.js";
import {assertModelFinite} from "./finite.js";
import {choice} from "./params.js";

const BASELINES = ["black", "blur", "noise"] as const;
export type BaselineName = (typeof BASELINES)[number];

export const baselineParam = choice(BASELINES, "black", "path baseline x' in pixel space", {
  labels: {black: "black", blur: "blurred image", noise: "uniform noise"}
});

/** Path fractions j/m: j = 1..m (a right Riemann sum), or j = 0..m−1 when `fromZero`. */
export function pathFractions(steps: number, fromZero = false): Float32Array {
  const first = fromZero ? 0 : 1;
  return Float32Array.from({length: steps}, (_, i) => (first + i) / steps);
}

/** Σ_{i≤j} of per-step maps, for every j (float64 sums, float32 out): the path's running integral. */
export function runningSums(stepMaps: readonly Float32Array[]): Float32Array[] {
  const running = new Float64Array(stepMaps[0]?.length ?? 0);
  return stepMaps.map((stepMap) => {
    for (let i = 0; i < running.length; i++) running[i] += stepMap[i]!;
    return Float32Array.from(running);
  });
}

/** Collects per-step maps [count, h·w] and class scores along a path, read back to the CPU and checked finite. */
export function pathRecorder(steps: number, planeSize: number) {
  const stepMaps: Float32Array[] = [];
  const pathScores = new Float32Array(steps);
  const consume = async (first: number, count: number, maps: tf.Tensor, scores: tf.Tensor) => {
    const [mapValues, scoreValues] = await Promise.all([maps.data(), scores.data()]);
    assertModelFinite(scoreValues, "class score");
    assertModelFinite(mapValues, "path step map");
    pathScores.set(scoreValues, first);
    for (let j = 0; j < count; j++) stepMaps.push(Float32Array.from(mapValues.subarray(j * planeSize, (j + 1) * planeSize)));
  };
  return {stepMaps, pathScores, consume};
}

/** x' + α·(x − x') for the path fractions α of inputs first..first+count−1: [count, H, W, 3]. */
export function pathPoints(baseline: tf.Tensor4D, difference: tf.Tensor4D, fractions: Float32Array, first: number, count: number): tf.Tensor4D {
  return tf.tidy(() => {
    const alphas = tf.tensor4d(fractions.subarray(first, first + count), [count, 1, 1, 1]);
    return tf.add(baseline, tf.mul(alphas, difference)) as tf.Tensor4D;
  });
}

/** Baseline pixels with the same shape as `pixels` [1, H, W, 3]. */
export function makeBaseline(pixels: tf.Tensor4D, kind: BaselineName, seed = 0): tf.Tensor4D {
  const [, height, width] = pixels.shape;
  if (kind === "black") return tf.zerosLike(pixels);
  if (kind === "noise") {
    const random = seededRandom(seed);
    const values = new Float32Array(pixels.size);
    for (let i = 0; i < values.length; i++) values[i] = random.next() * 255;
    return tf.tensor4d(values, pixels.shape);
  }
  return gaussianBlur(pixels, Math.max(1, 0.05 * Math.max(height, width)));
}

/** Separable Gaussian blur with edge padding, per channel. */
export function gaussianBlur(pixels: tf.Tensor4D, sigma: number): tf.Tensor4D {
  return tf.tidy(() => {
    const radius = Math.max(1, Math.ceil(2.5 * sigma));
    const taps = Array.from({length: 2 * radius + 1}, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
    const total = taps.reduce((a, b) => a + b, 0);
    const kernel1d = taps.map((t) => t / total);
    const channels = pixels.shape[3];
    const horizontal = tf.tile(tf.tensor4d(kernel1d, [1, 2 * radius + 1, 1, 1]), [1, 1, channels, 1]) as tf.Tensor4D;
    const vertical = tf.tile(tf.tensor4d(kernel1d, [2 * radius + 1, 1, 1, 1]), [1, 1, channels, 1]) as tf.Tensor4D;
    const padded = tf.mirrorPad(
      pixels,
      [
        [0, 0],
        [radius, radius],
        [radius, radius],
        [0, 0]
      ],
      "symmetric"
    );
    const blurredRows = tf.depthwiseConv2d(padded, horizontal, 1, "valid");
    return tf.depthwiseConv2d(blurredRows, vertical, 1, "valid");
  });
}
