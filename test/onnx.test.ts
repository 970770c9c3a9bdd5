/**
 * ONNX conversion and ONNX Runtime forward passes (loaders/onnx/): converted models give the
 * tfjs engine's logits (ExplainableModel.logits on wasm, an independent implementation of every
 * layer) within 1e-4 relative on the committed models (face-expression included), nsfwjs
 * MobileNetV2 and InceptionV3 and the paper-scale architectures, at batch 1 and 8; a layer
 * without a conversion is a clear error and
 * `auto` falls back to tfjs; the serialised bytes decode with onnx-proto.
 */
import {createRequire} from "node:module";
import {dirname, join} from "node:path";
import * as tf from "@tensorflow/tfjs";
import type {onnx as OnnxTypes} from "onnx-proto";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {fp32FlopsPerCycle} from "../loaders/bench/machine.js";
import {openModel} from "../loaders/model-files.js";
import {buildResnet50, buildVgg16} from "../loaders/models/paper-scale.js";
import {explainableModelToOnnx, modelToOnnx, UnsupportedLayerError} from "../loaders/onnx/convert.js";
import {permute4d} from "../loaders/onnx/convert-layers.js";
import {createForwardEngine, resolveEngineChoice} from "../loaders/onnx/engine.js";
import {MergingForward} from "../loaders/onnx/executor.js";
import {loadOnnxProto} from "../loaders/onnx/proto.js";
import {forgetOnnxSessions, OnnxModelSession, onnxAvailable, OnnxUnavailableError, openOnnxSession} from "../loaders/onnx/session.js";
import {AbortedError} from "../src/lib/explain/progress.js";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {foldBatchNorm} from "../src/lib/model/fold-batchnorm.js";
import {loadModelFromParts} from "../src/lib/model/load.js";
import {tinyGraphModel} from "./helpers/tiny-graph-model.js";
import {testImage} from "./helpers/tiny-models.js";

beforeAll(async () => {
  expect((await selectNodeBackend("wasm")).backend).toBe("wasm");
  // Fails rather than skips without the optional package (test/onnx-engine.test.ts covers that case).
  if (!onnxAvailable()) throw new Error("ONNX tests need the optional package onnxruntime-node (npm install onnxruntime-node)");
});

/** `n` different noise images of the model's size, as one NHWC pixel batch. */
function pixelBatch(model: ExplainableModel, n: number, seed: number): Float32Array {
  const per = model.inputHeight * model.inputWidth * 3;
  const out = new Float32Array(n * per);
  for (let i = 0; i < n; i++) out.set(testImage(model.inputWidth, model.inputHeight, seed + i).rgb, i * per);
  return out;
}

/** tfjs logits, one image per pass (the reference does not depend on batching; this is faster on wasm). */
async function tfjsLogits(model: ExplainableModel, pixels: Float32Array, n: number): Promise<Float32Array> {
  const per = model.inputHeight * model.inputWidth * 3;
  const out = new Float32Array(n * model.numClasses);
  for (let i = 0; i < n; i++) {
    const logits = tf.tidy(() => model.logits(tf.tensor4d(pixels.subarray(i * per, (i + 1) * per), [1, model.inputHeight, model.inputWidth, 3])));
    out.set(await logits.data(), i * model.numClasses);
    logits.dispose();
  }
  return out;
}

/** max |a − b| / max |b|. */
function relativeError(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  expect(scale).toBeGreaterThan(0);
  return diff / scale;
}

/** The converted model's logits at batch 1 and 8 against tfjs's. */
async function expectMatchesTfjs(model: ExplainableModel, seed: number): Promise<void> {
  const engine = await createForwardEngine(model, {engine: "onnx", threads: 2});
  try {
    expect(engine.engine).toBe("onnx");
    const pixels = pixelBatch(model, 8, seed);
    const reference = await tfjsLogits(model, pixels, 8);
    const one = await engine.forward(pixels.subarray(0, model.inputHeight * model.inputWidth * 3), 1);
    expect(relativeError(one, reference.subarray(0, model.numClasses)), `${model.meta.name} batch 1`).toBeLessThan(1e-4);
    const eight = await engine.forward(pixels, 8);
    expect(relativeError(eight, reference), `${model.meta.name} batch 8`).toBeLessThan(1e-4);
    // The images differ, so do their logits: the batch rows are not one image repeated.
    expect(relativeError(eight.subarray(0, model.numClasses), reference.subarray(model.numClasses, 2 * model.numClasses))).toBeGreaterThan(1e-3);
  } finally {
    await engine.dispose();
  }
}

