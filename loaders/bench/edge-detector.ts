/**
 * A control "explanation" that ignores the model: the Sobel edge magnitude of the image. The
 * model-randomisation sanity check must fail it (its map cannot change when weights do), which
 * shows the check can tell a method that reads the model from one that only reads the image.
 */
import {minmax} from "../../src/lib/maps/normalize.js";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {classParam, scoreParam} from "../../src/lib/explain/params.js";
import type {ExplainOptions, Explanation, Method, RgbImage} from "../../src/lib/explain/types.js";

/** Sobel gradient magnitude of the image's luminance, edges clamped. */
export function sobelMagnitude(image: RgbImage): Float32Array {
  const {width, height, rgb} = image;
  const luma = new Float32Array(width * height);
  for (let i = 0; i < luma.length; i++) luma[i] = 0.299 * rgb[3 * i]! + 0.587 * rgb[3 * i + 1]! + 0.114 * rgb[3 * i + 2]!;
  const at = (x: number, y: number) => luma[Math.min(height - 1, Math.max(0, y)) * width + Math.min(width - 1, Math.max(0, x))]!;
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const gx = at(x + 1, y - 1) + 2 * at(x + 1, y) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x - 1, y) - at(x - 1, y + 1);
      const gy = at(x - 1, y + 1) + 2 * at(x, y + 1) + at(x + 1, y + 1) - at(x - 1, y - 1) - 2 * at(x, y - 1) - at(x + 1, y - 1);
      out[y * width + x] = Math.hypot(gx, gy);
    }
  }
  return out;
}

const params = {classIndex: classParam, score: scoreParam("logit")};

export const edgeDetector: Method<typeof params> = {
  name: "edges",
  title: "Edge detector (control)",
  summary: "Sobel edges of the image; reads no model (a control for the sanity check)",
  defaultScore: "logit",
  params,
  async explain(model: ExplainableModel, image: RgbImage, options: ExplainOptions<typeof params> = {}): Promise<Explanation> {
    const startedAt = performance.now();
    const classIndex = options.classIndex ?? 0;
    const map = minmax({width: image.width, height: image.height, data: sobelMagnitude(image)});
    return {
      method: "edges",
      map,
      classIndex,
      className: model.meta.classNames[classIndex] ?? String(classIndex),
      score: {mode: options.score ?? "logit", value: Number.NaN},
      layer: null,
      options: {},
      backend: "none",
      timings: {totalMs: performance.now() - startedAt},
      passes: {forward: 0, backward: 0}
    };
  }
};
