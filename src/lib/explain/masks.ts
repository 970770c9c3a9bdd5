/**
 * Masks made from feature maps (Score-CAM, SISE step 3): m_k = minmax(Up(A_k)) at the model's
 * input size, the masked images I ⊙ m_k, plus SISE's coverage normalisation (step 5) and the
 * weighted mask sum both use.
 */
import * as tf from "@tensorflow/tfjs";
import type {MaskSource} from "./types.js";

/** minmax per mask over its pixels, for masks [b, H, W, 1]. */
function minmaxPerMask(masks: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const min = tf.min(masks, [1, 2, 3], true);
    const max = tf.max(masks, [1, 2, 3], true);
    return tf.div(tf.sub(masks, min), tf.add(tf.sub(max, min), 1e-6)) as tf.Tensor4D;
  });
}

/** Up(maps) for maps [b, h, w, 1] → [b, H, W, 1] (bilinear, half-pixel centres), not normalised. */
function upsampledPlanes(maps: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  const [, h, w] = maps.shape;
  return h === height && w === width ? maps : tf.image.resizeBilinear(maps, [height, width], false, true);
}

/** The given channels of one image's activations [1, h, w, K] as maps [b, h, w, 1]. */
export function channelMaps(activations: tf.Tensor4D, channels: readonly number[]): tf.Tensor4D {
  return tf.tidy(() => {
    // Channels first, then gather whole maps: gathering along the last axis is slow on wasm.
    const planes = tf.transpose(activations, [3, 1, 2, 0]); // [K, h, w, 1]
    return tf.gather(planes, tf.tensor1d(channels as number[], "int32"), 0) as tf.Tensor4D;
  });
}

/**
 * m = minmax(Up(A)) for groups of maps [b_i, h_i, w_i, 1] (one group per layer) → [Σ b_i, H, W, 1].
 * minmax is per mask, so one normalisation serves every group (fewer ops than one per layer).
 */
export function masksFromMaps(groups: readonly tf.Tensor4D[], height: number, width: number): tf.Tensor4D {
  return tf.tidy(() => {
    const upsampled = groups.map((maps) => upsampledPlanes(maps, height, width));
    return minmaxPerMask(upsampled.length === 1 ? upsampled[0]! : (tf.concat(upsampled) as tf.Tensor4D));
  });
}

/** The maps of `channels` from activations [1, h, w, K] read back as [h, w, K] values, one plane after another. */
function gatherPlanes(values: Float32Array, channels: readonly number[], h: number, w: number, k: number): Float32Array {
  const planes = new Float32Array(channels.length * h * w);
  channels.forEach((channel, n) => {
    const offset = n * h * w;
    for (let p = 0; p < h * w; p++) planes[offset + p] = values[p * k + channel]!;
  });
  return planes;
}

/** Mask source over `channels` of a layer's activations [1, h, w, K]; the caller keeps `activations` alive. */
export function channelMaskSource(activations: tf.Tensor4D, channels: readonly number[], height: number, width: number): MaskSource {
  return layeredChannelMaskSource([{activations, channels}], height, width);
}

/**
 * One mask source over several layers' channels, layer after layer (SISE): batches run across
 * layer ends, so none but the last is partial. `segments` gives each layer's mask count, for
 * per-layer sums; the caller keeps the activations alive.
 */
export function layeredChannelMaskSource(
  layers: readonly {activations: tf.Tensor4D; channels: readonly number[]}[],
  height: number,
  width: number
): MaskSource & {segments: number[]} {
  const segments = layers.map((l) => l.channels.length);
  /** Each layer's channels within masks start..start+size−1. */
  const pieces = (start: number, size: number) => {
    const found: {layer: number; channels: readonly number[]}[] = [];
    let first = 0; // index of the layer's first mask in the stream
    layers.forEach(({channels}, layer) => {
      const from = Math.max(start, first);
      const to = Math.min(start + size, first + channels.length);
      if (from < to) found.push({layer, channels: channels.slice(from - first, to - first)});
      first += channels.length;
    });
    return found;
  };
  const values: (Float32Array | undefined)[] = []; // activations read back once, for recipes
  return {
    count: segments.reduce((a, b) => a + b, 0),
    segments,
    make: (start, size) =>
      tf.tidy(() =>
        masksFromMaps(
          pieces(start, size).map(({layer, channels}) => channelMaps(layers[layer]!.activations, channels)),
          height,
          width
        )
      ),
    recipe: (start, size) => ({
      kind: "channels",
      height,
      width,
      parts: pieces(start, size).map(({layer, channels}) => {
        const [, h, w, k] = layers[layer]!.activations.shape;
        values[layer] ??= layers[layer]!.activations.dataSync() as Float32Array;
        return {planes: gatherPlanes(values[layer]!, channels, h, w, k), count: channels.length, h, w};
      })
    })
  };
}

