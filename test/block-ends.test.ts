/**
 * SISE's block ends (algorithms.md, SISE step 1; src/lib/model/layers.ts): where a pooling layer,
 * a layer with stride ≥ 2, or a resize to ≤ 0.75 of a side starts — not where an unpadded stride-1
 * convolution trims a border. Small hand-built cases for each part of the rule, then the layer
 * lists of real architectures: InceptionV3 and MobileNetV2 (the nsfwjs ports of the Keras models)
 * and VGG16 / ResNet-50 from the project's paper-scale builders.
 */
import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {openModel} from "../loaders/model-files.js";
import {buildResnet50, buildVgg16} from "../loaders/models/paper-scale.js";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import type {GraphNode} from "../src/lib/model/graph.js";
import {describeLayers} from "../src/lib/model/layers.js";

beforeAll(async () => {
  await selectNodeBackend("cpu");
});

type Stage = (x: tf.SymbolicTensor) => tf.SymbolicTensor;

/** input 16x16x3 → stages → global average pooling → dense; returns the block ends. */
function blockEndsOf(...stages: Stage[]): string[] {
  const input = tf.input({shape: [16, 16, 3]});
  const features = stages.reduce((x, stage) => stage(x), input as tf.SymbolicTensor);
  const pooled = tf.layers.globalAveragePooling2d({}).apply(features) as tf.SymbolicTensor;
  const output = tf.layers.dense({units: 2, activation: "softmax"}).apply(pooled) as tf.SymbolicTensor;
  const model = new ExplainableModel(tf.model({inputs: input, outputs: output}));
  const ends = model.blockEnds;
  model.dispose();
  return ends;
}

const conv =
  (name: string, kernelSize: number, strides: number, padding: "same" | "valid"): Stage =>
  (x) =>
    tf.layers.conv2d({name, filters: 4, kernelSize, strides, padding}).apply(x) as tf.SymbolicTensor;
const apply =
  (layer: tf.layers.Layer): Stage =>
  (x) =>
    layer.apply(x) as tf.SymbolicTensor;

describe("the block-end rule", () => {
  it("skips an unpadded stride-1 convolution's shrink (16 → 14 → 12) and keeps the last 4-D tensor", () => {
    expect(blockEndsOf(conv("a", 3, 1, "valid"), conv("b", 3, 1, "valid"), conv("c", 1, 1, "same"))).toEqual(["c"]);
  });

  it("marks the input of a stride-2 convolution, valid or same, and of pooling", () => {
    expect(blockEndsOf(conv("a", 3, 1, "same"), conv("b", 3, 2, "valid"), conv("c", 3, 1, "same"))).toEqual(["a", "c"]);
    expect(blockEndsOf(conv("a", 3, 1, "same"), conv("b", 3, 2, "same"), conv("c", 3, 1, "same"))).toEqual(["a", "c"]);
    expect(blockEndsOf(conv("a", 3, 1, "same"), apply(tf.layers.maxPooling2d({name: "p", poolSize: 2})), conv("c", 1, 1, "same"))).toEqual(["a", "c"]);
    // Padding in front of the down-sampling layer is looked through (MobileNetV2, ResNet).
    expect(
      blockEndsOf(conv("a", 3, 1, "same"), apply(tf.layers.zeroPadding2d({name: "pad", padding: 1})), conv("b", 3, 2, "valid"), conv("c", 1, 1, "same"))
    ).toEqual(["a", "c"]);
  });

  it("does not mark the input of a stride-1 same pooling, whose output keeps the size (InceptionV3's branches)", () => {
    expect(
      blockEndsOf(conv("a", 3, 1, "same"), apply(tf.layers.averagePooling2d({name: "p", poolSize: 3, strides: 1, padding: "same"})), conv("c", 1, 1, "same"))
    ).toEqual(["c"]);
  });

  it("marks a stride-less op that brings a side to 0.75 or less (a resize), not a milder crop; reads GraphModel ops' strides", () => {
    // GraphModel-style op lists (layer null), as the GraphModel runner builds them.
    const chain = (...ops: [string, number, (readonly [number, number])?][]): string[] => {
      const nodes: GraphNode[] = [];
      const add = (className: string, side: number, strides?: readonly [number, number]) => {
        const node: GraphNode = {
          name: `${className}${nodes.length}`,
          layer: null,
          className,
          inputs: nodes.slice(-1),
          callArgs: {},
          shape: [null, side, side, 4],
          index: nodes.length
        };
        if (strides) node.strides = strides;
        nodes.push(node);
      };
      add("InputLayer", 16);
      for (const [className, side, strides] of ops) add(className, side, strides);
      const head: GraphNode = {name: "mean", layer: null, className: "Mean", inputs: nodes.slice(-1), callArgs: {}, shape: [null, 4], index: nodes.length};
      nodes.push(head);
      return describeLayers({nodes, input: nodes[0]!, output: head})
        .filter((l) => l.blockEnd)
        .map((l) => l.name);
    };
    expect(chain(["Relu", 16], ["ResizeBilinear", 12], ["Relu", 12])).toEqual(["Relu1", "Relu3"]);
    expect(chain(["Relu", 16], ["ResizeBilinear", 13], ["Relu", 13])).toEqual(["Relu3"]);
    expect(chain(["Relu", 16], ["Slice", 14], ["Relu", 14])).toEqual(["Relu3"]);
    expect(chain(["Relu", 16], ["Conv2D", 8, [2, 2]], ["Relu", 8])).toEqual(["Relu1", "Relu3"]);
    expect(chain(["Relu", 16], ["Conv2D", 14, [1, 1]], ["Relu", 14])).toEqual(["Relu3"]);
    expect(chain(["Relu", 16], ["AvgPool", 8, [2, 2]], ["Relu", 8])).toEqual(["Relu1", "Relu3"]);
  });

  it("does not mark a final tensor that is itself down-sampled (VGG's last pool)", () => {
    expect(blockEndsOf(conv("a", 3, 1, "same"), apply(tf.layers.maxPooling2d({name: "p", poolSize: 2})))).toEqual(["a"]);
  });
});

