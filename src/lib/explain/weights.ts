/** The weights and combine phases of the CAM family: channel weights from gradients, then Σ_k w_k A_k. */
import * as tf from "@tensorflow/tfjs";

/** w_k = mean_ij ∂y/∂A_k(i,j) per image: gradients [N, h, w, K] → [N, K]. */
export function meanGradients(gradients: tf.Tensor4D): tf.Tensor2D {
  return tf.mean(gradients, [1, 2]) as tf.Tensor2D;
}

/** Σ_ij A_k(i,j) per image and channel, kept as [N, 1, 1, K] to broadcast over positions. */
export function activationSums(activations: tf.Tensor4D): tf.Tensor4D {
  return tf.sum(activations, [1, 2], true) as tf.Tensor4D;
}

/** w_k = Σ_ij c_k(i,j)·t_k(i,j): channel weights [N, K] from a per-position coefficient and gradient term. */
export function positionWeightedSums(coefficients: tf.Tensor4D, gradientTerms: tf.Tensor4D): tf.Tensor2D {
  return tf.sum(tf.mul(coefficients, gradientTerms), [1, 2]) as tf.Tensor2D;
}

/** Σ_k w_k A_k for channel weights w [N, k]. */
export function weightedChannelSum(activations: tf.Tensor4D, weights: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, , , k] = activations.shape;
    return tf.sum(tf.mul(activations, weights.reshape([n, 1, 1, k])), 3) as tf.Tensor3D;
  });
}
