/**
 * The Grad-CAM family on the linear-head model. For GAP + dense, ∂y_c/∂A_k(i,j) = W[k][c]/16
 * everywhere, so each method's formula reduces to a closed form in the features A.
 */
import {expect} from "vitest";
import {getMethod} from "../../src/lib/methods/registry.js";
import {linearHeadCase, minmax, relu} from "./reference-cases.js";

export interface CamTerms {
  /** Features A[k][p] of the 4x4 image. */
  A: number[][];
  /** The gradient ∂y_c/∂A_k, the same at every position. */
  g: number[];
  /** Σ_p A_k(p). */
  sumA: number[];
  /** minmax(ReLU(Σ_k w_k·A_k)). */
  camFrom(weights: number[]): number[];
}

/** Checks that method `name` gives the map `expectedFrom` computes from the closed-form terms. */
export async function expectCamClosedForm(name: string, expectedFrom: (terms: CamTerms) => number[]): Promise<void> {
  const {model, image, A, denseKernel} = linearHeadCase();
  const classIndex = 1;
  const g = [0, 1].map((k) => denseKernel[k]![classIndex]! / 16);
  const sumA = A.map((row) => row.reduce((a, b) => a + b, 0));
  const camFrom = (w: number[]) => minmax(Array.from({length: 16}, (_, p) => relu(w[0]! * A[0]![p]! + w[1]! * A[1]![p]!)));
  const expected = expectedFrom({A, g, sumA, camFrom});
  const result = await getMethod(name).explain(model, image, {classIndex, layer: "features"});
  expect(result.map.width).toBe(4);
  expect(result.map.height).toBe(4);
  expect(expected.some((v) => v > 0.5)).toBe(true); // the reference itself is not degenerate
  [...result.map.data].forEach((v, p) => expect(v).toBeCloseTo(expected[p]!, 5));
  expect(result).toMatchObject({method: name, classIndex, layer: "features", backend: "cpu", score: {mode: "logit"}});
}
