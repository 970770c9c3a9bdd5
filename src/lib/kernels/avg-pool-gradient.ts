// A correct gradient for AvgPool, for every backend.
//
// Every tfjs 4.22 backend (cpu, wasm, webgl, webgpu) divides each window's sum by the number of
// valid, unpadded cells it covers in the forward pass, but its AvgPoolGrad kernel divides by the
// full window fh·fw. With "same" padding the border windows cover fewer cells, so their
// gradient comes out too small (a 3×3 window at a corner: 4/9 instead of 1). The true gradient is
//
//   dx[i] = Σ_{windows o containing i} dy[o] / count[o]
//
// which is the backend's own AvgPoolGrad applied to dy[o]·fh·fw/count[o]. So this gradient rescales
// dy by a constant [1, outH, outW, 1] factor and runs the backend's kernel: correct wherever that
// kernel's routing is (all four share it), built from ops only, hence registered once for all
// backends. Where no window is padded (every "valid" pool) the factor is exactly 1 and is
// skipped, so those gradients stay bit-identical to tfjs's.

import * as tf from "@tensorflow/tfjs";

/** Number of valid input cells per window along one axis, for each output position. */
function validCounts(outSize: number, inSize: number, stride: number, filterSize: number, padBefore: number): number[] {
  const counts: number[] = [];
  for (let o = 0; o < outSize; o++) {
    const start = o * stride - padBefore;
    const first = Math.max(start, 0);
    const last = Math.min(start + filterSize, inSize);
    counts.push(Math.max(last - first, 0));
  }
  return counts;
}

/**
 * The factor fh·fw / count per output cell, row-major [outH·outW]; null when no window is
 * padded (all factors 1). A window with no valid cell outputs 0 and passes no gradient.
 */
export function averagePoolGradientScale(info: tf.backend_util.Conv2DInfo): Float32Array | null {
  const rows = validCounts(info.outHeight, info.inHeight, info.strideHeight, info.filterHeight, info.padInfo.top);
  const cols = validCounts(info.outWidth, info.inWidth, info.strideWidth, info.filterWidth, info.padInfo.left);
  const full = info.filterHeight * info.filterWidth;
  if (rows.every((r) => r === info.filterHeight) && cols.every((c) => c === info.filterWidth)) return null;
  const scale = new Float32Array(info.outHeight * info.outWidth);
  rows.forEach((r, y) => cols.forEach((c, x) => (scale[y * info.outWidth + x] = r * c > 0 ? full / (r * c) : 0)));
  return scale;
}

function averagePoolGradient(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) {
  const gradient = dy as tf.Tensor4D;
  const [x] = saved as [tf.Tensor4D];
  const {filterSize, strides, pad, dimRoundingMode} = attrs as unknown as tf.AvgPoolAttrs;
  const info = tf.backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad, dimRoundingMode);
  // AvgPoolGrad kernels take no rounding mode; where it changes the output size they would
  // route the gradient through a different geometry, so refuse instead of being wrong.
  const unrounded = tf.backend_util.computePool2DInfo(x.shape, filterSize, strides, 1, pad);
  if (unrounded.outHeight !== info.outHeight || unrounded.outWidth !== info.outWidth) {
    throw new Error(`AvgPool gradient: dimRoundingMode "${dimRoundingMode}" changes the output size (pad ${JSON.stringify(pad)}); not supported`);
  }
  return {
    x: () => {
      const scale = averagePoolGradientScale(info);
      const scaled = scale === null ? gradient : tf.mul(gradient, tf.tensor4d(scale, [1, info.outHeight, info.outWidth, 1]));
      // tfjs-core's avgPoolGrad op is not exported; the kernel is what it would run.
      const kernelAttrs: tf.AvgPoolGradAttrs = {filterSize, strides, pad};
      return tf.engine().runKernel(tf.AvgPoolGrad, {dy: scaled, input: x}, kernelAttrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
    }
  };
}

const exactAveragePoolGradient: tf.GradConfig = {
  kernelName: tf.AvgPool,
  inputsToSave: ["x"],
  gradFunc: averagePoolGradient
};

/** Replaces the gradient of AvgPool (all backends) by the exact one. Idempotent. */
export function registerAveragePoolGradient(): void {
  if (tf.getGradient(tf.AvgPool) === exactAveragePoolGradient) return;
  tf.registerGradient(exactAveragePoolGradient);
}
