/**
 * Path baselines in pixel space (a black baseline is pixel value 0, not tensor value 0):
 * black, blurred (Gaussian, σ = 5% of the image side by default) and uniform noise (seeded).
 */
import * as tf from "@tensorflow/tfjs";
import {seededRandom} from "../random.js";

export const BASELINES = ["black", "blur", "noise"] as const;
export type BaselineName = (typeof BASELINES)[number];

export function parseBaseline(value: string): BaselineName {
  if (!(BASELINES as readonly string[]).includes(value)) {
    throw new Error(`unknown baseline "${value}": choose one of ${BASELINES.join(", ")}`);
  }
  return value as BaselineName;
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
    const padded = tf.mirrorPad(pixels, [[0, 0], [radius, radius], [radius, radius], [0, 0]], "symmetric");
    const blurredRows = tf.depthwiseConv2d(padded, horizontal, 1, "valid");
    return tf.depthwiseConv2d(blurredRows, vertical, 1, "valid");
  });
}
