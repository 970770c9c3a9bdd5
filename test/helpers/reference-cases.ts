/**
 * Models whose explanations can be computed by hand, and the plain-JS pieces to compute them:
 * the per-method tests compare each method's map with these references.
 */
import {ExplainableModel} from "../../src/lib/model/adapter.js";
import type {RgbImage} from "../../src/lib/explain/types.js";
import {linearHeadModel, residualModel, testImage} from "./tiny-models.js";

/** minmax as the engine defines it: (x − min)/(max − min + 1e-6). */
export function minmax(xs: ArrayLike<number>): number[] {
  const values = Array.from(xs);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values.map((x) => (x - lo) / (hi - lo + 1e-6));
}

export const relu = (x: number): number => Math.max(0, x);

/**
 * The 4x4 linear-head model with its features A[k][p] = act(Σ_c x_c/255·conv[c][k]) computed in
 * plain JS. The features have no bias, so for a mask m ≥ 0, A(I⊙m) = m⊙A(I), and the logits of a
 * masked image are Σ_k W[k][c]·mean_p(m(p)·A_k(p)) + b_c; GAP + dense makes ∂y_c/∂A_k = W[k][c]/16.
 */
export function linearHeadCase(activation: "relu" | "linear" = "relu", image: RgbImage = testImage(4, 4, 42)) {
  const {model: tfModel, convKernel, denseKernel, denseBias} = linearHeadModel(activation);
  const model = new ExplainableModel(tfModel);
  const A = [0, 1].map((k) =>
    Array.from({length: 16}, (_, p) => {
      const v = [0, 1, 2].reduce((s, c) => s + (image.rgb[p * 3 + c]! / 255) * convKernel[c]![k]!, 0);
      return activation === "relu" ? relu(v) : v;
    })
  );
  const maskedLogits = (mask: readonly number[]) =>
    [0, 1].map((c) => denseBias[c]! + [0, 1].reduce((s, k) => s + (denseKernel[k]![c]! * A[k]!.reduce((t, a, p) => t + mask[p]! * a, 0)) / 16, 0));
  const probability = (mask: readonly number[], c: number) => {
    const logits = maskedLogits(mask);
    const top = Math.max(...logits);
    return Math.exp(logits[c]! - top) / logits.reduce((s, l) => s + Math.exp(l - top), 0);
  };
  return {model, image, A, convKernel, denseKernel, denseBias, maskedLogit: (mask: readonly number[], c: number) => maskedLogits(mask)[c]!, probability};
}

/** The small residual network (classes a, b, c) and an image not of its input size, so maps come back at the image size. */
export function residualCase() {
  const model = new ExplainableModel(residualModel(16, 3, 2), {name: "tiny", classNames: ["a", "b", "c"]});
  return {model, image: testImage(20, 12, 7)};
}
