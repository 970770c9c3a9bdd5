/** Small models with fixed or seeded weights for exact tests. */
import * as tf from "@tensorflow/tfjs";

/** 4x4x3 → 1x1 conv (2 filters, fixed) "features" → ReLU → global average pool → dense (2 classes, fixed). */
export function linearHeadModel(activation: "relu" | "linear" = "relu"): {
  model: tf.LayersModel;
  convKernel: number[][];
  denseKernel: number[][];
  denseBias: number[];
} {
  const convKernel = [
    [0.5, -1.0],
    [1.0, 0.25],
    [-0.5, 0.75]
  ]; // [inChannel][filter]
  const denseKernel = [
    [2.0, -1.0],
    [-0.5, 1.5]
  ]; // [feature][class]
  const denseBias = [0.1, -0.2];
  const input = tf.input({shape: [4, 4, 3], name: "image"});
  const features = tf.layers.conv2d({filters: 2, kernelSize: 1, activation, name: "features", useBias: false}).apply(input) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({name: "gap"}).apply(features) as tf.SymbolicTensor;
  const logits = tf.layers.dense({units: 2, name: "logits"}).apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({inputs: input, outputs: logits, name: "linear-head"});
  model.getLayer("features").setWeights([tf.tensor4d(convKernel.flat(), [1, 1, 3, 2])]);
  model.getLayer("logits").setWeights([tf.tensor2d(denseKernel), tf.tensor1d(denseBias)]);
  return {model, convKernel, denseKernel, denseBias};
}

const seeded = (seed: number) => tf.initializers.glorotUniform({seed});

/**
 * A small residual network with batch norm, max pooling, a stride-2 convolution, a depthwise
 * convolution and a softmax head: the shapes SISE's layer rule must handle.
 */
export function residualModel(size = 16, classes = 3, seed = 1): tf.LayersModel {
  const input = tf.input({shape: [size, size, 3], name: "image"});
  const conv = (name: string, filters: number, strides = 1, kernelSize = 3) =>
    tf.layers.conv2d({filters, kernelSize, strides, padding: "same", name, kernelInitializer: seeded(seed + name.length), biasInitializer: "zeros"});
  let x = conv("stem_conv", 8).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({name: "stem_bn"}).apply(x) as tf.SymbolicTensor;
  const stem = tf.layers.activation({activation: "relu", name: "stem_relu"}).apply(x) as tf.SymbolicTensor;
  let y = conv("block1_conv1", 8).apply(stem) as tf.SymbolicTensor;
  y = tf.layers.activation({activation: "relu", name: "block1_relu1"}).apply(y) as tf.SymbolicTensor;
  y = tf.layers.depthwiseConv2d({kernelSize: 3, padding: "same", name: "block1_dw", depthwiseInitializer: seeded(seed + 7)}).apply(y) as tf.SymbolicTensor;
  const added = tf.layers.add({name: "block1_add"}).apply([stem, y]) as tf.SymbolicTensor;
  const block1 = tf.layers.activation({activation: "relu", name: "block1_out"}).apply(added) as tf.SymbolicTensor;
  const pooled = tf.layers.maxPooling2d({poolSize: 2, name: "pool1"}).apply(block1) as tf.SymbolicTensor;
  let z = conv("block2_conv1", 16, 2).apply(pooled) as tf.SymbolicTensor;
  z = tf.layers.activation({activation: "relu", name: "block2_out"}).apply(z) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({name: "gap"}).apply(z) as tf.SymbolicTensor;
  const out = tf.layers
    .dense({units: classes, activation: "softmax", name: "predictions", kernelInitializer: seeded(seed + 11)})
    .apply(gap) as tf.SymbolicTensor;
  const model = tf.model({inputs: input, outputs: out, name: "tiny-residual"});
  // Non-trivial batch-norm statistics so that inference mode matters.
  const bn = model.getLayer("stem_bn");
  bn.setWeights([tf.fill([8], 1.2), tf.fill([8], 0.1), tf.fill([8], 0.05), tf.fill([8], 0.8)]);
  return model;
}

/** The residual model used as a layer inside an outer model (nested models). */
export function nestedModel(size = 16, classes = 3): tf.LayersModel {
  const inner = residualModel(size, 4, 3);
  const innerFeatures = tf.model({inputs: inner.inputs, outputs: inner.getLayer("block2_out").output as tf.SymbolicTensor, name: "backbone"});
  const input = tf.input({shape: [size, size, 3], name: "outer_image"});
  const features = innerFeatures.apply(input) as tf.SymbolicTensor;
  const head = tf.layers
    .conv2d({filters: 8, kernelSize: 1, activation: "relu", name: "head_conv", kernelInitializer: seeded(5)})
    .apply(features) as tf.SymbolicTensor;
  const gap = tf.layers.globalAveragePooling2d({name: "head_gap"}).apply(head) as tf.SymbolicTensor;
  const logits = tf.layers.dense({units: classes, name: "head_logits", kernelInitializer: seeded(6)}).apply(gap) as tf.SymbolicTensor;
  return tf.model({inputs: input, outputs: logits, name: "nested"});
}

/** Deterministic pseudo-random RGB image (0..255). */
export function testImage(width: number, height: number, seed = 0): {width: number; height: number; rgb: Uint8Array} {
  const rgb = new Uint8Array(width * height * 3);
  let s = seed * 7919 + 17;
  for (let i = 0; i < rgb.length; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    rgb[i] = s % 256;
  }
  return {width, height, rgb};
}
