/**
 * Path baselines in pixel space (a black baseline is pixel value 0, not tensor value 0):
 * black, blurred (Gaussian, σ = 5% of the image side by default) and uniform noise (seeded).
 */
import * as tf from "@tensorflow/tfjs";
import {seededRandom} from "../random.js";
import {choice} from "./params.js";

export const BASELINES = ["black", "blur", "noise"] as const;
export type BaselineName = (typeof BASELINES)[number];

export const baselineParam = choice(BASELINES, "black", "path baseline x' in pixel space", {
  labels: {black: "black", blur: "blurred image", noise: "uniform noise"}
});

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
