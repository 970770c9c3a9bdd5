/**
 * Small ResNet-style CNN for 64x64 RGB inputs in [0, 1]: a conv+BN+ReLU stem, then stages of
 * basic residual blocks (two 3x3 conv+BN) whose first block down-samples with stride 2 and uses a
 * 1x1 projection shortcut. Layer names follow Keras ResNet (`conv1_conv`, `conv2_block1_1_conv`,
 * `conv2_block1_0_conv` for the projection, `conv2_block1_add`, `conv2_block1_out`).
 */
import * as tf from "@tensorflow/tfjs";
import {seededInitialisers, type SeededInitialisers} from "./seeds.js";

export interface ResnetOptions {
  classes: number;
  seed?: number;
  inputSize?: number;
  /** Stem filters. */
  stemFilters?: number;
  /** Stem stride; 2 (as in Keras ResNet) keeps batch-norm work, the training bottleneck, small. */
  stemStrides?: number;
  /** Filters per stage; stage k is named conv{k+2}. */
  stageFilters?: readonly number[];
  /** Residual blocks per stage. */
  blocksPerStage?: readonly number[];
}

const RESNET_DEFAULT_STEM = 16;
const RESNET_DEFAULT_STAGES = [32, 64, 128] as const;
const RESNET_DEFAULT_BLOCKS = [1, 1, 1] as const;

type T = tf.SymbolicTensor;

function convBn(x: T, init: SeededInitialisers, name: string, filters: number, kernel: number, strides: number, relu: boolean): T {
  let y = tf.layers
    .conv2d({name: `${name}_conv`, filters, kernelSize: kernel, strides, padding: "same", useBias: false, kernelInitializer: init.he()})
    .apply(x) as T;
  y = tf.layers.batchNormalization({name: `${name}_bn`, axis: -1, momentum: 0.9, epsilon: 1.001e-5}).apply(y) as T;
  if (relu) y = tf.layers.activation({name: `${name}_relu`, activation: "relu"}).apply(y) as T;
  return y;
}

/** Basic residual block; a projection shortcut whenever shape changes. */
function basicBlock(x: T, init: SeededInitialisers, name: string, filters: number, strides: number): T {
  const inChannels = x.shape[x.shape.length - 1];
  const shortcut = strides !== 1 || inChannels !== filters ? convBn(x, init, `${name}_0`, filters, 1, strides, false) : x;
  let y = convBn(x, init, `${name}_1`, filters, 3, strides, true);
  y = convBn(y, init, `${name}_2`, filters, 3, 1, false);
  const sum = tf.layers.add({name: `${name}_add`}).apply([shortcut, y]) as T;
  return tf.layers.activation({name: `${name}_out`, activation: "relu"}).apply(sum) as T;
}

export function buildResnet(options: ResnetOptions): tf.LayersModel {
  const size = options.inputSize ?? 64;
  const stages = options.stageFilters ?? RESNET_DEFAULT_STAGES;
  const blocks = options.blocksPerStage ?? RESNET_DEFAULT_BLOCKS;
  if (stages.length !== blocks.length) throw new Error("stageFilters and blocksPerStage differ in length");
  const init = seededInitialisers(options.seed ?? 1);
  const input = tf.input({shape: [size, size, 3], name: "input"});
  let x = convBn(input, init, "conv1", options.stemFilters ?? RESNET_DEFAULT_STEM, 3, options.stemStrides ?? 2, true);
  stages.forEach((filters, s) => {
    for (let b = 1; b <= blocks[s]!; b++) {
      // Every stage starts by halving the resolution.
      x = basicBlock(x, init, `conv${s + 2}_block${b}`, filters, b === 1 ? 2 : 1);
    }
  });
  x = tf.layers.globalAveragePooling2d({name: "avg_pool"}).apply(x) as T;
  const logits = tf.layers.dense({name: "logits", units: options.classes, kernelInitializer: init.glorot()}).apply(x) as T;
  return tf.model({inputs: input, outputs: logits, name: "resnet_small"});
}
