/** m_k = minmax(Up(A_k)) for some channels of activations [1, h, w, K] → [b, H, W, 1], for tests. */
import * as tf from "@tensorflow/tfjs";
import {channelMaps, masksFromMaps} from "../../src/lib/explain/masks.js";

export function channelMasks(activations: tf.Tensor4D, channels: readonly number[], height: number, width: number): tf.Tensor4D {
  return tf.tidy(() => masksFromMaps([channelMaps(activations, channels)], height, width));
}
