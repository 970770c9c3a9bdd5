/**
 * Batch norm without a scale (γ) or an offset (β), as in every batch norm of InceptionV3: tfjs
 * 4.22 cannot differentiate such a layer at all (its op gets `undefined` for the missing input,
 * which the engine tries to save or trace), so the engine applies it with γ = 1 / β = 0 passed
 * explicitly under a gradient tape (src/lib/model/input-only-gradient.ts). Checked against a
 * hand-computed gradient, against the same model with the missing weight present (γ = 1, β = 0),
 * and against finite differences, on cpu and wasm.
 */
import * as tf from "@tensorflow/tfjs";
import {describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {getMethod} from "../src/lib/methods/registry.js";
import {testImage} from "./helpers/tiny-models.js";

const SIDE = 6;

/** Deterministic values in [lo, hi). */
function values(size: number, seed: number, lo = -1, hi = 1): Float32Array {
  const out = new Float32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = lo + (state / 4294967296) * (hi - lo);
  }
  return out;
}

interface Variant {
  scale: boolean;
  center: boolean;
  /** Normalised axis of the middle batch norm (3: channels; 1: rows, to exercise broadcasting). */
  axis: number;
}

/**
 * input → conv 3x3 (4) → BN(variant) → ReLU → BN(axis 3, variant) → GAP → dense(3). With
 * `explicit`, the batch norms have γ and β even where the variant drops them, set to 1 and 0:
 * the same function through the layers' ordinary path.
 */
function model(variant: Variant, explicit: boolean): tf.LayersModel {
  const input = tf.input({shape: [SIDE, SIDE, 3]});
  const conv = tf.layers.conv2d({filters: 4, kernelSize: 3, padding: "same", name: "conv", kernelInitializer: tf.initializers.randomUniform({seed: 1})});
  const flags = explicit ? {scale: true, center: true} : {scale: variant.scale, center: variant.center};
  const bn1 = tf.layers.batchNormalization({...flags, axis: variant.axis, name: "bn1"});
  const bn2 = tf.layers.batchNormalization({...flags, axis: 3, name: "bn2"});
  let x = conv.apply(input) as tf.SymbolicTensor;
  x = bn1.apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({activation: "relu", name: "relu"}).apply(x) as tf.SymbolicTensor;
  x = bn2.apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({name: "gap"}).apply(x) as tf.SymbolicTensor;
  const output = tf.layers.dense({units: 3, name: "logits", kernelInitializer: tf.initializers.randomUniform({seed: 2})}).apply(x) as tf.SymbolicTensor;
  const built = tf.model({inputs: input, outputs: output});
  for (const [layer, size, seed] of [
    [bn1, variant.axis === 3 ? 4 : SIDE, 10],
    [bn2, 4, 20]
  ] as const) {
    const gamma = variant.scale ? [tf.tensor1d(values(size, seed, 0.5, 2))] : explicit ? [tf.ones([size])] : [];
    const beta = variant.center ? [tf.tensor1d(values(size, seed + 1))] : explicit ? [tf.zeros([size])] : [];
    const mean = tf.tensor1d(values(size, seed + 2));
    const variance = tf.tensor1d(values(size, seed + 3, 0.2, 3));
    layer.setWeights([...gamma, ...beta, mean, variance]);
  }
  return built;
}

const VARIANTS: Variant[] = [
  {scale: false, center: true, axis: 3},
  {scale: true, center: false, axis: 3},
  {scale: false, center: false, axis: 3},
  {scale: false, center: true, axis: 1}
];

const pixels = () => tf.tensor4d(Float32Array.from(testImage(SIDE, SIDE, 4).rgb), [1, SIDE, SIDE, 3]);

/** Gradients of class 1's logit w.r.t. `relu` and the pixels. */
async function gradients(explainable: ExplainableModel): Promise<{layer: Float32Array; input: Float32Array; activation: Float32Array}> {
  const x = pixels();
  const probe = explainable.probe(x, {layers: ["relu"], classIndex: 1, score: "logit", inputGradient: true});
  const result = {
    layer: (await probe.gradients![0]!.data()) as Float32Array,
    input: (await probe.inputGradient!.data()) as Float32Array,
    activation: (await probe.activations[0]!.data()) as Float32Array
  };
  tf.dispose([x, probe.logits, probe.scores!, probe.classes!, ...probe.activations, ...probe.gradients!, probe.inputGradient!]);
  return result;
}

function maxRelative(actual: Float32Array, expected: Float32Array): number {
  let scale = 0;
  let error = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    error = Math.max(error, Math.abs(actual[i]! - expected[i]!));
  }
  return error / scale;
}