/**
 * I ⊙ m for pixels [1, H, W, 3] and masks [b, H, W, 1] → [b, H, W, 3], the same values as
 * tf.mul(pixels, masks). Broadcasting both operands is slow on wasm (an inner loop of 3 or 1
 * element); channels first the broadcast runs over whole planes, and one transpose restores NHWC.
 */
export function maskedImages(pixels: tf.Tensor4D, masks: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, height, width] = masks.shape;
    const planes = tf.transpose(pixels.reshape([height * width, 3])).reshape([1, 3, height * width]);
    const masked = tf.mul(planes, masks.reshape([b, 1, height * width])); // [b, 3, H·W]
    return tf.transpose(masked, [0, 2, 1]).reshape([b, height, width, 3]) as tf.Tensor4D;
  });
}

/** max − min of each channel over (i, j) [K] of activations [1, h, w, K]: 0 for a constant map. */
export function channelRanges(activations: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => tf.sub(tf.max(activations, [0, 1, 2]), tf.min(activations, [0, 1, 2])));
}

/**
 * Channels whose map is not constant over (i, j): a constant map gives an all-zero mask after
 * minmax (nothing to score, and a zero coverage), so Score-CAM and SISE skip it.
 */
export async function nonConstantChannels(activations: tf.Tensor4D): Promise<boolean[]> {
  const ranges = channelRanges(activations);
  try {
    return Array.from(await ranges.data(), (r) => r > 0);
  } finally {
    ranges.dispose();
  }
}

/** SISE's coverage normalisation: weight_k = s_k / Σ_λ m_k(λ) (0 for an empty mask). */
export function coverageWeights(scores: tf.Tensor1D, masks: tf.Tensor4D): tf.Tensor1D {
  return tf.tidy(() => {
    const coverage = tf.sum(masks, [1, 2, 3]);
    const empty = tf.lessEqual(coverage, 0);
    return tf.where(empty, tf.zerosLike(scores), tf.div(scores, tf.where(empty, tf.onesLike(coverage), coverage))) as tf.Tensor1D;
  });
}

/**
 * Σ_{k∈part} weight_k·m_k for consecutive parts [from, to) of a batch of masks [b, H, W, 1] with
 * weights [b] → one [H, W] per part. One product serves every part: a block-diagonal weight
 * matrix [b, parts] (zeros outside each part's rows; adding exact zeros leaves each part's sum as
 * its own product would give it). The masks go in as the left operand (transposed): the wasm
 * backend copies ("packs") a matMul's right operand on every call, which for the masks would
 * cost more than the product itself.
 */
export function weightedMaskSums(masks: tf.Tensor4D, weights: tf.Tensor1D, parts: readonly (readonly [number, number])[]): tf.Tensor2D[] {
  return tf.tidy(() => {
    const [b, height, width] = masks.shape;
    const pixelsByMask = tf.transpose(masks.reshape([b, height * width])); // [H·W, b]
    if (parts.length === 1 && parts[0]![0] === 0 && parts[0]![1] === b) {
      // The whole batch in one part (RISE, most SISE batches): the weights are the matrix.
      return [tf.matMul(pixelsByMask, weights.reshape([b, 1])).reshape([height, width]) as tf.Tensor2D];
    }
    const inPart = new Float32Array(b * parts.length);
    parts.forEach(([from, to], p) => {
      for (let k = from; k < to; k++) inPart[k * parts.length + p] = 1;
    });
    const blockWeights = tf.mul(weights.reshape([b, 1]), tf.tensor2d(inPart, [b, parts.length]));
    const sums = tf.matMul(pixelsByMask, blockWeights); // [H·W, parts]
    return tf.unstack(tf.transpose(sums)).map((sum) => sum.reshape([height, width]) as tf.Tensor2D);
  });
}
