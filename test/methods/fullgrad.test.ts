import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {ExplainableModel} from "../../src/lib/model/adapter.js";
import {fullGrad} from "../../src/lib/methods/fullgrad.js";
import {linearHeadModel, testImage} from "../helpers/tiny-models.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const seeded = (seed: number) => tf.initializers.randomNormal({mean: 0, stddev: 0.4, seed});

/** conv(bias, relu) → max pool → conv(bias) → batch norm → relu → GAP → dense(bias, relu) → dense(bias). */
function reluNetWithBiases(): tf.LayersModel {
  const input = tf.input({shape: [12, 12, 3]});
  let x = tf.layers
    .conv2d({filters: 6, kernelSize: 3, padding: "same", activation: "relu", name: "conv1", kernelInitializer: seeded(1), biasInitializer: seeded(2)})
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({poolSize: 2, name: "pool1"}).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({filters: 5, kernelSize: 3, padding: "same", name: "conv2", kernelInitializer: seeded(3), biasInitializer: seeded(4)})
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({name: "bn2"}).apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({activation: "relu", name: "relu2"}).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({name: "gap"}).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({units: 4, activation: "relu", name: "fc1", kernelInitializer: seeded(5), biasInitializer: seeded(6)}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({units: 3, name: "logits", kernelInitializer: seeded(7), biasInitializer: seeded(8)}).apply(x) as tf.SymbolicTensor;
  const model = tf.model({inputs: input, outputs: out});
  const bn = model.getLayer("bn2");
  bn.setWeights([
    tf.tensor1d([1.2, 0.7, 1.5, 0.9, 1.1]),
    tf.tensor1d([0.3, -0.2, 0.1, 0.4, -0.1]),
    tf.tensor1d([0.2, -0.1, 0.05, 0.3, 0]),
    tf.tensor1d([0.8, 1.3, 0.5, 1, 2])
  ]);
  return model;
}

describe("FullGrad", () => {
  it("is complete: ∇_x y·x + Σ bias terms = y_c to rounding, for every class", async () => {
    const model = new ExplainableModel(reluNetWithBiases());
    const image = testImage(12, 12, 5);
    for (const classIndex of [0, 1, 2]) {
      const result = await fullGrad.explain(model, image, {classIndex});
      const {inputTerm, biasTerms, score} = result.intermediates!.completeness as {inputTerm: number; biasTerms: number; score: number};
      expect(Math.abs(biasTerms)).toBeGreaterThan(0.01); // the biases matter in this net
      expect(inputTerm + biasTerms).toBeCloseTo(score, 4);
      expect(result.intermediates!.biasLayers).toEqual(["conv1", "conv2", "bn2", "fc1", "logits"]);
    }
    model.dispose();
  });

  it("equals the hand-computed input term on a linear net without spatial biases", async () => {
    // y_c = Σ_k W_kc·mean_p(Σ_c' x_c'(p)/255·K_c'k) + b_c, so ∂y/∂x_c'(p) = Σ_k W_kc·K_c'k/(16·255).
    const {model: tfModel, convKernel, denseKernel} = linearHeadModel("linear");
    const model = new ExplainableModel(tfModel);
    const image = testImage(4, 4, 9);
    const classIndex = 1;
    const result = await fullGrad.explain(model, image, {classIndex});
    const term = Array.from({length: 16}, (_, p) =>
      [0, 1, 2].map((c) =>
        Math.abs(((denseKernel[0]![classIndex]! * convKernel[c]![0]! + denseKernel[1]![classIndex]! * convKernel[c]![1]!) / (16 * 255)) * image.rgb[p * 3 + c]!)
      )
    );
    const flat = term.flat();
    const [lo, hi] = [Math.min(...flat), Math.max(...flat)];
    const perPixel = term.map((cs) => cs.reduce((s, v) => s + (v - lo) / (hi - lo + 1e-6), 0));
    const [plo, phi] = [Math.min(...perPixel), Math.max(...perPixel)];
    perPixel.forEach((v, p) => expect(result.map.data[p]).toBeCloseTo((v - plo) / (phi - plo + 1e-6), 5));
    expect(result.passes).toEqual({forward: 1, backward: 1});
    model.dispose();
  });

  it("leaks no tensors over repeated runs", async () => {
    const model = new ExplainableModel(reluNetWithBiases());
    const image = testImage(12, 12, 1);
    await fullGrad.explain(model, image);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await fullGrad.explain(model, image);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
