import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {integratedGradCam} from "../../src/lib/methods/igcam.js";
import type {ExplainOptions} from "../../src/lib/explain/types.js";
import {getMethod} from "../../src/lib/methods/registry.js";
import {linearHeadCase, minmax, relu, residualCase} from "../helpers/reference-cases.js";
import {expectCancelsAfterTwoBatches} from "../helpers/cancellation.js";

type IntegratedGradCamOptions = ExplainOptions<typeof integratedGradCam.params>;

beforeAll(async () => {
  await tf.setBackend("cpu");
});

interface IgcamIntermediates {
  variant: string;
  width: number;
  height: number;
  fractions: Float32Array;
  pathScores: Float32Array;
  stepMaps: Float32Array[];
  cumulative: Float32Array[];
  sum: Float32Array;
  lowRes: Float32Array;
}

const distance = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v, i) => s + (v - b[i]!) ** 2, 0));

/**
 * The 4x4 linear-head model: A(t·x) = t·A(x) for t ≥ 0 (ReLU or linear features without bias) and
 * A(black) = 0; GAP + dense makes ∂y_c/∂A_k(i,j) = W[k][c]/16 at every path point. Every variant
 * then reduces to Grad-CAM.
 */
function linearCase(activation: "relu" | "linear") {
  const {model, image, A, denseKernel} = linearHeadCase(activation);
  const gradCamLowRes = (classIndex: number) =>
    Array.from({length: 16}, (_, p) => relu((denseKernel[0]![classIndex]! / 16) * A[0]![p]! + (denseKernel[1]![classIndex]! / 16) * A[1]![p]!));
  return {model, image, gradCamLowRes};
}

describe("Integrated Grad-CAM reduces to Grad-CAM where the formula says so", () => {
  it("m = 1, black baseline, paper variant: exactly Grad-CAM (and the gradcam method's map)", async () => {
    const {model, image, gradCamLowRes} = linearCase("relu");
    for (const classIndex of [0, 1]) {
      const result = await integratedGradCam.explain(model, image, {classIndex, steps: 1, layer: "features"});
      const expected = minmax(gradCamLowRes(classIndex));
      expect(expected.some((v) => v > 0.5)).toBe(true);
      [...result.map.data].forEach((v, p) => expect(v).toBeCloseTo(expected[p]!, 5));
      const gradCam = await getMethod("gradcam").explain(model, image, {classIndex, layer: "features"});
      [...result.map.data].forEach((v, p) => expect(v).toBeCloseTo(gradCam.map.data[p]!, 5));
      const inter = result.intermediates as unknown as IgcamIntermediates;
      [...inter.stepMaps[0]!].forEach((v, p) => expect(v).toBeCloseTo(gradCamLowRes(classIndex)[p]!, 6));
    }
  });

  for (const activation of ["relu", "linear"] as const) {
    it(`A(x_j) = (j/m)·A(x) and constant gradients (${activation} features): L_j = (j/m)·Grad-CAM, every variant equals Grad-CAM`, async () => {
      const {model, image, gradCamLowRes} = linearCase(activation);
      const classIndex = 1;
      const cam = gradCamLowRes(classIndex);
      // Same map up to a positive factor c; minmax's 1e-6 makes the factor visible at 1e-5, so scale exactly.
      const scaled = (c: number) => minmax(cam.map((v) => c * v));
      for (const steps of [2, 5, 8]) {
        const paper = await integratedGradCam.explain(model, image, {classIndex, steps, layer: "features", batchSize: 3});
        const inter = paper.intermediates as unknown as IgcamIntermediates;
        expect(inter).toMatchObject({variant: "paper", width: 4, height: 4});
        expect(inter.stepMaps).toHaveLength(steps);
        // Hand-computed per-step maps and running sums: L_j = (j/m)·cam, Σ_{i≤j} L_i = j(j+1)/(2m)·cam.
        inter.stepMaps.forEach((stepMap, i) => [...stepMap].forEach((v, p) => expect(v).toBeCloseTo(((i + 1) / steps) * cam[p]!, 5)));
        inter.cumulative.forEach((running, i) => [...running].forEach((v, p) => expect(v).toBeCloseTo((((i + 1) * (i + 2)) / (2 * steps)) * cam[p]!, 5)));
        const paperExpected = scaled((steps + 1) / 2);
        [...paper.map.data].forEach((v, p) => expect(v).toBeCloseTo(paperExpected[p]!, 5));
        expect(paper.passes).toEqual({forward: steps + 2, backward: steps});

        // Authors' code: j = 0..m−1 with A(x') = 0: Σ_j L_j = ((m−1)/2)·cam.
        const code = await integratedGradCam.explain(model, image, {classIndex, steps, layer: "features", variant: "code"});
        const codeInter = code.intermediates as unknown as IgcamIntermediates;
        [...codeInter.sum].forEach((v, p) => expect(v).toBeCloseTo(((steps - 1) / 2) * cam[p]!, 5));
        const codeExpected = scaled((steps - 1) / 2);
        [...code.map.data].forEach((v, p) => expect(v).toBeCloseTo(codeExpected[p]!, 5));
        expect(code.passes).toEqual({forward: steps + 1, backward: steps});

        // Integrated weights: mean_j w_kj = w_k, so E = ReLU(Σ_k w_k·A_k(x)) exactly.
        const weights = await integratedGradCam.explain(model, image, {classIndex, steps, layer: "features", variant: "integrated-weights"});
        const weightsInter = weights.intermediates as unknown as IgcamIntermediates;
        [...weightsInter.lowRes].forEach((v, p) => expect(v).toBeCloseTo(cam[p]!, 5));
        const weightsExpected = scaled(1);
        [...weights.map.data].forEach((v, p) => expect(v).toBeCloseTo(weightsExpected[p]!, 5));
      }
    });
  }

  it("the code variant with m = 1 only sees the baseline: an all-zero (finite) map", async () => {
    const {model, image} = linearCase("relu");
    const result = await integratedGradCam.explain(model, image, {classIndex: 0, steps: 1, layer: "features", variant: "code"});
    expect([...result.map.data].every((v) => v === 0)).toBe(true);
  });
});

