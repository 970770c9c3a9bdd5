import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../../loaders/backend.js";
import {ExplainableModel} from "../../src/lib/model/adapter.js";
import {extremalPerturbation} from "../../src/lib/methods/extremal.js";

beforeAll(async () => {
  await selectNodeBackend("wasm");
});

/** Class 0 = how much of the image is sharp and bright: mean(ReLU(gray − 0.6)); blurring an edge lowers it. */
function brightnessModel(size: number): tf.LayersModel {
  const input = tf.input({shape: [size, size, 3]});
  const gray = tf.layers.conv2d({filters: 1, kernelSize: 1, activation: "relu", name: "bright"}).apply(input) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(gray) as tf.SymbolicTensor;
  const logits = tf.layers.dense({units: 2, name: "logits"}).apply(pooled) as tf.SymbolicTensor;
  const model = tf.model({inputs: input, outputs: logits});
  model.getLayer("bright").setWeights([tf.fill([1, 1, 3, 1], 1 / 3), tf.tensor1d([-0.6])]);
  model.getLayer("logits").setWeights([tf.tensor2d([[40, -40]]), tf.zeros([2])]);
  return model;
}

/** A black image with a white square at rows/columns [top, top + side) × [left, left + side). */
function squareImage(size: number, top: number, left: number, side: number) {
  const rgb = new Uint8Array(size * size * 3);
  for (let y = top; y < top + side; y++) for (let x = left; x < left + side; x++) rgb.fill(255, (y * size + x) * 3, (y * size + x) * 3 + 3);
  return {width: size, height: size, rgb};
}

describe("Extremal Perturbation", () => {
  it("converges to the target area and covers the planted object (800 iterations, TorchRay's defaults)", async () => {
    const [size, top, left, side] = [40, 22, 6, 10];
    const model = new ExplainableModel(brightnessModel(size));
    const result = await extremalPerturbation.explain(model, squareImage(size, top, left, side), {classIndex: 0});
    const areas = result.intermediates!.areas as Float32Array;
    expect(areas.length).toBe(800);
    expect(Math.abs(areas[areas.length - 1]! - 0.1)).toBeLessThan(0.02);
    const map = result.map.data;
    let [inside, outside] = [0, 0];
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        if (y >= top && y < top + side && x >= left && x < left + side) inside += map[y * size + x]!;
        else outside += map[y * size + x]!;
      }
    }
    // σ = 21 px bumps are wider than the 10 px object: the mask covers it and fades away from it.
    let farCorner = 0;
    for (let y = 0; y < 8; y++) for (let x = size - 8; x < size; x++) farCorner += map[y * size + x]! / 64;
    expect(inside / side ** 2).toBeGreaterThan(0.8);
    expect(outside / (size * size - side ** 2)).toBeLessThan(inside / side ** 2 - 0.15);
    expect(farCorner).toBeLessThan(0.2);
    expect(result.passes).toEqual({forward: 801, backward: 800});
    model.dispose();
  }, 300_000); // 800 SGD steps: ~40 s on an idle core, longer on a shared one

  it("leaks no tensors and cancels", async () => {
    const model = new ExplainableModel(brightnessModel(32));
    const image = squareImage(32, 4, 4, 10);
    await extremalPerturbation.explain(model, image, {iterations: 3});
    const before = tf.memory().numTensors;
    await extremalPerturbation.explain(model, image, {iterations: 5, variant: "delete"});
    expect(tf.memory().numTensors).toBe(before);
    const controller = new AbortController();
    const run = extremalPerturbation.explain(model, image, {iterations: 50, signal: controller.signal, onProgress: (p) => p.done === 2 && controller.abort()});
    await expect(run).rejects.toThrow(/cancelled/);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});
