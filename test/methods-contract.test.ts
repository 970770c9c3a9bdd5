/** What every registered method promises, and the options and errors all methods share. */
import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {METHODS, getMethod} from "../src/lib/methods/registry.js";
import {residualCase} from "./helpers/reference-cases.js";
import {residualModel} from "./helpers/tiny-models.js";

beforeAll(async () => {
  await selectNodeBackend("cpu");
});

describe("every method", () => {
  const {model, image} = residualCase();

  for (const name of Object.keys(METHODS)) {
    // Extremal Perturbation smooths its mask with σ = 21 px whatever the model's size: about 2 s per
    // run on the cpu backend (0.3 s on wasm), so its 21 runs use wasm (tensors move between backends).
    const backend = name === "extremal" ? "wasm" : "cpu";
    it(`${name}: image-sized finite map in [0,1], top class by default, no tensor leak over 20 runs (${backend})`, async () => {
      await selectNodeBackend(backend);
      try {
        const method = getMethod(name);
        const first = await method.explain(model, image, {steps: 4, masks: 32, iterations: 3});
        expect(first.map.width).toBe(20);
        expect(first.map.height).toBe(12);
        expect(first.map.data.length).toBe(240);
        expect(first.map.data.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
        expect(Math.max(...first.map.data)).toBeGreaterThan(0.9); // not constant
        expect(first.className).toBe(["a", "b", "c"][first.classIndex]);
        const logits = model.logits(tf.image.resizeBilinear(tf.tensor4d(Float32Array.from(image.rgb), [1, 12, 20, 3]), [16, 16], false, true));
        expect(first.classIndex).toBe((await logits.argMax(1).data())[0]);
        logits.dispose();
        const before = tf.memory().numTensors;
        for (let i = 0; i < 20; i++) await method.explain(model, image, {steps: 2, masks: 32, iterations: 2, classIndex: i % 3});
        expect(tf.memory().numTensors).toBe(before);
      } finally {
        await selectNodeBackend("cpu");
      }
    });

    it(`${name}: finite on a black image`, async () => {
      const black = {width: 16, height: 16, rgb: new Uint8Array(16 * 16 * 3)};
      const result = await getMethod(name).explain(model, black, {steps: 2, masks: 32, iterations: 2});
      expect(result.map.data.every(Number.isFinite)).toBe(true);
    });
  }

  it("score modes change what is explained and are recorded", async () => {
    const logit = await getMethod("gradcam").explain(model, image, {classIndex: 0, score: "logit"});
    const softmax = await getMethod("gradcam").explain(model, image, {classIndex: 0, score: "softmax"});
    expect(logit.score.mode).toBe("logit");
    expect(softmax.score.mode).toBe("softmax");
    expect(softmax.score.value).toBeGreaterThan(0);
    expect(softmax.score.value).toBeLessThan(1);
    expect(logit.score.value).not.toBeCloseTo(softmax.score.value, 3);
  });

  it("rejects bad options with clear errors and leaks nothing", async () => {
    const before = tf.memory().numTensors;
    await expect(getMethod("gradcam").explain(model, image, {classIndex: 5})).rejects.toThrow(/class index 5 is out of range/);
    await expect(getMethod("gradcam").explain(model, image, {layer: "nope"})).rejects.toThrow(/layer "nope" does not exist/);
    await expect(getMethod("ig").explain(model, image, {steps: 0})).rejects.toThrow(/steps must be an integer from 1/);
    await expect(getMethod("ig").explain(model, {width: 2, height: 2, rgb: new Uint8Array(5)})).rejects.toThrow(/image data has 5 values/);
    expect(() => getMethod("nope")).toThrow(/unknown method "nope"/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("reports NaN scores as an error", async () => {
    const broken = residualModel(16, 3, 2);
    const dense = broken.getLayer("predictions");
    dense.setWeights(dense.getWeights().map((w) => tf.fill(w.shape, NaN)));
    const brokenModel = new ExplainableModel(broken);
    await expect(getMethod("gradcam").explain(brokenModel, image)).rejects.toThrow(/non-finite/);
    await expect(getMethod("ig").explain(brokenModel, image, {steps: 2})).rejects.toThrow(/non-finite/);
  });
});