describe("committed models", () => {
  // face-expression: face-api's DenseNet blocks ported to tfjs layers (SeparableConv2D, concatenations, average pooling).
  for (const dir of ["data/models/vgg-shapes", "data/models/vgg-defects", "data/models/resnet-shapes", "data/models/face-expression"]) {
    it(`${dir}: ONNX logits match tfjs at batch 1 and 8`, async () => {
      const model = await openModel(dir);
      await expectMatchesTfjs(model, 100);
      model.dispose();
    });
  }

  it("exposes named layer outputs in NHWC, equal to the tfjs activations", async () => {
    const model = await openModel("data/models/resnet-shapes");
    const layers = model.blockEnds.slice(-2);
    const handle = await openOnnxSession(model, {outputs: layers, intraOpThreads: 1});
    const pixels = pixelBatch(model, 3, 7);
    const results = await handle.session.run(pixels, 3);
    expect([...results.keys()]).toEqual(["logits", ...layers]);
    const probe = model.probe(tf.tensor4d(pixels, [3, model.inputHeight, model.inputWidth, 3]), {layers});
    for (const [i, layer] of layers.entries()) {
      const activation = probe.activations[i]!;
      expect(results.get(layer)!.shape).toEqual(activation.shape);
      expect(relativeError(results.get(layer)!.data, activation.dataSync() as Float32Array), layer).toBeLessThan(1e-5);
    }
    expect(relativeError(results.get("logits")!.data, probe.logits.dataSync() as Float32Array)).toBeLessThan(1e-4);
    tf.dispose([probe.logits, ...probe.activations]);
    await handle.dispose();
    model.dispose();
  });

  it("creates one session per model and options, shared until the last handle is disposed", async () => {
    const model = await openModel("data/models/vgg-shapes");
    const a = await openOnnxSession(model, {intraOpThreads: 1});
    const b = await openOnnxSession(model, {intraOpThreads: 1});
    const other = await openOnnxSession(model, {intraOpThreads: 2});
    // Identity compared as booleans: printing a session (its model bytes) on a mismatch takes long.
    expect(b.session === a.session).toBe(true);
    expect(other.session === a.session).toBe(false);
    await a.dispose();
    const c = await openOnnxSession(model, {intraOpThreads: 1});
    expect(c.session === b.session).toBe(true);
    await b.dispose();
    await c.dispose();
    const d = await openOnnxSession(model, {intraOpThreads: 1});
    expect(d.session === a.session).toBe(false);
    await expect(d.session.run(new Float32Array(5), 1)).rejects.toThrow(/needs 12288 values, got 5/);
    // Changed weights: forget the cached sessions; the next open converts again, open handles still run.
    forgetOnnxSessions(model);
    const e = await openOnnxSession(model, {intraOpThreads: 1});
    expect(e.session === d.session).toBe(false);
    const pixels = pixelBatch(model, 1, 3);
    expect(relativeError(await d.session.forward(pixels, 1), await e.session.forward(pixels, 1))).toBe(0);
    await Promise.all([d.dispose(), e.dispose(), other.dispose()]);
    model.dispose();
  });

  it("a pool of single-thread worker sessions gives the same logits as one session", async () => {
    const model = await openModel("data/models/vgg-defects");
    const single = await createForwardEngine(model, {engine: "onnx", threads: 1});
    const pool = await createForwardEngine(model, {engine: "onnx", threads: 2, parallelism: "workers"});
    const pixels = pixelBatch(model, 5, 40); // 5 images: chunks of 3 and 2
    const [x, y] = [await single.forward(pixels, 5), await pool.forward(pixels, 5)];
    expect(relativeError(y, x)).toBeLessThan(1e-6);
    await Promise.all([single.dispose(), pool.dispose()]);
    model.dispose();
  });
});

