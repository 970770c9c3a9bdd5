/**
 * Inference-time batch-norm folding (src/lib/model/fold-batchnorm.ts) on a small seeded
 * ResNet-style model with non-trivial batch-norm statistics: same logits, same activations and
 * gradients at the layers explainers use (input gradient included), same layer rules, and clear
 * errors for models it cannot fold.
 */
import * as tf from "@tensorflow/tfjs";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {buildResnet} from "../loaders/models/resnet.js";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {batchNormFoldPlan, foldBatchNorm, foldedExplainableModel} from "../src/lib/model/fold-batchnorm.js";

const SIZE = 32;

/** Small ResNet (two stages, projection shortcuts) with seeded, non-trivial batch-norm statistics. */
function seededResnet(): tf.LayersModel {
  const model = buildResnet({classes: 4, inputSize: SIZE, seed: 7, stemFilters: 8, stageFilters: [8, 16], blocksPerStage: [2, 1]});
  let seed = 100;
  for (const layer of model.layers) {
    if (layer.getClassName() !== "BatchNormalization") continue;
    const [gamma, beta, mean, variance] = layer.getWeights().map((w) => w.shape);
    const values = [
      tf.randomUniform(gamma!, 0.5, 1.5, "float32", seed++),
      tf.randomUniform(beta!, -0.3, 0.3, "float32", seed++),
      tf.randomUniform(mean!, -0.2, 0.2, "float32", seed++),
      tf.randomUniform(variance!, 0.5, 2, "float32", seed++)
    ];
    layer.setWeights(values);
    tf.dispose(values);
  }
  return model;
}

function pixels(n: number, seed: number): tf.Tensor4D {
  return tf.randomUniform([n, SIZE, SIZE, 3], 0, 255, "float32", seed) as tf.Tensor4D;
}

/** max |a − b| / max |a|. */
function relativeError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]! / Math.max(tf.max(tf.abs(a)).dataSync()[0]!, 1e-12));
}