describe("block ends of real architectures", () => {
  it("InceptionV3 (nsfwjs): the inputs of its pools and stride-2 convolutions, not of its 3x3 valid convolutions", async () => {
    const model = await openModel("nsfwjs:inception_v3");
    try {
      const shapes = Object.fromEntries(model.layers.map((l) => [l.name, l.outputShape]));
      const ends = model.blockEnds;
      expect(ends).toEqual(["activation_3", "activation_5", "mixed2", "activation_29", "mixed7", "activation_71", "activation_75", "mixed10"]);
      expect(ends.map((name) => shapes[name])).toEqual([
        [147, 147, 64], // → max_pooling2d_1 (3x3 s2 valid) → 73
        [71, 71, 192], // → max_pooling2d_2 → 35
        [35, 35, 288], // → conv2d_27 (s2) and max_pooling2d_3 → 17
        [35, 35, 96], // → conv2d_30 (s2) → 17
        [17, 17, 768], // → max_pooling2d_4 → 8
        [17, 17, 192], // → conv2d_72 (3x3 s2) → 8
        [17, 17, 192], // → conv2d_76 (3x3 s2) → 8
        [8, 8, 2048] // → global average pooling
      ]);
      // The two stride-1 shrinks the rule must not count: 149 → 147 and 73 → 71.
      expect(shapes["activation_1"]).toEqual([149, 149, 32]);
      expect(shapes["conv2d_2"]).toEqual([147, 147, 32]);
      expect(shapes["activation_4"]).toEqual([73, 73, 80]);
      expect(shapes["conv2d_5"]).toEqual([71, 71, 192]);
      expect(model.defaultCamLayer).toBe("mixed10");
    } finally {
      model.dispose();
    }
  });

  it("MobileNetV2 (nsfwjs): the expansion activations before each stride-2 depthwise convolution, and out_relu", async () => {
    const model = await openModel("nsfwjs:mobilenet_v2");
    try {
      expect(model.blockEnds).toEqual(["block_1_expand_relu", "block_3_expand_relu", "block_6_expand_relu", "block_13_expand_relu", "out_relu"]);
    } finally {
      model.dispose();
    }
  });

  it("VGG16 (paper-scale builder): the last convolution of each block, the five pools' inputs", () => {
    const model = new ExplainableModel(buildVgg16());
    try {
      expect(model.blockEnds).toEqual(["block1_conv2", "block2_conv2", "block3_conv3", "block4_conv3", "block5_conv3"]);
    } finally {
      model.dispose();
    }
  });

  it("ResNet-50 (paper-scale builder): the Keras names of the SISE paper", () => {
    const model = new ExplainableModel(buildResnet50());
    try {
      expect(model.blockEnds).toEqual(["conv1_relu", "conv2_block3_out", "conv3_block4_out", "conv4_block6_out", "conv5_block3_out"]);
    } finally {
      model.dispose();
    }
  });
});
