/**
 * FLOP counting behind the paper-scale GFLOP/s figures (loaders/bench/flops.ts), against hand
 * counts on a tiny model and the published totals of VGG16 (15.5 GMACs) and ResNet-50 (3.9–4.1 GMACs).
 */
import * as tf from "@tensorflow/tfjs";
import {describe, expect, it} from "vitest";
import {forwardFlops, inputGradientFlops, layerFlops, trainingBackwardFlops} from "../loaders/bench/flops.js";
import {fp32Peak} from "../loaders/bench/machine.js";
import {buildResnet50, buildVgg16} from "../loaders/models/paper-scale.js";
import {foldBatchNorm} from "../src/lib/model/fold-batchnorm.js";

function tinyModel(): tf.LayersModel {
  const input = tf.input({shape: [8, 8, 3]});
  const a = tf.layers.conv2d({name: "a", filters: 4, kernelSize: 3, strides: 2, padding: "same"}).apply(input) as tf.SymbolicTensor;
  const b = tf.layers.depthwiseConv2d({name: "b", kernelSize: 3, depthMultiplier: 2, padding: "valid"}).apply(a) as tf.SymbolicTensor;
  const c = tf.layers.batchNormalization({name: "c"}).apply(b) as tf.SymbolicTensor;
  const d = tf.layers.flatten({name: "d"}).apply(c) as tf.SymbolicTensor;
  const e = tf.layers.dense({name: "e", units: 5}).apply(d) as tf.SymbolicTensor;
  return tf.model({inputs: input, outputs: e});
}

describe("FLOP counts", () => {
  it("match hand counts layer by layer and skip unweighted / element-wise layers", () => {
    const model = tinyModel();
    // a: 4x4 outputs x 3x3x3 kernel x 4 filters; b: 2x2 outputs x 3x3 x 4 channels x 2; e: 32 inputs x 5 units.
    const hand = [2 * 16 * 27 * 4, 2 * 4 * 9 * 4 * 2, 2 * 32 * 5];
    expect(layerFlops(model)).toEqual([
      {name: "a", flops: hand[0]},
      {name: "b", flops: hand[1]},
      {name: "e", flops: hand[2]}
    ]);
    expect(forwardFlops(model)).toBe(hand[0]! + hand[1]! + hand[2]!);
    expect(inputGradientFlops(model, "a")).toBe(hand[1]! + hand[2]!);
    expect(inputGradientFlops(model, "c")).toBe(hand[2]!);
    expect(trainingBackwardFlops(model)).toBe(hand[0]! + 2 * (hand[1]! + hand[2]!));
    expect(() => inputGradientFlops(model, "nope")).toThrow(/no layer "nope"/);
    model.dispose();
  });

  it("give the published totals for VGG16 and ResNet-50 at 224²", () => {
    const vgg = buildVgg16();
    const resnet = buildResnet50();
    // VGG16: 15.47 GMACs; ResNet-50 (Keras, with projection shortcuts): 3.86 GMACs.
    expect(forwardFlops(vgg) / 2e9).toBeCloseTo(15.47, 1);
    expect(forwardFlops(resnet) / 2e9).toBeGreaterThan(3.8);
    expect(forwardFlops(resnet) / 2e9).toBeLessThan(4.2);
    // Folding batch norm (as bench/paper-scale.ts runs ResNet-50) leaves the convolutions' count as it is.
    const folded = foldBatchNorm(resnet);
    expect(forwardFlops(folded)).toBe(forwardFlops(resnet));
    folded.dispose();
    vgg.dispose();
    resnet.dispose();
  });

  it("states the peak it assumes", () => {
    const peak = fp32Peak();
    expect(peak.gflops).toBeGreaterThan(0);
    expect(peak.formula).toMatch(/cores × .* GHz × (16|32|64) fp32 FLOPs\/cycle = \d+ GFLOP\/s/);
  });
});
