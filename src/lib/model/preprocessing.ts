/**
 * What a model expects of its input. The engine works in pixel space (RGB, 0..255, float):
 * masks and baselines are applied there, then this preprocessing maps pixels to model input.
 */
import * as tf from "@tensorflow/tfjs";

export interface Preprocessing {
  /** Range that pixel 0..255 is mapped to before mean/std. */
  range: [number, number];
  /** Per-channel mean subtracted after scaling (in the scaled range). */
  mean: [number, number, number];
  /** Per-channel standard deviation divided by after subtracting the mean. */
  std: [number, number, number];
}

export const UNIT_RANGE: Preprocessing = {range: [0, 1], mean: [0, 0, 0], std: [1, 1, 1]};

export function validatePreprocessing(p: Preprocessing): Preprocessing {
  const finite = (xs: number[]) => xs.every(Number.isFinite);
  if (p.range.length !== 2 || !finite(p.range) || p.range[0] === p.range[1]) {
    throw new Error(`preprocessing range must be two different finite numbers, got ${JSON.stringify(p.range)}`);
  }
  if (p.mean.length !== 3 || !finite(p.mean)) throw new Error(`preprocessing mean must be 3 finite numbers, got ${JSON.stringify(p.mean)}`);
  if (p.std.length !== 3 || !finite(p.std) || p.std.some((s) => s === 0)) {
    throw new Error(`preprocessing std must be 3 finite non-zero numbers, got ${JSON.stringify(p.std)}`);
  }
  return p;
}

/** Pixel tensor [N,H,W,3] in 0..255 → model input. Differentiable (IG needs pixel gradients). */
export function preprocess(pixels: tf.Tensor, p: Preprocessing): tf.Tensor {
  return tf.tidy(() => {
    const [lo, hi] = p.range;
    const scaled = tf.add(tf.mul(pixels, (hi - lo) / 255), lo);
    const isIdentity = p.mean.every((m) => m === 0) && p.std.every((s) => s === 1);
    if (isIdentity) return scaled;
    return tf.div(tf.sub(scaled, tf.tensor1d(p.mean)), tf.tensor1d(p.std));
  });
}
