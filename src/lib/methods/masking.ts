/**
 * Masks made from feature maps (Score-CAM, SISE step 3): m_k = minmax(Up(A_k)) at the model's
 * input size, plus SISE's coverage normalisation (step 5) and the weighted mask sum both use.
 */
import * as tf from "@tensorflow/tfjs";
import type {MaskSource} from "./scoring.js";

/** minmax per mask over its pixels, for masks [b, H, W, 1]. */
export function minmaxPerMask(masks: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const min = tf.min(masks, [1, 2, 3], true);
    const max = tf.max(masks, [1, 2, 3], true);
    return tf.div(tf.sub(masks, min), tf.add(tf.sub(max, min), 1e-6)) as tf.Tensor4D;
  });
}

/** m_k = minmax(Up(A_k)) for the given channels of one image's activations [1, h, w, K] → [b, H, W, 1]. */
export function channelMasks(activations: tf.Tensor4D, channels: readonly number[], height: number, width: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w] = activations.shape;
    const picked = tf.gather(activations.squeeze([0]), tf.tensor1d(channels as number[], "int32"), 2); // [h, w, b]
    const maps = tf.transpose(picked, [2, 0, 1]).expandDims(3) as tf.Tensor4D; // [b, h, w, 1]
    const upsampled = h === height && w === width ? maps : tf.image.resizeBilinear(maps, [height, width], false, true);
    return minmaxPerMask(upsampled);
  });
}

/** Mask source over `channels` of a layer's activations [1, h, w, K]; the caller keeps `activations` alive. */
export function channelMaskSource(activations: tf.Tensor4D, channels: readonly number[], height: number, width: number): MaskSource {
  return {
    count: channels.length,
    make: (start, size) => channelMasks(activations, channels.slice(start, start + size), height, width)
  };
}

/**
 * Channels whose map is not constant over (i, j): a constant map gives an all-zero mask after
 * minmax (nothing to score, and a zero coverage), so Score-CAM and SISE skip it.
 */
export async function nonConstantChannels(activations: tf.Tensor4D): Promise<boolean[]> {
  const range = tf.tidy(() => tf.sub(tf.max(activations, [0, 1, 2]), tf.min(activations, [0, 1, 2])));
  const values = await range.data();
  range.dispose();
  return Array.from(values, (r) => r > 0);
}

/** SISE's coverage normalisation: weight_k = s_k / Σ_λ m_k(λ) (0 for an empty mask). */
export function coverageWeights(scores: tf.Tensor1D, masks: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => {
    const coverage = tf.sum(masks, [1, 2, 3]);
    const empty = tf.lessEqual(coverage, 0);
    return tf.where(empty, tf.zerosLike(scores), tf.div(scores, tf.where(empty, tf.onesLike(coverage), coverage))) as tf.Tensor1D;
  });
}

/** Σ_k weight_k·m_k for masks [b, H, W, 1] and weights [b] → [H, W]. */
export function weightedMaskSum(masks: tf.Tensor4D, weights: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => {
    const [b, height, width] = masks.shape;
    return tf.matMul(weights.reshape([1, b]), masks.reshape([b, height * width])).reshape([height, width]) as tf.Tensor2D;
  });
}