describe.each(["cpu", "wasm"] as const)("batch-norm folding on %s", (backend) => {
  let original: tf.LayersModel;
  let folded: tf.LayersModel;

  beforeAll(async () => {
    await selectNodeBackend(backend);
    original = seededResnet();
    folded = foldBatchNorm(original);
  });

  afterAll(() => {
    folded.dispose();
    original.dispose();
  });

  it("folds every conv + batch norm (+ ReLU) chain and names each after its last layer", () => {
    expect(tf.getBackend()).toBe(backend);
    const plan = batchNormFoldPlan(original);
    const bnCount = original.layers.filter((l) => l.getClassName() === "BatchNormalization").length;
    expect(plan.chains).toHaveLength(bnCount);
    expect(plan.unfolded).toEqual([]);
    expect(plan.chains).toContainEqual({name: "conv1_relu", conv: "conv1_conv", batchNorm: "conv1_bn", relu: "conv1_relu"});
    expect(plan.chains).toContainEqual({name: "conv2_block1_2_bn", conv: "conv2_block1_2_conv", batchNorm: "conv2_block1_2_bn"});
    expect(plan.chains).toContainEqual({name: "conv2_block1_0_bn", conv: "conv2_block1_0_conv", batchNorm: "conv2_block1_0_bn"});

    const names = folded.layers.map((l) => l.name);
    expect(folded.layers.filter((l) => l.getClassName() === "BatchNormalization")).toHaveLength(0);
    expect(names).not.toContain("conv1_conv");
    expect(names).not.toContain("conv1_bn");
    for (const kept of [
      "conv1_relu",
      "conv2_block1_1_relu",
      "conv2_block1_add",
      "conv2_block1_out",
      "conv2_block2_out",
      "conv3_block1_out",
      "avg_pool",
      "logits"
    ]) {
      expect(names).toContain(kept);
    }
    const stem = folded.getLayer("conv1_relu");
    expect(stem.getClassName()).toBe("Conv2D");
    expect((stem.getConfig() as {activation: string; useBias: boolean}).activation).toBe("relu");
    expect((stem.getConfig() as {useBias: boolean}).useBias).toBe(true);
    expect(folded.layers.length).toBe(original.layers.length - bnCount - plan.chains.filter((c) => c.relu).length);
  });

  it("keeps the explainers' layer rules", () => {
    const a = new ExplainableModel(original);
    const b = new ExplainableModel(folded);
    expect(b.blockEnds).toEqual(a.blockEnds);
    expect(b.defaultCamLayer).toBe(a.defaultCamLayer);
    expect(b.camLayers.filter((n) => !a.camLayers.includes(n))).toEqual([]);
  });

  it("gives the same logits as the unfolded model (inference statistics)", () => {
    const x = pixels(3, 1);
    const a = new ExplainableModel(original).logits(x);
    const b = new ExplainableModel(folded).logits(x);
    expect(relativeError(a, b)).toBeLessThan(1e-4);
    // Not trivially equal: the folded kernel is the original one scaled per channel.
    const [k0, k1] = [original.getLayer("conv1_conv").getWeights()[0]!, folded.getLayer("conv1_relu").getWeights()[0]!];
    expect(relativeError(k0, k1)).toBeGreaterThan(0.1);
    tf.dispose([x, a, b]);
  });

  it("gives the same activations and gradients (input gradient included) when probed", () => {
    const x = pixels(2, 2);
    const request = {layers: ["conv1_relu", "conv2_block1_out", "conv3_block1_add"], classIndex: 1, score: "logit", inputGradient: true} as const;
    const a = new ExplainableModel(original).probe(x, request);
    const b = new ExplainableModel(folded).probe(x, request);
    expect(relativeError(a.logits, b.logits)).toBeLessThan(1e-4);
    expect(relativeError(a.scores!, b.scores!)).toBeLessThan(1e-4);
    a.activations.forEach((act, i) => expect(relativeError(act, b.activations[i]!)).toBeLessThan(1e-4));
    a.gradients!.forEach((g, i) => expect(relativeError(g, b.gradients![i]!)).toBeLessThan(1e-4));
    expect(relativeError(a.inputGradient!, b.inputGradient!)).toBeLessThan(1e-4);
    // The input gradient is not zero (else the comparison above would be empty).
    expect(tf.tidy(() => tf.max(tf.abs(a.inputGradient!)).dataSync()[0]!)).toBeGreaterThan(0);
    for (const r of [a, b]) tf.dispose([r.logits, r.scores!, r.classes!, ...r.activations, ...r.gradients!, r.inputGradient!]);
    x.dispose();
  });

  it("folds an ExplainableModel keeping its meta", () => {
    const meta = {
      name: "tiny",
      classNames: ["a", "b", "c", "d"],
      preprocessing: {range: [-1, 1] as [number, number], mean: [0.1, 0, -0.1] as [number, number, number], std: [1, 2, 1] as [number, number, number]}
    };
    const source = new ExplainableModel(original, meta);
    const target = foldedExplainableModel(source);
    expect(target.meta).toEqual(source.meta);
    expect(target.model).not.toBe(original);
    const x = pixels(1, 5);
    const [a, b] = [source.logits(x), target.logits(x)];
    expect(relativeError(a, b)).toBeLessThan(1e-4);
    tf.dispose([x, a, b]);
    target.dispose();
  });

  it("leaves the original model intact and leaks no tensors", () => {
    const before = tf.memory().numTensors;
    const copy = foldBatchNorm(original);
    copy.dispose();
    expect(tf.memory().numTensors).toBe(before);
    // Weights shared with the disposed copy are still alive in the original.
    const x = pixels(1, 3);
    const y = original.predict(tf.div(x, 255)) as tf.Tensor;
    expect(Number.isFinite(y.dataSync()[0]!)).toBe(true);
    tf.dispose([x, y]);
  });
});