describe("merged runs (loaders/onnx/executor.ts)", () => {
  it("ONNX Runtime gives each image the same logits bit for bit in any batch, with 1 or 2 threads (what merging relies on)", async () => {
    for (const dir of ["data/models/vgg-shapes", "data/models/resnet-shapes", "data/models/face-expression"]) {
      const model = await openModel(dir);
      const per = model.inputHeight * model.inputWidth * 3;
      const pixels = pixelBatch(model, 9, 70);
      for (const threads of [1, 2]) {
        const engine = await createForwardEngine(model, {engine: "onnx", threads});
        const whole = await engine.forward(pixels, 9);
        for (const [start, n] of [
          [0, 1],
          [1, 3],
          [4, 5]
        ] as const) {
          const part = await engine.forward(pixels.subarray(start * per, (start + n) * per), n);
          expect([...part], `${dir}, ${threads} thread(s), images ${start}..${start + n - 1}`).toEqual([
            ...whole.subarray(start * model.numClasses, (start + n) * model.numClasses)
          ]);
        }
        await engine.dispose();
      }
      model.dispose();
    }
  });

  it("batches that wait while a run is in the session go in together (up to the cap), each getting its own logits; cancelled waiting batches are dropped", async () => {
    const model = await openModel("data/models/vgg-shapes");
    const engine = await createForwardEngine(model, {engine: "onnx", threads: 1});
    const runs: number[] = [];
    const counted = {...engine, forward: (batch: Float32Array, n: number) => (runs.push(n), engine.forward(batch, n))};
    const per = model.inputHeight * model.inputWidth * 3;
    const merging = new MergingForward(counted, per, 8);
    const batches = Array.from({length: 5}, (_, i) => pixelBatch(model, 3, 80 + 3 * i));
    const merged = await Promise.all(batches.map((b) => merging.forward(b, 3)));
    // The first batch runs at once; the others waited and go in two runs of 6 (a third batch would pass 8 images).
    expect(runs).toEqual([3, 6, 6]);
    for (const [i, b] of batches.entries()) expect([...merged[i]!], `batch ${i}`).toEqual([...(await engine.forward(b, 3))]);
    await expect(merging.forward(new Float32Array(5), 1)).rejects.toThrow(`a batch of 1 images needs ${per} values, got 5`);

    runs.length = 0;
    const controller = new AbortController();
    const started = merging.forward(batches[0]!, 3, controller.signal);
    const waiting = merging.forward(batches[1]!, 3, controller.signal);
    controller.abort();
    expect((await started).length).toBe(3 * model.numClasses); // already in the session: it finishes
    await expect(waiting).rejects.toThrow(AbortedError);
    expect(runs).toEqual([3]);
    await engine.dispose();
    model.dispose();
  });
});

describe("nsfwjs models", () => {
  it("MobileNetV2: ONNX logits match tfjs at batch 1 and 8", async () => {
    const model = await openModel("nsfwjs:mobilenet_v2");
    await expectMatchesTfjs(model, 200);
    model.dispose();
  });

  it("InceptionV3 (299², scale-free batch norm, 'same' average pooling): ONNX logits match tfjs at batch 1 and 8", async () => {
    const model = await openModel("nsfwjs:inception_v3");
    await expectMatchesTfjs(model, 300);
    model.dispose();
  });
});

/** nsfwjs' MobileNetV2 "mid" ships as a GraphModel (fused conv ops); openModel takes LayersModels only from nsfwjs. */
async function nsfwjsGraphModel(): Promise<tf.GraphModel> {
  const require = createRequire(import.meta.url);
  const base = join(dirname(require.resolve("nsfwjs")), "..", "models", "mobilenet_v2_mid");
  const shard = async (path: string) => {
    const bytes = Buffer.from(require(join(base, `${path.replace(/\.bin$/, "").replace(/^.*\//, "")}.min.js`)) as string, "base64");
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  };
  return (await loadModelFromParts(require(join(base, "model.min.js")) as object, shard, "nsfwjs mobilenet_v2_mid")) as tf.GraphModel;
}