describe("Integrated Grad-CAM on a non-linear model", () => {
  const {model, image} = residualCase();

  it("converges as m grows: ‖E_m − E_2m‖ shrinks", async () => {
    const maps: Float32Array[] = [];
    // Class 0's map is all zero on this model; class 2's is not.
    for (const steps of [2, 4, 16, 32]) maps.push((await integratedGradCam.explain(model, image, {classIndex: 2, steps})).map.data);
    const coarse = distance(maps[0]!, maps[1]!);
    const fine = distance(maps[2]!, maps[3]!);
    expect(coarse).toBeGreaterThan(0);
    expect(fine).toBeLessThan(coarse / 4); // about 1/m: 0.061 vs 0.0067 on this model
  });

  it("batching does not change the result; path scores end at the image's score", async () => {
    const one = await integratedGradCam.explain(model, image, {classIndex: 2, steps: 6, batchSize: 1});
    const all = await integratedGradCam.explain(model, image, {classIndex: 2, steps: 6, batchSize: 64});
    [...one.map.data].forEach((v, p) => expect(v).toBeCloseTo(all.map.data[p]!, 5));
    const inter = all.intermediates as unknown as IgcamIntermediates;
    expect(inter.pathScores[5]).toBeCloseTo(all.score.value, 4);
    expect(all.score.mode).toBe("logit");
    expect(one.options).toMatchObject({steps: 6, batchSize: 1, variant: "paper", baseline: "black", layer: "block2_out"});
  });

  it("every variant and baseline is finite on black and constant images; noise baselines follow the seed", async () => {
    const black = {width: 16, height: 16, rgb: new Uint8Array(16 * 16 * 3)};
    const grey = {width: 16, height: 16, rgb: new Uint8Array(16 * 16 * 3).fill(128)};
    const cases: IntegratedGradCamOptions[] = [
      {variant: "paper"},
      {variant: "code"},
      {variant: "integrated-weights"},
      {baseline: "blur"},
      {baseline: "noise", variant: "integrated-weights"}
    ];
    for (const img of [black, grey]) {
      for (const options of cases) {
        const result = await integratedGradCam.explain(model, img, {steps: 3, ...options});
        expect(result.map.data.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
      }
    }
    const noisy = (seed: number) => integratedGradCam.explain(model, image, {classIndex: 0, steps: 3, baseline: "noise", seed});
    const [a, b, c] = await Promise.all([noisy(1), noisy(1), noisy(2)]);
    expect([...a.map.data]).toEqual([...b.map.data]);
    expect([...a.map.data]).not.toEqual([...c.map.data]);
  });

  it("leaks no tensors over 10 runs", async () => {
    const variants: IntegratedGradCamOptions["variant"][] = ["paper", "code", "integrated-weights"];
    await integratedGradCam.explain(model, image, {steps: 2});
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) await integratedGradCam.explain(model, image, {steps: 3, batchSize: 2, variant: variants[i % 3], classIndex: i % 3});
    expect(tf.memory().numTensors).toBe(before);
  });

  it("stops within one batch when cancelled, reports progress in path steps, frees its tensors", async () => {
    await expectCancelsAfterTwoBatches(integratedGradCam, model, image, {steps: 64, batchSize: 4}, 64);
    const before = tf.memory().numTensors;
    const aborted = new AbortController();
    aborted.abort();
    await expect(integratedGradCam.explain(model, image, {signal: aborted.signal})).rejects.toThrow(/cancelled/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("rejects out-of-range options with clear errors", async () => {
    const before = tf.memory().numTensors;
    const bad = (options: IntegratedGradCamOptions) => integratedGradCam.explain(model, image, options);
    await expect(bad({steps: 0})).rejects.toThrow(/steps must be an integer from 1 to 256, got 0/);
    await expect(bad({steps: 257})).rejects.toThrow(/steps must be an integer from 1 to 256/);
    await expect(bad({steps: 2.5})).rejects.toThrow(/steps must be an integer/);
    await expect(bad({variant: "other" as never})).rejects.toThrow(/unknown variant "other": choose one of paper, code, integrated-weights/);
    await expect(bad({baseline: "white" as never})).rejects.toThrow(/unknown baseline "white"/);
    await expect(bad({batchSize: 0})).rejects.toThrow(/batch size must be an integer/);
    await expect(bad({layer: "nope"})).rejects.toThrow(/layer "nope" does not exist/);
    await expect(bad({classIndex: 3})).rejects.toThrow(/class index 3 is out of range/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
