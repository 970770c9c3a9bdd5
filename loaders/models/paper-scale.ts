/**
 * Paper-scale architectures at 224x224 with seeded random weights, for timing benchmarks only
 * (never trained, never committed). Layer names follow Keras VGG16 / ResNet50 so the explainers'
 * layer rules (block ends, `conv5_block3_out`) resolve exactly as in the papers.
 */
import * as tf from "@tensorflow/tfjs";
import {seededInitialisers, type SeededInitialisers} from "./seeds.js";

export interface PaperScaleOptions {
  classes?: number;
  seed?: number;
  inputSize?: number;
}

type T = tf.SymbolicTensor;

/** Keras VGG16: 13 convs in five blocks, fc1/fc2 of 4096, then `logits`. */
export function buildVgg16(options: PaperScaleOptions = {}): tf.LayersModel {
  const size = options.inputSize ?? 224;
  const init = seededInitialisers(options.seed ?? 16);
  const plan: Array<[number, number]> = [
    [64, 2],
    [128, 2],
    [256, 3],
    [512, 3],
    [512, 3]
  ];
  const input = tf.input({shape: [size, size, 3], name: "input"});
  let x: T = input;
  plan.forEach(([filters, convs], b) => {
    for (let c = 1; c <= convs; c++) {
      x = tf.layers
        .conv2d({name: `block${b + 1}_conv${c}`, filters, kernelSize: 3, padding: "same", activation: "relu", kernelInitializer: init.he()})
        .apply(x) as T;
    }
    x = tf.layers.maxPooling2d({name: `block${b + 1}_pool`, poolSize: 2, strides: 2}).apply(x) as T;
  });
  x = tf.layers.flatten({name: "flatten"}).apply(x) as T;
  x = tf.layers.dense({name: "fc1", units: 4096, activation: "relu", kernelInitializer: init.glorot()}).apply(x) as T;
  x = tf.layers.dense({name: "fc2", units: 4096, activation: "relu", kernelInitializer: init.glorot()}).apply(x) as T;
  const logits = tf.layers.dense({name: "logits", units: options.classes ?? 1000, kernelInitializer: init.glorot()}).apply(x) as T;
  return tf.model({inputs: input, outputs: logits, name: "vgg16"});
}

function convBn(x: T, init: SeededInitialisers, name: string, filters: number, kernel: number, strides: number, relu: boolean): T {
  let y = tf.layers.conv2d({name: `${name}_conv`, filters, kernelSize: kernel, strides, padding: "same", kernelInitializer: init.he()}).apply(x) as T;
  y = tf.layers.batchNormalization({name: `${name}_bn`, axis: -1, epsilon: 1.001e-5}).apply(y) as T;
  if (relu) y = tf.layers.activation({name: `${name}_relu`, activation: "relu"}).apply(y) as T;
  return y;
}

/** Keras ResNet50 bottleneck block (v1: stride on the first 1x1 conv). */
function bottleneck(x: T, init: SeededInitialisers, name: string, filters: number, strides: number, project: boolean): T {
  const shortcut = project ? convBn(x, init, `${name}_0`, 4 * filters, 1, strides, false) : x;
  let y = convBn(x, init, `${name}_1`, filters, 1, strides, true);
  y = convBn(y, init, `${name}_2`, filters, 3, 1, true);
  y = convBn(y, init, `${name}_3`, 4 * filters, 1, 1, false);
  const sum = tf.layers.add({name: `${name}_add`}).apply([shortcut, y]) as T;
  return tf.layers.activation({name: `${name}_out`, activation: "relu"}).apply(sum) as T;
}

/** Keras ResNet50: stem, stages conv2..conv5 with [3, 4, 6, 3] bottleneck blocks, then `logits`. */
export function buildResnet50(options: PaperScaleOptions = {}): tf.LayersModel {
  const size = options.inputSize ?? 224;
  const init = seededInitialisers(options.seed ?? 50);
  const input = tf.input({shape: [size, size, 3], name: "input"});
  let x = convBn(input, init, "conv1", 64, 7, 2, true);
  x = tf.layers.maxPooling2d({name: "pool1_pool", poolSize: 3, strides: 2, padding: "same"}).apply(x) as T;
  const stages: Array<[number, number, number]> = [
    [64, 3, 1],
    [128, 4, 2],
    [256, 6, 2],
    [512, 3, 2]
  ];
  stages.forEach(([filters, blocks, stride], s) => {
    for (let b = 1; b <= blocks; b++) {
      x = bottleneck(x, init, `conv${s + 2}_block${b}`, filters, b === 1 ? stride : 1, b === 1);
    }
  });
  x = tf.layers.globalAveragePooling2d({name: "avg_pool"}).apply(x) as T;
  const logits = tf.layers.dense({name: "logits", units: options.classes ?? 1000, kernelInitializer: init.glorot()}).apply(x) as T;
  return tf.model({inputs: input, outputs: logits, name: "resnet50"});
}
