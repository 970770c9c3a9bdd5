// Attribute checks shared by the wasm convolution gradient kernels.

import type * as tf from "@tensorflow/tfjs";

export function assertChannelsLast(dataFormat: unknown, kernelName: string): void {
  if (dataFormat != null && dataFormat !== "NHWC" && dataFormat !== "channelsLast") {
    throw new Error(`${kernelName} (wasm gradient kernels): only NHWC is supported, got ${String(dataFormat)}`);
  }
}

export function assertUnitDilations(dilations: unknown, kernelName: string): void {
  if (dilations == null) return;
  const values = typeof dilations === "number" ? [dilations, dilations] : (dilations as number[]);
  if (values.some((d) => d !== 1)) {
    throw new Error(`${kernelName} (wasm gradient kernels): dilations other than 1 are not supported, got ${values}`);
  }
}

export function assertOutputMatches(dy: tf.TensorInfo, convInfo: tf.backend_util.Conv2DInfo, kernelName: string): void {
  const [n, h, w, c] = dy.shape;
  if (n !== convInfo.batchSize || h !== convInfo.outHeight || w !== convInfo.outWidth || c !== convInfo.outChannels) {
    throw new Error(
      `${kernelName} (wasm gradient kernels): dy shape ${dy.shape} does not match the convolution ` +
        `output [${convInfo.batchSize},${convInfo.outHeight},${convInfo.outWidth},${convInfo.outChannels}]`
    );
  }
}