describe("models batch-norm folding cannot handle", () => {
  beforeAll(async () => {
    await selectNodeBackend("cpu");
  });

  function bnAfterAdd(): tf.LayersModel {
    const input = tf.input({shape: [8, 8, 3], name: "image"});
    const a = tf.layers.conv2d({name: "a_conv", filters: 4, kernelSize: 3, padding: "same"}).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({name: "b_conv", filters: 4, kernelSize: 1}).apply(input) as tf.SymbolicTensor;
    const sum = tf.layers.add({name: "sum"}).apply([a, b]) as tf.SymbolicTensor;
    const bn = tf.layers.batchNormalization({name: "sum_bn"}).apply(sum) as tf.SymbolicTensor;
    const gap = tf.layers.globalAveragePooling2d({name: "gap"}).apply(bn) as tf.SymbolicTensor;
    const out = tf.layers.dense({name: "logits", units: 2}).apply(gap) as tf.SymbolicTensor;
    const model = tf.model({inputs: input, outputs: out});
    model.getLayer("sum_bn").setWeights([tf.fill([4], 2), tf.fill([4], 0.5), tf.fill([4], 0.1), tf.fill([4], 3)]);
    return model;
  }

  it("throws, naming the batch norm and the reason, when a batch norm does not follow a convolution", () => {
    const model = bnAfterAdd();
    expect(() => foldBatchNorm(model)).toThrow(/cannot fold batch norm "sum_bn".*"sum" is a Add, not a Conv2D/);
    // Kept as it is on request; the result is still equivalent.
    expect(batchNormFoldPlan(model, {allowUnfolded: true}).unfolded).toEqual([{batchNorm: "sum_bn", reason: expect.stringMatching(/not a Conv2D/)}]);
    const kept = foldBatchNorm(model, {allowUnfolded: true});
    expect(kept.getLayer("sum_bn").getClassName()).toBe("BatchNormalization");
    const x = tf.randomUniform([2, 8, 8, 3], 0, 1, "float32", 4);
    const [a, b] = [model.predict(x) as tf.Tensor, kept.predict(x) as tf.Tensor];
    expect(relativeError(a, b)).toBeLessThan(1e-5);
    tf.dispose([x, a, b]);
    kept.dispose();
    model.dispose();
  });

  it("throws when the convolution's raw output is also read elsewhere", () => {
    const input = tf.input({shape: [8, 8, 3]});
    const conv = tf.layers.conv2d({name: "c_conv", filters: 3, kernelSize: 3, padding: "same"}).apply(input) as tf.SymbolicTensor;
    const bn = tf.layers.batchNormalization({name: "c_bn"}).apply(conv) as tf.SymbolicTensor;
    const sum = tf.layers.add({name: "c_add"}).apply([conv, bn]) as tf.SymbolicTensor;
    const model = tf.model({inputs: input, outputs: tf.layers.flatten().apply(sum) as tf.SymbolicTensor});
    expect(() => foldBatchNorm(model)).toThrow(/cannot fold batch norm "c_bn".*"c_conv" is also used elsewhere/);
    model.dispose();
  });

  it("throws for Sequential models", () => {
    const model = tf.sequential({
      layers: [tf.layers.conv2d({inputShape: [8, 8, 3], filters: 2, kernelSize: 3}), tf.layers.batchNormalization(), tf.layers.flatten()]
    });
    expect(() => foldBatchNorm(model)).toThrow(/Sequential models are not supported/);
    model.dispose();
  });

  it("copies a model without batch norm unchanged", () => {
    const input = tf.input({shape: [8, 8, 3]});
    const conv = tf.layers.conv2d({name: "plain", filters: 3, kernelSize: 3, activation: "relu"}).apply(input) as tf.SymbolicTensor;
    const model = tf.model({inputs: input, outputs: tf.layers.flatten({name: "flat"}).apply(conv) as tf.SymbolicTensor});
    const copy = foldBatchNorm(model);
    expect(copy.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    const x = tf.randomUniform([1, 8, 8, 3], 0, 1, "float32", 5);
    const [a, b] = [model.predict(x) as tf.Tensor, copy.predict(x) as tf.Tensor];
    expect(relativeError(a, b)).toBe(0);
    tf.dispose([x, a, b]);
    copy.dispose();
    model.dispose();
  });
});
