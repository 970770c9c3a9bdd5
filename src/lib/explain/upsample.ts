/**
 * The upsample + normalise phase: a low-resolution map → image size (bilinear, half-pixel
 * centres: algorithms.md's Up) → min-max. One tensor path and one CPU path (same arithmetic).
 */
import * as tf from "@tensorflow/tfjs";
import {minmax} from "../maps/normalize.js";
import {assertModelFinite} from "./finite.js";
import {resizeBilinear} from "../maps/resize.js";
import type {SaliencyMap} from "../maps/types.js";

/** minmax(X) = (X − min) / (max − min + 1e-6), as in algorithms.md. */
export function minmaxTensor<T extends tf.Tensor>(x: T): T {
  return tf.tidy(() => {
    const min = tf.min(x);
    const max = tf.max(x);
    return tf.div(tf.sub(x, min), tf.add(tf.sub(max, min), 1e-6)) as T;
  });
}

/**
 * Up a [h, w] map to the image size and min-max it. `reluAfter`: clip negatives after
 * upsampling (Score-CAM's and signed IG's order; the CAM family clips before, at layer resolution).
 */
export function upsampleAndNormalize(map: tf.Tensor2D, width: number, height: number, reluAfter = false): tf.Tensor2D {
  return tf.tidy(() => {
    const [h, w] = map.shape;
    const resized =
      h === height && w === width
        ? map
        : tf.image.resizeBilinear(map.reshape([1, h, w, 1]) as tf.Tensor4D, [height, width], false, true).reshape([height, width]);
    return minmaxTensor((reluAfter ? tf.relu(resized) : resized) as tf.Tensor2D);
  });
}

/** The CPU path: Up to width×height, then minmax (same arithmetic as the tensor path). */
export function upsampleAndNormalizeMap(map: SaliencyMap, width: number, height: number): SaliencyMap {
  return minmax(resizeBilinear(map, width, height));
}

/** Reads a [height, width] tensor into a SaliencyMap (asynchronous read: WebGPU-safe), disposing it. */
export async function readMap(tensor: tf.Tensor2D): Promise<SaliencyMap> {
  const [height, width] = tensor.shape;
  const data = (await tensor.data()) as Float32Array;
  tensor.dispose();
  assertModelFinite(data, "saliency map");
  return {width, height, data: Float32Array.from(data)};
}

/** Upsample, normalise and read back in one step. */
export async function finalMap(map: tf.Tensor2D, width: number, height: number, reluAfter = false): Promise<SaliencyMap> {
  return readMap(upsampleAndNormalize(map, width, height, reluAfter));
}
