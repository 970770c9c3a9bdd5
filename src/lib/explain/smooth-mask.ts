/**
 * Extremal Perturbation's pieces (algorithms.md; TorchRay's MaskGenerator and Perturbation):
 * - a smooth mask: parameters p on a grid of `step` px, each pixel a softmax-weighted (coldness
 *   20) smooth max of p·k(d/σ) over the grid points within reach, k(z) = exp(−2·max(z − ½, 0)²),
 *   clamped to [0, 1], with a margin of σ around the image;
 * - a blur pyramid of the pixel image (level L−1 = the image, level 0 the most blurred), and the
 *   perturbed image that picks level v·(L−1) per pixel by linear interpolation.
 */
import * as tf from "@tensorflow/tfjs";
import {gaussianBlur} from "./baselines.js";

const COLDNESS = 20;

export interface SmoothMask {
  /** Grid of parameters p: [gridHeight, gridWidth]. */
  gridHeight: number;
  gridWidth: number;
  /** The whole mask, margins included: [fullHeight, fullWidth]. */
  fullHeight: number;
  fullWidth: number;
  /** p → {image: mask over the image [H, W], full: with margins}; differentiable in p. */
  generate(p: tf.Tensor2D): {image: tf.Tensor2D; full: tf.Tensor2D};
  dispose(): void;
}

export function smoothMask(height: number, width: number, step: number, sigma: number): SmoothMask {
  const margin = sigma;
  const padding = 1 + Math.ceil((margin + sigma) / step);
  const radius = 1 + Math.ceil(sigma / step);
  const taps = 2 * radius + 1;
  const gridHeight = Math.ceil(height / step);
  const gridWidth = Math.ceil(width / step);
  const [midHeight, midWidth] = [gridHeight + 2 * padding - taps + 1, gridWidth + 2 * padding - taps + 1];
  const [fullHeight, fullWidth] = [step * midHeight - step + 1, step * midWidth - step + 1];
  const offset = Math.round(margin);
  const channels = taps * taps;
  const blocks = midHeight * midWidth;
  // Nearest-neighbour upsampling repeats each window over a step×step block of pixels, so the
  // bumps are a broadcast product per block: weights k(d/σ) as [block, pixel in block, tap].
  const weights = new Float32Array(blocks * step * step * channels);
  for (let my = 0, o = 0; my < midHeight; my++) {
    for (let mx = 0; mx < midWidth; mx++) {
      for (let dy = 0; dy < step; dy++) {
        for (let dx = 0; dx < step; dx++) {
          for (let ky = 0; ky < taps; ky++) {
            for (let kx = 0; kx < taps; kx++, o++) {
              const y = my * step + dy - (margin + step * (my + ky - padding));
              const x = mx * step + dx - (margin + step * (mx + kx - padding));
              weights[o] = Math.exp(-2 * Math.max(Math.hypot(y, x) / sigma - 0.5, 0) ** 2);
            }
          }
        }
      }
    }
  }
  const kernel = tf.tensor3d(weights, [blocks, step * step, channels]);
  // Unfolding the padded grid into windows is a convolution with one-hot filters (cheap gradient).
  const unfold = tf.tidy(() => tf.reshape(tf.eye(channels), [taps, taps, 1, channels]) as tf.Tensor4D);
  return {
    gridHeight,
    gridWidth,
    fullHeight,
    fullWidth,
    generate: (p) =>
      tf.tidy(() => {
        const padded = tf
          .pad(p, [
            [padding, padding],
            [padding, padding]
          ])
          .reshape([1, gridHeight + 2 * padding, gridWidth + 2 * padding, 1]);
        const windows = tf.conv2d(padded as tf.Tensor4D, unfold, 1, "valid").reshape([blocks, 1, channels]);
        const bumps = tf.mul(windows, kernel); // [block, pixel, tap]
        const pooled = tf.sum(tf.mul(bumps, tf.softmax(tf.mul(bumps, COLDNESS))), 2);
        const pixels = pooled
          .reshape([midHeight, midWidth, step, step])
          .transpose([0, 2, 1, 3])
          .reshape([midHeight * step, midWidth * step]);
        const full = tf.clipByValue(pixels.slice([0, 0], [fullHeight, fullWidth]), 0, 1) as tf.Tensor2D;
        return {full, image: full.slice([offset, offset], [height, width])};
      }),
    dispose: () => tf.dispose([kernel, unfold])
  };
}

