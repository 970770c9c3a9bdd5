/**
 * Small VGG-style CNN for 64x64 RGB inputs in [0, 1]: five conv blocks, each ending in 2x2
 * max-pooling, named like Keras VGG16 (`block1_conv1`, ..., `block1_pool`). SISE's layer rule
 * (block ends = inputs of the pooling layers) is stated for exactly this structure.
 * From block 3 on, each conv is followed by batch normalisation and a ReLU (`block3_conv1_bn`,
 * `block3_conv1_relu`): fully plain, the net's activations collapsed within 100 steps and it never
 * left chance; blocks 1-2 stay plain conv+ReLU because batch-norm gradients at 64x64 and 32x32
 * would double the training time on CPU.
 */
import * as tf from "@tensorflow/tfjs";
import {seededInitialisers} from "./seeds.js";

export interface VggOptions {
  classes: number;
  seed?: number;
  /** Input side in pixels (square, RGB). */
  inputSize?: number;
  /** Filters per block (five entries). */
  filters?: readonly number[];
  /** Convolutions per block (five entries). */
  convsPerBlock?: readonly number[];
  /** First block (1-based) whose convs use conv -> BN -> ReLU; 6 = none. Default 3. */
  batchNormFromBlock?: number;
}

const VGG_DEFAULT_FILTERS = [16, 32, 64, 128, 128] as const;
const VGG_DEFAULT_CONVS = [1, 1, 1, 2, 2] as const;

export function buildVgg(options: VggOptions): tf.LayersModel {
  const size = options.inputSize ?? 64;
  const filters = options.filters ?? VGG_DEFAULT_FILTERS;
  const convs = options.convsPerBlock ?? VGG_DEFAULT_CONVS;
  const batchNormFrom = options.batchNormFromBlock ?? 3;
  if (filters.length !== 5 || convs.length !== 5) throw new Error("VGG needs five blocks");
  const init = seededInitialisers(options.seed ?? 1);
  const input = tf.input({shape: [size, size, 3], name: "input"});
  let x: tf.SymbolicTensor = input;
  for (let block = 1; block <= 5; block++) {
    for (let conv = 1; conv <= convs[block - 1]!; conv++) {
      const name = `block${block}_conv${conv}`;
      const batchNorm = block >= batchNormFrom;
      x = tf.layers
        .conv2d({
          name,
          filters: filters[block - 1]!,
          kernelSize: 3,
          padding: "same",
          activation: batchNorm ? "linear" : "relu",
          useBias: !batchNorm,
          kernelInitializer: init.he()
        })
        .apply(x) as tf.SymbolicTensor;
      if (batchNorm) {
        x = tf.layers.batchNormalization({name: `${name}_bn`, momentum: 0.9, epsilon: 1.001e-5}).apply(x) as tf.SymbolicTensor;
        x = tf.layers.activation({name: `${name}_relu`, activation: "relu"}).apply(x) as tf.SymbolicTensor;
      }
    }
    x = tf.layers.maxPooling2d({name: `block${block}_pool`, poolSize: 2, strides: 2}).apply(x) as tf.SymbolicTensor;
  }
  // Global average pooling keeps the head tiny (2x2 maps at 64x64 input).
  x = tf.layers.globalAveragePooling2d({name: "avg_pool"}).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({name: "logits", units: options.classes, kernelInitializer: init.glorot()}).apply(x) as tf.SymbolicTensor;
  return tf.model({inputs: input, outputs: logits, name: "vgg_small"});
}