for (const backend of ["cpu", "wasm"] as const) {
  describe(`batch norm without scale or offset, differentiated on ${backend}`, () => {
    it("has the hand-computed input gradient: w / (HW·255·√(σ² + ε)) through input → BN(no γ) → GAP → dense", async () => {
      await selectNodeBackend(backend);
      const input = tf.input({shape: [2, 2, 3]});
      const bn = tf.layers.batchNormalization({scale: false, epsilon: 0.01, name: "bn"});
      const pooled = tf.layers.globalAveragePooling2d({}).apply(bn.apply(input)) as tf.SymbolicTensor;
      const dense = tf.layers.dense({units: 2, name: "logits"});
      const explainable = new ExplainableModel(tf.model({inputs: input, outputs: dense.apply(pooled) as tf.SymbolicTensor}));
      const variance = [0.99, 3.99, 0.24];
      bn.setWeights([tf.tensor1d([0.5, -1, 2]), tf.tensor1d([0.1, 0.2, 0.3]), tf.tensor1d(variance)]);
      const w = [1, -2, 0.5, 4, 3, -1]; // [3 channels, 2 classes]
      dense.setWeights([tf.tensor2d(w, [3, 2]), tf.tensor1d([0, 0])]);
      const x = tf.tensor4d(Float32Array.from(testImage(2, 2, 1).rgb), [1, 2, 2, 3]);
      const probe = explainable.probe(x, {layers: ["bn"], classIndex: 1, score: "logit", inputGradient: true});
      const g = await probe.inputGradient!.data();
      for (let i = 0; i < 12; i++) {
        const c = i % 3;
        expect(g[i]).toBeCloseTo(w[c * 2 + 1]! / (4 * 255 * Math.sqrt(variance[c]! + 0.01)), 7);
      }
      tf.dispose([x, probe.logits, probe.scores!, probe.classes!, ...probe.activations, ...probe.gradients!, probe.inputGradient!]);
      explainable.dispose();
    });

    for (const variant of VARIANTS) {
      const label = `${variant.scale ? "" : "no γ "}${variant.center ? "" : "no β "}axis ${variant.axis}`;
      it(`${label}: the same gradients as with γ = 1 / β = 0 present, and finite differences`, async () => {
        await selectNodeBackend(backend);
        const partial = new ExplainableModel(model(variant, false));
        const explicit = new ExplainableModel(model(variant, true));
        const a = await gradients(partial);
        const b = await gradients(explicit);
        expect(maxRelative(a.layer, b.layer)).toBeLessThan(1e-6);
        expect(maxRelative(a.input, b.input)).toBeLessThan(1e-6);
        // Central differences of the logit through the head (relu → BN → GAP → dense): linear
        // in the ReLU's output, so exact up to float32 rounding.
        const x = pixels();
        const base = a.activation;
        const logit = (k: number, delta: number) =>
          tf.tidy(() => {
            const bumped = base.slice();
            bumped[k] = bumped[k]! + delta;
            const replaced = partial.runner.run(tf.zeros([1, SIDE, SIDE, 3]), {
              replace: new Map([["relu", tf.tensor4d(bumped, [1, SIDE, SIDE, 4])]]),
              logits: true
            });
            return replaced.get(partial.graph.output)!.dataSync()[1]!;
          });
        for (const k of [0, 7, 50, 143]) {
          const numeric = (logit(k, 0.5) - logit(k, -0.5)) / 1;
          expect(Math.abs(a.layer[k]! - numeric)).toBeLessThan(1e-4 * Math.max(1, Math.abs(numeric)));
        }
        // The maps of a gradient method run, and match the explicit model's.
        const mapA = await getMethod("gradcam").explain(partial, testImage(SIDE, SIDE, 4), {layer: "relu", classIndex: 1});
        const mapB = await getMethod("gradcam").explain(explicit, testImage(SIDE, SIDE, 4), {layer: "relu", classIndex: 1});
        expect(maxRelative(mapA.map.data, mapB.map.data)).toBeLessThan(1e-5);
        x.dispose();
        partial.dispose();
        explicit.dispose();
      });
    }

    it("leaves the forward pass bit-identical and leaks no tensors", async () => {
      await selectNodeBackend(backend);
      const explainable = new ExplainableModel(model(VARIANTS[2]!, false));
      const x = pixels();
      const plain = explainable.logits(x);
      const before = tf.memory().numTensors;
      const probe = explainable.probe(x, {layers: ["relu"], classIndex: 1, score: "logit"});
      expect(Array.from(await probe.logits.data())).toEqual(Array.from(await plain.data()));
      tf.dispose([probe.logits, probe.scores!, probe.classes!, ...probe.activations, ...probe.gradients!]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([x, plain]);
      explainable.dispose();
    });
  });
}
