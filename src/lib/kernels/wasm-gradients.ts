// Registers gradient kernels for the tfjs wasm backend (tfjs 4.22):
// Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropInput,
// DepthwiseConv2dNativeBackpropFilter and UnsortedSegmentSum, which it lacks,
// a Conv2DBackpropInput that replaces its slow built-in one, and a MaxPoolGrad that replaces
// its built-in one (wrong on windows of equal values). All are built
// from the backend's XNNPACK forward convolution / matrix product, except the
// filter gradients, which run generated WebAssembly SIMD loops where they can,
// and some input gradients (depthwise; few input channels), which do so in part.
//
// Call after `import "@tensorflow/tfjs-backend-wasm"` (that import registers
// the built-in Conv2DBackpropInput, which would otherwise replace ours).

import * as tf from "@tensorflow/tfjs";
import {conv2dBackpropFilterWasm, depthwiseConv2dNativeBackpropFilterWasm} from "./conv-backprop-filter.js";
import {conv2dBackpropInputWasm, depthwiseConv2dNativeBackpropInputWasm} from "./conv-backprop-input.js";
import {maxPoolGradWasm} from "./max-pool-grad.js";
import {unsortedSegmentSumWasm} from "./unsorted-segment-sum.js";

const WASM = "wasm";

const gradientKernels: tf.KernelConfig[] = [
  {kernelName: tf.Conv2DBackpropInput, backendName: WASM, kernelFunc: conv2dBackpropInputWasm as tf.KernelFunc},
  {kernelName: tf.Conv2DBackpropFilter, backendName: WASM, kernelFunc: conv2dBackpropFilterWasm as tf.KernelFunc},
  {
    kernelName: tf.DepthwiseConv2dNativeBackpropInput,
    backendName: WASM,
    kernelFunc: depthwiseConv2dNativeBackpropInputWasm as tf.KernelFunc
  },
  {
    kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
    backendName: WASM,
    kernelFunc: depthwiseConv2dNativeBackpropFilterWasm as tf.KernelFunc
  },
  {kernelName: tf.UnsortedSegmentSum, backendName: WASM, kernelFunc: unsortedSegmentSumWasm as tf.KernelFunc},
  // Replaces the built-in one, which loses gradient on windows of equal values.
  {kernelName: tf.MaxPoolGrad, backendName: WASM, kernelFunc: maxPoolGradWasm as tf.KernelFunc}
];

/** Registers (or re-registers over built-ins) the wasm gradient kernels. Idempotent. */
export function registerWasmGradientKernels(): void {
  for (const config of gradientKernels) {
    const current = tf.getKernel(config.kernelName, WASM);
    if (current?.kernelFunc === config.kernelFunc) continue;
    if (current != null) tf.unregisterKernel(config.kernelName, WASM);
    tf.registerKernel(config);
  }
}

/** Kernel names registered by `registerWasmGradientKernels`. */
export const wasmGradientKernelNames: readonly string[] = gradientKernels.map((config) => config.kernelName);