describe("GraphModels", () => {
  it("the hand-written GraphModel (Conv2D, Relu, MaxPool, Mean, MatMul, BiasAdd, Softmax) matches tfjs, with and without its softmax", async () => {
    const graph = await tinyGraphModel();
    const model = new ExplainableModel(graph, {classNames: ["a", "b", "c"]});
    const pixels = pixelBatch(model, 3, 60);
    const handle = await openOnnxSession(model, {intraOpThreads: 1, outputs: ["relu1"]});
    const results = await handle.session.run(pixels, 3);
    expect(relativeError(results.get("logits")!.data, await tfjsLogits(model, pixels, 3))).toBeLessThan(1e-5);
    const x = tf.tensor4d(pixels, [3, 4, 4, 3]);
    const relu1 = model.probe(x, {layers: ["relu1"]});
    expect(results.get("relu1")!.shape).toEqual([3, 4, 4, 2]);
    expect(relativeError(results.get("relu1")!.data, relu1.activations[0]!.dataSync() as Float32Array)).toBeLessThan(1e-6);
    const probabilities = await (await OnnxModelSession.create(modelToOnnx(graph), {intraOpThreads: 1})).forward(tf.div(x, 255).dataSync() as Float32Array, 3);
    expect(relativeError(probabilities, (graph.predict(tf.div(x, 255)) as tf.Tensor).dataSync() as Float32Array)).toBeLessThan(1e-6);
    tf.dispose([x, relu1.logits, ...relu1.activations]);
    await handle.dispose();
  });

  it("nsfwjs MobileNetV2 mid (GraphModel: _FusedConv2D, FusedDepthwiseConv2dNative, _FusedMatMul) matches tfjs at batch 1 and 8", async () => {
    const model = new ExplainableModel(await nsfwjsGraphModel(), {name: "nsfwjs mobilenet_v2_mid"});
    await expectMatchesTfjs(model, 400);
    model.dispose();
  });

  it("names the op it cannot convert", async () => {
    // image [N, 2, 2, 3] → Square (runs in tfjs, has no conversion here) → spatial Mean → [N, 3].
    const modelTopology = {
      node: [
        {name: "image", op: "Placeholder", attr: {dtype: {type: "DT_FLOAT"}, shape: {shape: {dim: [-1, 2, 2, 3].map((d) => ({size: String(d)}))}}}},
        {name: "squared", op: "Square", input: ["image"], attr: {T: {type: "DT_FLOAT"}}},
        {name: "axes", op: "Const", attr: {value: {tensor: {dtype: "DT_INT32", tensorShape: {dim: [{size: "2"}]}}}, dtype: {type: "DT_INT32"}}},
        {name: "mean", op: "Mean", input: ["squared", "axes"], attr: {T: {type: "DT_FLOAT"}, Tidx: {type: "DT_INT32"}, keep_dims: {b: false}}}
      ],
      versions: {producer: 1}
    };
    const graph = await tf.loadGraphModel(
      tf.io.fromMemory({
        modelTopology,
        format: "graph-model",
        weightSpecs: [{name: "axes", shape: [2], dtype: "int32"}],
        weightData: new Int32Array([1, 2]).buffer
      })
    );
    expect((graph.predict(tf.ones([1, 2, 2, 3])) as tf.Tensor).shape).toEqual([1, 3]);
    expect(() => modelToOnnx(graph)).toThrow('cannot convert layer "squared" (Square) to ONNX: this op has no ONNX conversion');
  });
});

