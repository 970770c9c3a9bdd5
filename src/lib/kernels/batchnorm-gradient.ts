// A leaner gradient for FusedBatchNorm (tf.batchNorm), for every backend.
//
//   y = (x - mean) * r * scale + offset,   r = 1 / sqrt(variance + eps)
//
// With per-channel sums S1 = Σ dy and Sc = Σ dy * (x - mean) over the
// broadcast axes:
//   dx = dy * (r * scale)          doffset = S1           dmean = -(r * scale) * S1
//   dscale = r * Sc                dvariance = -0.5 * r^3 * scale * Sc
// The built-in gradient tiles r to the full shape of x and forms several more
// full-size products; here only dy * gain (broadcast), dy * (x - mean) and the
// sums touch full-size data. Each partial gradient is computed only when
// requested (for saliency maps only dx is).
//
// A batch norm without scale or offset never reaches this function: tfjs's engine fails
// saving (or tracing) the absent input first, whatever gradient is registered. The engine
// applies such layers with explicit ones / zeros under a tape instead
// (src/lib/model/input-only-gradient.ts).

import * as tf from "@tensorflow/tfjs";

function fusedBatchNormGradient(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) {
  const gradient = dy as tf.Tensor;
  const [x, mean, variance, scale] = saved;
  const epsilon = (attrs as unknown as tf.FusedBatchNormAttrs).varianceEpsilon;
  const axes = tf.broadcast_util.getReductionAxes(mean.shape, x.shape);
  const reduce = (t: tf.Tensor) => tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, mean.shape);
  const inverseStd = () => tf.rsqrt(tf.add(variance, tf.scalar(epsilon)));
  const gain = () => (scale == null ? inverseStd() : tf.mul(inverseStd(), scale));
  const centeredSum = () => reduce(tf.mul(gradient, tf.sub(x, mean)));
  return {
    x: () => tf.reshape(tf.mul(gradient, gain()), x.shape),
    mean: () => tf.neg(tf.mul(gain(), reduce(gradient))),
    variance: () => {
      const r = inverseStd();
      const factor = tf.mul(tf.mul(r, tf.mul(r, r)), scale == null ? tf.scalar(-0.5) : tf.mul(scale, -0.5));
      return tf.reshape(tf.mul(factor, centeredSum()), mean.shape);
    },
    scale: () => tf.reshape(tf.mul(inverseStd(), centeredSum()), mean.shape),
    offset: () => reduce(gradient)
  };
}

const fastBatchNormGradient: tf.GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ["x", "mean", "variance", "scale"],
  gradFunc: fusedBatchNormGradient
};

/** Replaces the gradient of FusedBatchNorm (all backends). Idempotent. */
export function registerFastBatchNormGradient(): void {
  if (tf.getGradient(tf.FusedBatchNorm) === fastBatchNormGradient) return;
  tf.registerGradient(fastBatchNormGradient);
}