/** Blur pyramid [levels, H, W, 3] of pixels [1, H, W, 3]: σ_l = σ_max·(1 − l/(levels−1)). */
export function blurPyramid(pixels: tf.Tensor4D, levels: number, sigmaMax: number): tf.Tensor4D {
  return tf.tidy(() => {
    const blurred = Array.from({length: levels}, (_, l) => {
      const sigma = sigmaMax * (1 - l / (levels - 1));
      return sigma > 0 ? gaussianBlur(pixels, sigma) : pixels;
    });
    return tf.concat(blurred) as tf.Tensor4D;
  });
}

/** The image seen through `mask` [H, W] ∈ [0, 1]: level mask·(L−1) of the pyramid, interpolated. [1, H, W, 3]. */
export function perturbed(pyramid: tf.Tensor4D, mask: tf.Tensor2D): tf.Tensor4D {
  return tf.tidy(() => {
    const levels = pyramid.shape[0];
    const position = tf
      .mul(mask, levels - 1)
      .expandDims(0)
      .expandDims(3); // [1, H, W, 1]
    const level = tf.range(0, levels).reshape([levels, 1, 1, 1]);
    const hat = tf.relu(tf.sub(1, tf.abs(tf.sub(position, level)))); // [L, H, W, 1]: linear interpolation weights
    return tf.sum(tf.mul(hat, pyramid), 0, true) as tf.Tensor4D;
  });
}

/**
 * TorchRay's area constraint for a target area a: mean((sort(m) − r_a)²) over the full mask, with
 * r_a = ⌊(1 − a)·n⌋ zeros then ones. The sort order is read back before each step and used as a
 * constant of the step (sort's gradient is a gather with that order).
 */
export class AreaConstraint {
  private readonly reference: tf.Tensor1D;
  private ascending: tf.Tensor1D | null = null;

  constructor(
    private readonly size: number,
    area: number
  ) {
    this.reference = tf.tensor1d(Float32Array.from({length: size}, (_, i) => (i < Math.floor(size * (1 - area)) ? 0 : 1)));
  }

  /** Takes the sort order of `full` (disposed here) for the next penalty; returns the mask's mean (its area). */
  async sortOrderOf(full: tf.Tensor2D): Promise<number> {
    const values = (await full.data()) as Float32Array;
    full.dispose();
    this.ascending?.dispose();
    this.ascending = tf.tensor1d(
      Int32Array.from(values.keys()).sort((i, j) => values[i]! - values[j]!),
      "int32"
    );
    return values.reduce((s, v) => s + v, 0) / this.size;
  }

  penalty(full: tf.Tensor2D): tf.Scalar {
    if (!this.ascending) throw new Error("AreaConstraint: sortOrderOf must run before penalty");
    return tf.mean(tf.square(tf.sub(tf.gather(full.reshape([this.size]), this.ascending), this.reference)));
  }

  dispose(): void {
    this.ascending?.dispose();
    this.reference.dispose();
  }
}

/**
 * torch's SGD with momentum and dampening equal to the momentum (TorchRay's optimiser for the
 * mask): the first step takes the gradient as is, later ones v = μ·v + (1 − μ)·g; p stays in [0, 1].
 */
export class MomentumSgd {
  private velocity: tf.Tensor2D | null = null;

  constructor(
    public p: tf.Tensor2D,
    private readonly learningRate: number,
    private readonly momentum: number
  ) {}

  /** One step down the gradient of `energy` at p. */
  step(energy: (p: tf.Tensor2D) => tf.Scalar): void {
    const [nextP, nextVelocity] = tf.tidy(() => {
      const gradient = tf.grad((q) => energy(q as tf.Tensor2D))(this.p) as tf.Tensor2D;
      const v = this.velocity ? tf.add(tf.mul(this.velocity, this.momentum), tf.mul(gradient, 1 - this.momentum)) : gradient;
      return [tf.clipByValue(tf.sub(this.p, tf.mul(v, this.learningRate)), 0, 1), v] as tf.Tensor2D[];
    });
    tf.dispose([this.p, this.velocity ?? []]);
    [this.p, this.velocity] = [nextP!, nextVelocity!];
  }

  dispose(): void {
    tf.dispose([this.p, this.velocity ?? []]);
  }
}