describe("paper-scale architectures (small input, same layers)", () => {
  it("VGG16 and ResNet-50, as built and with batch norm folded, match tfjs", async () => {
    const vgg = buildVgg16({inputSize: 64, classes: 10});
    const resnet = buildResnet50({inputSize: 64, classes: 10});
    const folded = foldBatchNorm(resnet);
    for (const [name, layers] of [
      ["VGG16", vgg],
      ["ResNet-50", resnet],
      ["ResNet-50 folded", folded]
    ] as const) {
      const model = new ExplainableModel(layers, {name});
      const handle = await openOnnxSession(model, {intraOpThreads: 2});
      const pixels = pixelBatch(model, 2, 500);
      expect(relativeError(await handle.session.forward(pixels, 2), await tfjsLogits(model, pixels, 2)), name).toBeLessThan(1e-4);
      await handle.dispose();
    }
    folded.dispose();
    resnet.dispose();
    vgg.dispose();
  });
});

/** A model with many layer kinds, seeded weights (batch-norm statistics made non-trivial). */
function layerZoo(): tf.LayersModel {
  let seed = 1;
  const init = () => tf.initializers.glorotUniform({seed: seed++});
  const T = (x: unknown) => x as tf.SymbolicTensor;
  const input = tf.input({shape: [9, 10, 3], name: "image"});
  const pad = T(
    tf.layers
      .zeroPadding2d({
        padding: [
          [1, 0],
          [0, 2]
        ],
        name: "pad"
      })
      .apply(input)
  );
  const sep = T(
    tf.layers
      .separableConv2d({
        filters: 6,
        kernelSize: 3,
        depthMultiplier: 2,
        padding: "same",
        strides: 2,
        activation: "elu",
        depthwiseInitializer: init(),
        pointwiseInitializer: init(),
        biasInitializer: "ones",
        name: "sep"
      })
      .apply(pad)
  );
  const dw = T(
    tf.layers
      .depthwiseConv2d({
        kernelSize: 3,
        depthMultiplier: 2,
        padding: "same",
        useBias: true,
        depthwiseInitializer: init(),
        biasInitializer: init(),
        activation: "selu",
        name: "dw"
      })
      .apply(sep)
  );
  const conv = T(
    tf.layers
      .conv2d({filters: 12, kernelSize: [2, 3], dilationRate: 1, padding: "same", kernelInitializer: init(), activation: "softplus", name: "conv"})
      .apply(sep)
  );
  const mul = T(tf.layers.multiply({name: "mul"}).apply([dw, conv]));
  const avg = T(tf.layers.average({name: "avg"}).apply([dw, conv]));
  const max = T(tf.layers.maximum({name: "max"}).apply([mul, avg]));
  const bnNoScale = T(
    tf.layers
      .batchNormalization({scale: false, name: "bn_noscale", movingMeanInitializer: init(), movingVarianceInitializer: "ones", betaInitializer: init()})
      .apply(max)
  );
  const bnNoCenter = T(
    tf.layers.batchNormalization({center: false, name: "bn_nocenter", movingMeanInitializer: init(), gammaInitializer: init()}).apply(bnNoScale)
  );
  const acts = ["tanh", "softsign", "hardSigmoid", "swish", "mish", "gelu", "relu6", "sigmoid"].map((activation) =>
    T(tf.layers.activation({activation: activation as "tanh", name: `act_${activation}`}).apply(bnNoCenter))
  );
  const cat = T(tf.layers.concatenate({name: "cat"}).apply(acts));
  const leaky = T(tf.layers.leakyReLU({alpha: 0.2, name: "leaky"}).apply(cat));
  const thresholded = T(tf.layers.thresholdedReLU({theta: 0.05, name: "thresholded"}).apply(leaky));
  const elu = T(tf.layers.elu({name: "elu_layer"}).apply(thresholded));
  const relu = T(tf.layers.reLU({maxValue: 0.7, name: "relu_max"}).apply(elu));
  const avgPool = T(tf.layers.averagePooling2d({poolSize: 3, strides: 2, padding: "same", name: "avgpool"}).apply(relu));
  const maxPool = T(tf.layers.maxPooling2d({poolSize: 2, strides: 1, padding: "same", name: "maxpool"}).apply(avgPool));
  const crop = T(
    tf.layers
      .cropping2D({
        cropping: [
          [1, 0],
          [0, 1]
        ],
        name: "crop"
      })
      .apply(maxPool)
  );
  const dense4d = T(tf.layers.dense({units: 5, activation: "relu", kernelInitializer: init(), biasInitializer: init(), name: "dense4d"}).apply(crop));
  const flat = T(tf.layers.flatten({name: "flat"}).apply(dense4d));
  const reshaped = T(tf.layers.reshape({targetShape: [2, 5, 2], name: "reshape"}).apply(flat));
  const gmp = T(tf.layers.globalMaxPooling2d({name: "gmp"}).apply(reshaped));
  const both = T(tf.layers.concatenate({name: "both"}).apply([flat, gmp]));
  const drop = T(tf.layers.dropout({rate: 0.5, name: "drop"}).apply(both));
  const out = T(tf.layers.dense({units: 4, activation: "softmax", kernelInitializer: init(), name: "probs"}).apply(drop));
  return tf.model({inputs: input, outputs: out, name: "zoo"});
}

