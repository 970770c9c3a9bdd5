import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {integratedGradients} from "../../src/lib/methods/integrated-gradients.js";
import {expectCancelsAfterTwoBatches} from "../helpers/cancellation.js";
import {linearHeadCase, minmax, residualCase} from "../helpers/reference-cases.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("Integrated Gradients", () => {
  it("is exact on a model linear in the pixels", async () => {
    const {model, image, convKernel, denseKernel} = linearHeadCase("linear");
    const classIndex = 1;
    // ∂y/∂x_c = Σ_k conv[c][k]·W[k][c*] / (16·255): constant, so IG = x ⊙ grad for any m.
    const grad = [0, 1, 2].map((c) => (convKernel[c]![0]! * denseKernel[0]![classIndex]! + convKernel[c]![1]! * denseKernel[1]![classIndex]!) / (16 * 255));
    const reference = minmax(Array.from({length: 16}, (_, p) => [0, 1, 2].reduce((s, c) => s + Math.abs(image.rgb[p * 3 + c]! * grad[c]!), 0)));
    for (const steps of [1, 7]) {
      const result = await integratedGradients.explain(model, image, {classIndex, steps, batchSize: 3});
      [...result.map.data].forEach((v, p) => expect(v).toBeCloseTo(reference[p]!, 4));
      expect(result.passes).toEqual({forward: steps + 1, backward: steps});
    }
  });

  it("stops when cancelled", async () => {
    const {model, image} = residualCase();
    await expectCancelsAfterTwoBatches(integratedGradients, model, image, {steps: 64, batchSize: 4}, 64);
  });
});
