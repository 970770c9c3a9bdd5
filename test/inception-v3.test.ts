/**
 * The engine on nsfwjs' InceptionV3 (299², the Keras architecture): every one of its 94 batch
 * norms has `scale: false`, and its nine 3x3 stride-1 average pools use "same" padding. Gradient
 * methods run on the model as it is (no --fold-batchnorm) and agree with the folded model; the
 * gradient through the padded average pools equals finite differences (tfjs's built-in
 * AvgPool gradient does not). Settings are small (one photograph, few path steps, one mask per
 * layer) so the file runs in about a minute on two cores.
 */
import * as tf from "@tensorflow/tfjs";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {readImageFile} from "../loaders/image-io.js";
import {openModel} from "../loaders/model-files.js";
import type {RgbImage} from "../src/lib/explain/types.js";
import {getMethod} from "../src/lib/methods/registry.js";
import {pearson} from "../src/lib/metrics/spearman.js";
import type {ExplainableModel} from "../src/lib/model/adapter.js";
import {batchNormFoldPlan, foldedExplainableModel} from "../src/lib/model/fold-batchnorm.js";
import {splitAt} from "./helpers/split.js";

// tfjs's own AvgPool gradient, captured before selectNodeBackend registers the exact one.
const builtInAvgPoolGradient = tf.getGradient(tf.AvgPool)!;

let model: ExplainableModel;
let folded: ExplainableModel;
let image: RgbImage;

beforeAll(async () => {
  expect((await selectNodeBackend("wasm")).backend).toBe("wasm");
  model = await openModel("nsfwjs:inception_v3");
  folded = foldedExplainableModel(model, {allowUnfolded: true});
  image = await readImageFile("data/photos/astronaut.jpg");
});

afterAll(() => {
  folded?.dispose();
  model?.dispose();
});

describe("nsfwjs InceptionV3", () => {
  it("has scale-less batch norms, 'same' average pools, and folds every batch norm", () => {
    const layers = (model.model as tf.LayersModel).layers;
    const batchNorms = layers.filter((l) => l.getClassName() === "BatchNormalization");
    expect(batchNorms).toHaveLength(94);
    expect(batchNorms.every((l) => (l.getConfig() as {scale?: boolean}).scale === false)).toBe(true);
    const samePools = layers.filter((l) => l.getClassName() === "AveragePooling2D" && (l.getConfig() as {padding?: string}).padding === "same");
    expect(samePools).toHaveLength(9);
    const plan = batchNormFoldPlan(model.model as tf.LayersModel);
    expect([plan.chains.length, plan.unfolded.length]).toEqual([94, 0]);
  });

  // Grad-CAM at mixed10 (the default layer), Integrated Grad-CAM at mixed7 and IG to the pixels
  // (their gradients pass the average pools of mixed8..10 and, for IG, all nine), SISE at every
  // block end.
  const runs: [string, Record<string, unknown>][] = [
    ["gradcam", {}],
    ["igcam", {layer: "mixed7", steps: 2, batchSize: 2}],
    ["ig", {steps: 2, batchSize: 2}],
    ["sise", {maxMasks: 1}]
  ];
  for (const [method, options] of runs) {
    it(`${method} runs without folding and agrees with the folded model (r ≥ 0.9999)`, async () => {
      const plain = await getMethod(method).explain(model, image, {...options});
      const fromFolded = await getMethod(method).explain(folded, image, {...options});
      expect(plain.classIndex).toBe(fromFolded.classIndex);
      expect(plain.score.value).toBeCloseTo(fromFolded.score.value, 4);
      const data = plain.map.data;
      expect(data.every(Number.isFinite)).toBe(true);
      expect(data.some((v) => v !== data[0])).toBe(true); // not a constant map
      const r = pearson(data, fromFolded.map.data);
      console.log(`InceptionV3 ${method} ${JSON.stringify(options)}: folded vs unfolded r = ${r.toFixed(7)}`);
      expect(r).toBeGreaterThanOrEqual(0.9999);
    });
  }

  it("passes gradient through its 'same' average pools as finite differences do", async () => {
    const layer = "mixed9"; // feeds mixed10's 3x3 stride-1 'same' average pool
    const classIndex = 2;
    const pixels = tf.tidy(
      () => tf.image.resizeBilinear(tf.tensor4d(Float32Array.from(image.rgb), [1, image.height, image.width, 3]), [299, 299]) as tf.Tensor4D
    );
    const gradientAt = () => {
      const probe = model.probe(pixels, {layers: [layer], classIndex, score: "logit"});
      tf.dispose([probe.logits, probe.scores!, probe.classes!]);
      return {activation: probe.activations[0]!, gradient: probe.gradients![0]!};
    };
    const ours = tf.getGradient(tf.AvgPool)!;
    const exact = gradientAt();
    tf.registerGradient(builtInAvgPoolGradient);
    let builtIn: tf.Tensor4D;
    try {
      const probe = gradientAt();
      probe.activation.dispose();
      builtIn = probe.gradient;
    } finally {
      tf.registerGradient(ours);
    }
    // The direction where the two gradients differ: there the logit's directional derivative
    // tells them apart (the built-in one is ~12% short at this layer).
    const direction = tf.tidy(() => {
      const d = tf.sub(exact.gradient, builtIn);
      return tf.div(d, tf.norm(d));
    });
    const along = async (g: tf.Tensor) => (await tf.sum(tf.mul(g, direction)).data())[0]!;
    const [exactSlope, builtInSlope] = [await along(exact.gradient), await along(builtIn)];
    const split = splitAt(model, layer);
    const logit = (step: number) => tf.tidy(() => split.head(tf.add(exact.activation, tf.mul(direction, step)) as tf.Tensor4D).dataSync()[classIndex]!);
    // A small step keeps ReLU kinks out of the difference; float32 rounding stays near 1e-5.
    const h = 0.01;
    const numeric = (logit(h) - logit(-h)) / (2 * h);
    console.log(
      `InceptionV3 ∂logit/∂${layer} along the difference: finite differences ${numeric.toFixed(5)}, exact ${exactSlope.toFixed(5)}, tfjs built-in ${builtInSlope.toFixed(5)}`
    );
    expect(Math.abs(numeric - exactSlope)).toBeLessThan(2e-3 * Math.abs(exactSlope));
    expect(Math.abs(numeric - builtInSlope)).toBeGreaterThan(0.1 * Math.abs(exactSlope));
    tf.dispose([pixels, exact.activation, exact.gradient, builtIn, direction]);
  });
});