describe("layer conversions", () => {
  let zoo: tf.LayersModel;
  beforeAll(() => {
    zoo = layerZoo();
  });
  afterAll(() => zoo.dispose());

  it("every layer kind of the zoo matches tfjs: output, intermediate layers and logits", async () => {
    const x = tf.randomUniform([3, 9, 10, 3], -1, 1, "float32", 5);
    const layers = ["sep", "max", "cat", "avgpool", "crop", "flat", "reshape"];
    const session = await OnnxModelSession.create(modelToOnnx(zoo, {outputs: layers}), {intraOpThreads: 1});
    const results = await session.run(x.dataSync() as Float32Array, 3);
    const predicted = zoo.predict(x) as tf.Tensor;
    expect(relativeError(results.get("output")!.data, predicted.dataSync() as Float32Array)).toBeLessThan(1e-5);
    const explainable = new ExplainableModel(zoo);
    const nodes = layers.map((name) => explainable.graph.nodes.find((n) => n.name === name)!);
    const values = explainable.runner.run(x, {targets: nodes});
    for (const node of nodes) {
      const value = values.get(node)!;
      expect(results.get(node.name)!.shape, node.name).toEqual(value.shape);
      expect(relativeError(results.get(node.name)!.data, value.dataSync() as Float32Array), node.name).toBeLessThan(1e-5);
    }
    // Pixels in, logits out: the final softmax is left out exactly as ExplainableModel.logits does.
    const pixels = tf.randomUniform([3, 9, 10, 3], 0, 255, "float32", 6) as tf.Tensor4D;
    const logitsSession = await OnnxModelSession.create(explainableModelToOnnx(explainable), {intraOpThreads: 1});
    const logits = await logitsSession.forward(pixels.dataSync() as Float32Array, 3);
    const expected = explainable.logits(pixels);
    expect(relativeError(logits, expected.dataSync() as Float32Array)).toBeLessThan(1e-5);
    expect(Math.abs(logits.slice(0, 4).reduce((p, q) => p + q, 0) - 1)).toBeGreaterThan(1e-3); // not probabilities
    tf.dispose([x, predicted, pixels, expected, ...values.values()]);
    await Promise.all([session.release(), logitsSession.release()]);
  });

  it("'same' average pooling divides by the pixels inside the image (hand-computed)", async () => {
    const input = tf.input({shape: [2, 2, 1]});
    const pooled = tf.layers.averagePooling2d({poolSize: 2, strides: 1, padding: "same"}).apply(input) as tf.SymbolicTensor;
    const model = tf.model({inputs: input, outputs: tf.layers.flatten().apply(pooled) as tf.SymbolicTensor});
    const session = await OnnxModelSession.create(modelToOnnx(model), {intraOpThreads: 1});
    // [[1, 2], [3, 4]]: windows reach past the bottom/right edge and average only what is inside.
    const out = await session.forward(Float32Array.from([1, 2, 3, 4]), 1);
    expect([...out]).toEqual([2.5, 3, 3.5, 4]);
    await session.release();
    model.dispose();
  });

  it("bakes the preprocessing into the graph: pixels in, ExplainableModel logits out", async () => {
    const input = tf.input({shape: [2, 2, 3]});
    const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
    const model = tf.model({inputs: input, outputs: flat});
    const explainable = new ExplainableModel(model, {preprocessing: {range: [-1, 1], mean: [0.5, 0, -0.5], std: [2, 1, 0.5]}});
    const session = await OnnxModelSession.create(explainableModelToOnnx(explainable), {intraOpThreads: 1});
    const pixels = Float32Array.from({length: 12}, (_, i) => i * 20);
    const out = await session.forward(pixels, 1);
    // By hand: ((p / 255 · 2 − 1) − mean_c) / std_c.
    const expected = [...pixels].map((p, i) => ((p / 255) * 2 - 1 - [0.5, 0, -0.5][i % 3]!) / [2, 1, 0.5][i % 3]!);
    out.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 6));
    await session.release();
    model.dispose();
  });

  it("names the layer and class it cannot convert; auto falls back to tfjs with one notice, onnx throws", async () => {
    const input = tf.input({shape: [4, 4, 3]});
    const up = tf.layers.upSampling2d({size: [2, 2], name: "upsample"}).apply(input) as tf.SymbolicTensor;
    const gap = tf.layers.globalAveragePooling2d({}).apply(up) as tf.SymbolicTensor;
    const model = new ExplainableModel(tf.model({inputs: input, outputs: tf.layers.dense({units: 2}).apply(gap) as tf.SymbolicTensor}));
    expect(() => explainableModelToOnnx(model)).toThrow(UnsupportedLayerError);
    expect(() => explainableModelToOnnx(model)).toThrow('cannot convert layer "upsample" (UpSampling2D) to ONNX');
    const notices: string[] = [];
    const engine = await createForwardEngine(model, {engine: "auto", onNotice: (line) => notices.push(line)});
    expect(engine.engine).toBe("tfjs");
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^engine auto: forward passes on tfjs \(cannot convert layer "upsample" \(UpSampling2D\)/);
    expect(notices[0]).not.toContain("\n");
    const pixels = Float32Array.from({length: 48}, (_, i) => i);
    const logits = await engine.forward(pixels, 1);
    expect([...logits]).toEqual([...(model.logits(tf.tensor4d(pixels, [1, 4, 4, 3])).dataSync() as Float32Array)]);
    await expect(createForwardEngine(model, {engine: "onnx"})).rejects.toThrow(/cannot convert layer "upsample" \(UpSampling2D\)/);
    expect(() => resolveEngineChoice("gpu")).toThrow('unknown engine "gpu": choose one of auto, onnx, tfjs');
    expect(new OnnxUnavailableError("Cannot find module").message).toMatch(/^onnxruntime-node is not installed/);
    model.dispose();
  });
});

