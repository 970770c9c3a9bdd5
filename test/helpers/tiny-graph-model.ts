/**
 * A hand-written tfjs GraphModel (GraphDef JSON + weights) and the equivalent LayersModel:
 * 4x4x3 → 1x1 conv → ReLU → 2x2 max pool → 1x1 conv → ReLU → mean → dense → softmax.
 */
import * as tf from "@tensorflow/tfjs";

const conv1 = [0.5, -1.0, 1.0, 0.25, -0.5, 0.75]; // [1,1,3,2]
const conv2 = [1.0, -0.5, 0.5, 1.5]; // [1,1,2,2]
const dense = [2.0, -1.0, 0.5, -0.5, 1.5, 0.25]; // [2,3]
const bias = [0.1, -0.2, 0.05];

const b64 = (s: string) => btoa(s);
const ints = (xs: number[]) => ({list: {i: xs.map(String)}});
const shapeAttr = (dims: number[]) => ({dim: dims.map((d) => ({size: String(d)}))});
const constNode = (name: string, dims: number[], dtype = "DT_FLOAT") => ({
  name,
  op: "Const",
  attr: {value: {tensor: {dtype, tensorShape: shapeAttr(dims)}}, dtype: {type: dtype}}
});
const conv = (name: string, input: string, filter: string) => ({
  name,
  op: "Conv2D",
  input: [input, filter],
  attr: {T: {type: "DT_FLOAT"}, strides: ints([1, 1, 1, 1]), dilations: ints([1, 1, 1, 1]), padding: {s: b64("SAME")}, data_format: {s: b64("NHWC")}}
});
const unary = (name: string, op: string, input: string) => ({name, op, input: [input], attr: {T: {type: "DT_FLOAT"}}});

/** The graph's files as tfjs writes them: GraphDef JSON, weight specs and the weights' bytes. */
export function tinyGraphModelArtifacts(): {modelTopology: object; weightSpecs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer} {
  const modelTopology = {
    node: [
      {name: "image", op: "Placeholder", attr: {dtype: {type: "DT_FLOAT"}, shape: {shape: shapeAttr([-1, 4, 4, 3])}}},
      constNode("conv1_w", [1, 1, 3, 2]),
      conv("conv1", "image", "conv1_w"),
      unary("relu1", "Relu", "conv1"),
      {
        name: "pool",
        op: "MaxPool",
        input: ["relu1"],
        attr: {T: {type: "DT_FLOAT"}, ksize: ints([1, 2, 2, 1]), strides: ints([1, 2, 2, 1]), padding: {s: b64("VALID")}, data_format: {s: b64("NHWC")}}
      },
      constNode("conv2_w", [1, 1, 2, 2]),
      conv("conv2", "pool", "conv2_w"),
      unary("relu2", "Relu", "conv2"),
      constNode("mean_axes", [2], "DT_INT32"),
      {name: "mean", op: "Mean", input: ["relu2", "mean_axes"], attr: {T: {type: "DT_FLOAT"}, Tidx: {type: "DT_INT32"}, keep_dims: {b: false}}},
      constNode("dense_w", [2, 3]),
      {name: "matmul", op: "MatMul", input: ["mean", "dense_w"], attr: {T: {type: "DT_FLOAT"}, transpose_a: {b: false}, transpose_b: {b: false}}},
      constNode("dense_b", [3]),
      {name: "logits", op: "BiasAdd", input: ["matmul", "dense_b"], attr: {T: {type: "DT_FLOAT"}, data_format: {s: b64("NHWC")}}},
      unary("probabilities", "Softmax", "logits")
    ],
    versions: {producer: 1}
  };
  const weights: [string, number[], number[], "float32" | "int32"][] = [
    ["conv1_w", [1, 1, 3, 2], conv1, "float32"],
    ["conv2_w", [1, 1, 2, 2], conv2, "float32"],
    ["mean_axes", [2], [1, 2], "int32"],
    ["dense_w", [2, 3], dense, "float32"],
    ["dense_b", [3], bias, "float32"]
  ];
  const buffers = weights.map(([, , values, dtype]) => (dtype === "int32" ? new Int32Array(values) : new Float32Array(values)));
  const weightData = new Uint8Array(buffers.reduce((s, b) => s + b.byteLength, 0));
  let offset = 0;
  for (const b of buffers) {
    weightData.set(new Uint8Array(b.buffer), offset);
    offset += b.byteLength;
  }
  return {modelTopology, weightSpecs: weights.map(([name, shape, , dtype]) => ({name, shape, dtype})), weightData: weightData.buffer};
}

export async function tinyGraphModel(): Promise<tf.GraphModel> {
  return tf.loadGraphModel(tf.io.fromMemory({...tinyGraphModelArtifacts(), format: "graph-model"}));
}

export function equivalentLayersModel(): tf.LayersModel {
  const input = tf.input({shape: [4, 4, 3]});
  let x = tf.layers.conv2d({filters: 2, kernelSize: 1, useBias: false, activation: "relu", name: "relu1"}).apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({poolSize: 2, name: "pool"}).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({filters: 2, kernelSize: 1, useBias: false, activation: "relu", name: "relu2"}).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({name: "mean"}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({units: 3, activation: "softmax", name: "probabilities"}).apply(x) as tf.SymbolicTensor;
  const model = tf.model({inputs: input, outputs: out});
  model.getLayer("relu1").setWeights([tf.tensor4d(conv1, [1, 1, 3, 2])]);
  model.getLayer("relu2").setWeights([tf.tensor4d(conv2, [1, 1, 2, 2])]);
  model.getLayer("probabilities").setWeights([tf.tensor2d(dense, [2, 3]), tf.tensor1d(bias)]);
  return model;
}
