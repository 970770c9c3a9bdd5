/**
 * The engine on a real pretrained network: nsfwjs' MobileNetV2 (224², batch norm, depthwise
 * convolutions, residual adds) on the wasm backend with the project's gradient kernels.
 */
import {splitAt} from "./helpers/split.js";
import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {openModel} from "../loaders/model-files.js";
import type {ExplainableModel} from "../src/lib/model/adapter.js";
import {getMethod} from "../src/lib/methods/registry.js";
import {testImage} from "./helpers/tiny-models.js";

let model: ExplainableModel;
let pixels: tf.Tensor4D;

beforeAll(async () => {
  expect((await selectNodeBackend("wasm")).backend).toBe("wasm");
  model = await openModel("nsfwjs:mobilenet_v2");
  const image = testImage(224, 224, 5);
  pixels = tf.tensor4d(Float32Array.from(image.rgb), [1, 224, 224, 3]);
});

async function maxAbs(t: tf.Tensor): Promise<number> {
  const m = tf.max(tf.abs(t));
  const v = (await m.data())[0]!;
  tf.dispose([m, t]);
  return v;
}

describe("nsfwjs MobileNetV2", () => {
  it("finds the expansion activations as block ends", () => {
    expect(model.blockEnds).toEqual(["block_1_expand_relu", "block_3_expand_relu", "block_6_expand_relu", "block_13_expand_relu", "out_relu"]);
    expect(model.outputActivation).toBe("softmax");
  });

  it("splits exactly at block ends and inside residual blocks", async () => {
    const reference = model.model.predict(tf.div(pixels, 255)) as tf.Tensor;
    for (const layer of ["block_3_expand_relu", "block_5_project_BN", "block_5_add", "out_relu"]) {
      const split = splitAt(model, layer);
      const a = split.activations(pixels);
      const logits = split.head(a, pixels);
      expect(await maxAbs(tf.sub(tf.softmax(logits), reference)), layer).toBeLessThan(1e-4);
      tf.dispose([a, logits]);
    }
    expect(splitAt(model, "block_5_project_BN").headNeedsInput).toBe(true);
    expect(splitAt(model, "block_6_expand_relu").headNeedsInput).toBe(false);
    reference.dispose();
  });

  it("gives gradients through depthwise convolutions that match finite differences", async () => {
    const layer = "block_13_expand_relu";
    const classIndex = 2;
    const probe = model.probe(pixels, {layers: [layer], classIndex, score: "logit"});
    const a = probe.activations[0]!;
    const values = await a.data();
    const grads = await probe.gradients![0]!.data();
    const split = splitAt(model, layer);
    // The largest-gradient positive activations: well away from ReLU6 kinks, clear signal.
    const candidates = [...values.keys()].filter((k) => values[k]! > 0.2 && values[k]! < 5.8);
    candidates.sort((p, q) => Math.abs(grads[q]!) - Math.abs(grads[p]!));
    for (const k of candidates.slice(0, 4)) {
      const score = (delta: number) =>
        tf.tidy(() => {
          const bumped = values.slice();
          bumped[k] = bumped[k]! + delta;
          return split.head(tf.tensor4d(bumped, a.shape)).slice([0, classIndex], [1, 1]).dataSync()[0]!;
        });
      const numeric = (score(0.05) - score(-0.05)) / 0.1;
      expect(Math.abs(grads[k]! - numeric)).toBeLessThan(0.02 * Math.abs(numeric) + 1e-3);
    }
    tf.dispose([probe.logits, probe.scores!, probe.classes!, a, probe.gradients![0]!]);
  });

  it("Grad-CAM is finite at every block end and not constant at the deep ones; no tensor leak", async () => {
    const image = testImage(224, 224, 8);
    const before = tf.memory().numTensors;
    // On this noise image Σ_k w_k A_k is negative everywhere at block_1 (checked against the cpu
    // backend: same gradients to 1e-8), so ReLU leaves an empty map there: a true result.
    const deep = model.blockEnds.slice(-2);
    for (const layer of model.blockEnds) {
      const result = await getMethod("gradcam").explain(model, image, {layer});
      expect(result.backend).toBe("wasm");
      expect(result.map.data.every(Number.isFinite)).toBe(true);
      if (!deep.includes(layer)) continue;
      let min = Infinity;
      let max = -Infinity;
      for (const v of result.map.data) [min, max] = [Math.min(min, v), Math.max(max, v)];
      expect(max - min, layer).toBeGreaterThan(0.5);
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