describe("serialised ModelProto", () => {
  it("decodes with onnx-proto: opset, dynamic batch, initializers in ONNX layout", async () => {
    const model = await openModel("data/models/vgg-shapes");
    const converted = explainableModelToOnnx(model);
    const onnx = loadOnnxProto();
    const decoded = onnx.ModelProto.decode(converted.bytes);
    expect(decoded.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([["", 13]]);
    expect(Number(decoded.irVersion)).toBe(onnx.Version.IR_VERSION);
    // Decoded messages are class instances: repeated fields are arrays (empty when absent).
    const graph = decoded.graph as OnnxTypes.GraphProto;
    const dims = (v: OnnxTypes.IValueInfoProto) => v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
    expect(graph.input.map((i) => [i.name, dims(i)])).toEqual([["input", ["N", model.inputHeight, model.inputWidth, 3]]]);
    expect(graph.output.map((o) => [o.name, dims(o)])).toEqual([["logits", ["N", model.numClasses]]]);
    // Every node's inputs are produced earlier (topological order) or are initializers / the input.
    const known = new Set<string>(["input", ...graph.initializer.map((t) => t.name!)]);
    for (const node of graph.node) {
      for (const i of node.input ?? []) expect(known.has(i), `${node.opType} input ${i}`).toBe(true);
      for (const o of node.output ?? []) known.add(o);
    }
    const layers = model.model as tf.LayersModel;
    expect(graph.node.filter((n) => n.opType === "Conv")).toHaveLength(layers.layers.filter((l) => l.getClassName() === "Conv2D").length);
    // The first convolution's kernel is tfjs's [kh, kw, in, out] reordered to [out, in, kh, kw].
    const conv = layers.layers.find((l) => l.getClassName() === "Conv2D")!;
    const kernel = conv.getWeights()[0]!;
    const stored = graph.initializer.find((t) => t.name === `${conv.name}/kernel`)!;
    expect(stored.dims!.map(Number)).toEqual([kernel.shape[3], kernel.shape[2], kernel.shape[0], kernel.shape[1]]);
    const raw = new Float32Array(Uint8Array.from(stored.rawData!).buffer); // a copy: decoded bytes may be an unaligned Buffer view
    expect([...raw]).toEqual([...permute4d(kernel.dataSync() as Float32Array, kernel.shape, [3, 2, 0, 1])]);
    // Re-encoding the decoded message gives the same bytes.
    expect(Buffer.from(onnx.ModelProto.encode(decoded).finish()).equals(Buffer.from(converted.bytes))).toBe(true);
    model.dispose();
  });

  it("permute4d reorders axes (hand-checked)", () => {
    // [1, 2, 3, 1] → [1, 1, 2, 3] (NHWC → NCHW of a 2×3 single-channel image): same order.
    expect([...permute4d(Float32Array.from([1, 2, 3, 4, 5, 6]), [1, 2, 3, 1], [0, 3, 1, 2])]).toEqual([1, 2, 3, 4, 5, 6]);
    // [1, 1, 2, 2] transposed on the last two axes.
    expect([...permute4d(Float32Array.from([1, 2, 3, 4]), [1, 1, 2, 2], [0, 1, 3, 2])]).toEqual([1, 3, 2, 4]);
  });
});

describe("fp32 FLOPs per cycle (loaders/bench/machine.ts)", () => {
  const info = (vendor: string, family: number, model: number, flags: string) =>
    `vendor_id\t: ${vendor}\ncpu family\t: ${family}\nmodel\t\t: ${model}\nflags\t\t: fpu sse ${flags}\n`;
  it("follows the documented rules", () => {
    expect(fp32FlopsPerCycle(info("AuthenticAMD", 26, 2, "fma avx2 avx512f")).perCycle).toBe(64);
    expect(fp32FlopsPerCycle(info("AuthenticAMD", 25, 17, "fma avx2 avx512f")).perCycle).toBe(32);
    expect(fp32FlopsPerCycle(info("GenuineIntel", 6, 143, "fma avx2 avx512f amx_tile")).perCycle).toBe(64);
    expect(fp32FlopsPerCycle(info("GenuineIntel", 6, 85, "fma avx2 avx512f")).rule).toMatch(/1 or 2 x 512-bit FMA by model/);
    expect(fp32FlopsPerCycle(info("GenuineIntel", 6, 85, "fma avx2 avx512f")).perCycle).toBe(32);
    expect(fp32FlopsPerCycle(info("AuthenticAMD", 23, 1, "fma avx2")).perCycle).toBe(16);
    expect(fp32FlopsPerCycle(info("AuthenticAMD", 23, 49, "fma avx2")).perCycle).toBe(32);
    expect(fp32FlopsPerCycle(info("GenuineIntel", 6, 60, "fma avx2")).perCycle).toBe(32);
    expect(fp32FlopsPerCycle(info("GenuineIntel", 6, 42, "avx")).perCycle).toBe(16);
    // "avx512f" must be a whole flag, not a prefix match of another one.
    expect(fp32FlopsPerCycle(info("AuthenticAMD", 26, 2, "fma avx2 avx512fx")).perCycle).toBe(32);
  });
});
