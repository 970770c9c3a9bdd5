/** Extremal Perturbation's phases: the smooth mask generator and the blur-pyramid perturbation. */
import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {blurPyramid, perturbed, smoothMask} from "../src/lib/explain/smooth-mask.js";

beforeAll(async () => {
  await selectNodeBackend("wasm");
});

describe("Extremal Perturbation's phases", () => {
  it("builds TorchRay's grid: 64² at step 7, σ 21 → 10×10 parameters, a 106² mask; p = 1 gives a mask of nearly 1", () => {
    const generator = smoothMask(64, 64, 7, 21);
    expect([generator.gridHeight, generator.gridWidth, generator.fullHeight, generator.fullWidth]).toEqual([10, 10, 106, 106]);
    const {image, full} = generator.generate(tf.ones([10, 10]) as tf.Tensor2D);
    expect(image.shape).toEqual([64, 64]);
    expect(Math.min(...image.dataSync())).toBeGreaterThan(0.95);
    tf.dispose([image, full]);
    generator.dispose();
  });

  it("a mask of 1 shows the image, 0 the most blurred level, ½ halfway between levels 3 and 4", () => {
    const pixels = tf.tensor4d(
      Float32Array.from({length: 8 * 8 * 3}, (_, i) => (i * 37) % 255),
      [1, 8, 8, 3]
    );
    const pyramid = blurPyramid(pixels, 8, 3);
    const at = (v: number) => perturbed(pyramid, tf.fill([8, 8], v) as tf.Tensor2D);
    const level = (l: number) => pyramid.slice([l, 0, 0, 0], [1, 8, 8, 3]);
    expect(tf.max(tf.abs(tf.sub(at(1), pixels))).dataSync()[0]).toBeLessThan(1e-4);
    expect(tf.max(tf.abs(tf.sub(at(0), level(0)))).dataSync()[0]).toBeLessThan(1e-4);
    const halfway = tf.mul(tf.add(level(3), level(4)), 0.5);
    expect(tf.max(tf.abs(tf.sub(at(0.5), halfway))).dataSync()[0]).toBeLessThan(1e-3);
  });
});
