import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {METHODS, getMethod} from "../src/lib/methods/registry.js";
import {linearHeadModel, residualModel, testImage} from "./helpers/tiny-models.js";
import {expectCancelsAfterTwoBatches} from "./helpers/cancellation.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

/** Plain-JS reference: features A[k][p] = act(Σ_c x_c/255·conv[c][k]) for the 4x4 linear-head model. */
function referenceFeatures(rgb: Uint8Array, conv: number[][], relu: boolean): number[][] {
  return [0, 1].map((k) =>
    Array.from({length: 16}, (_, p) => {
      const v = [0, 1, 2].reduce((s, c) => s + (rgb[p * 3 + c]! / 255) * conv[c]![k]!, 0);
      return relu ? Math.max(0, v) : v;
    })
  );
}

const minmax = (xs: number[]) => {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return xs.map((x) => (x - lo) / (hi - lo + 1e-6));
};

const relu = (x: number) => Math.max(0, x);

describe("Grad-CAM family against hand computation", () => {
  // For GAP + dense, ∂y_c/∂A_k(i,j) = W[k][c] / 16 everywhere: each formula reduces to closed form.
  const {model: tfModel, convKernel, denseKernel} = linearHeadModel();
  const model = new ExplainableModel(tfModel);
  const image = testImage(4, 4, 42);
  const A = referenceFeatures(image.rgb, convKernel, true);
  const classIndex = 1;
  const g = [0, 1].map((k) => denseKernel[k]![classIndex]! / 16);
  const sumA = A.map((row) => row.reduce((a, b) => a + b, 0));
  const camFrom = (w: number[]) => minmax(Array.from({length: 16}, (_, p) => relu(w[0]! * A[0]![p]! + w[1]! * A[1]![p]!)));

  const expected: Record<string, number[]> = {
    gradcam: camFrom(g),
    gradcampp: camFrom(g.map((gk, k) => (gk === 0 ? 0 : 16 * ((gk * gk) / (2 * gk * gk + sumA[k]! * gk ** 3 + 1e-6)) * relu(gk)))),
    xgradcam: camFrom(g.map((gk, k) => (gk * sumA[k]!) / (sumA[k]! + 1e-7))),
    layercam: minmax(Array.from({length: 16}, (_, p) => relu(relu(g[0]!) * A[0]![p]! + relu(g[1]!) * A[1]![p]!)))
  };

  for (const name of Object.keys(expected)) {
    it(`${name} equals the closed form`, async () => {
      const result = await getMethod(name).explain(model, image, {classIndex, layer: "features"});
      expect(result.map.width).toBe(4);
      expect(result.map.height).toBe(4);
      const exp = expected[name]!;
      expect(exp.some((v) => v > 0.5)).toBe(true); // the reference itself is not degenerate
      [...result.map.data].forEach((v, p) => expect(v).toBeCloseTo(exp[p]!, 5));
      expect(result).toMatchObject({method: name, classIndex, layer: "features", backend: "cpu", score: {mode: "logit"}});
    });
  }

  it("integrated gradients is exact on a model linear in the pixels", async () => {
    const linear = linearHeadModel("linear");
    const linearModel = new ExplainableModel(linear.model);
    // ∂y/∂x_c = Σ_k conv[c][k]·W[k][c*] / (16·255): constant, so IG = x ⊙ grad for any m.
    const grad = [0, 1, 2].map((c) => (convKernel[c]![0]! * denseKernel[0]![classIndex]! + convKernel[c]![1]! * denseKernel[1]![classIndex]!) / (16 * 255));
    const reference = minmax(Array.from({length: 16}, (_, p) => [0, 1, 2].reduce((s, c) => s + Math.abs(image.rgb[p * 3 + c]! * grad[c]!), 0)));
    for (const steps of [1, 7]) {
      const result = await getMethod("ig").explain(linearModel, image, {classIndex, steps, batchSize: 3});
      [...result.map.data].forEach((v, p) => expect(v).toBeCloseTo(reference[p]!, 4));
      expect(result.passes).toEqual({forward: steps + 1, backward: steps});
    }
  });
});

describe("every method", () => {
  const model = new ExplainableModel(residualModel(16, 3, 2), {name: "tiny", classNames: ["a", "b", "c"]});
  const image = testImage(20, 12, 7); // not the model's size: maps come back at the image size

  for (const name of Object.keys(METHODS)) {
    it(`${name}: image-sized finite map in [0,1], top class by default, no tensor leak over 20 runs`, async () => {
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

  it("stops when cancelled", async () => {
    await expectCancelsAfterTwoBatches(getMethod("ig"), model, image, {steps: 64, batchSize: 4}, 64);
  });
});
