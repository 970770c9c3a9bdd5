// MaxPoolGrad for the wasm backend. tfjs-backend-wasm 4.22's own kernel loses gradient when a
// pooling window holds equal values (all zeros after a ReLU is common): every such window writes
// to element 0, overwriting instead of adding. This follows the cpu backend exactly: each
// window routes dy to its first maximum (row-major), with padding cells never chosen.

import * as tf from "@tensorflow/tfjs";
import {asWasmBackend, f32View} from "./wasm-backend-internals.js";

export function maxPoolGradWasm(args: {inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap}): tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const {dy, input} = args.inputs as {dy: tf.TensorInfo; input: tf.TensorInfo};
  const {filterSize, strides, pad, dimRoundingMode} = args.attrs as unknown as tf.MaxPoolGradAttrs;
  if (input.dtype !== "float32") throw new Error(`MaxPoolGrad (wasm): unsupported dtype ${input.dtype}`);
  const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], filterSize, strides, 1, pad, dimRoundingMode);
  const {batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth} = info;
  const {strideHeight, strideWidth, filterHeight, filterWidth, padInfo} = info;
  const out = backend.makeOutput(input.shape, "float32");
  const x = f32View(backend, input);
  const g = f32View(backend, dy);
  const dx = f32View(backend, out);
  dx.fill(0);
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * inWidth * channels;
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - padInfo.top;
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - padInfo.left;
        const gBase = ((b * outHeight + oy) * outWidth + ox) * channels;
        for (let c = 0; c < channels; c++) {
          let best = -Infinity;
          let bestIndex = -1;
          for (let fy = 0; fy < filterHeight; fy++) {
            const y = y0 + fy;
            if (y < 0 || y >= inHeight) continue;
            for (let fx = 0; fx < filterWidth; fx++) {
              const xx = x0 + fx;
              if (xx < 0 || xx >= inWidth) continue;
              const index = xBatch + (y * inWidth + xx) * channels + c;
              const value = x[index];
              // Strictly greater: ties keep the first maximum, as the cpu backend does.
              if (value > best || bestIndex < 0) {
                best = value;
                bestIndex = index;
              }
            }
          }
          if (bestIndex >= 0) dx[bestIndex] += g[gBase + c];
        }
      }
    }
  }
  return out;
}
