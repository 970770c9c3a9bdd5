import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {adaSise} from "../../src/lib/methods/adasise.js";
import {sise} from "../../src/lib/methods/sise.js";
import {expectCancelsAfterTwoBatches} from "../helpers/cancellation.js";
import {residualCase} from "../helpers/reference-cases.js";
import {siseIntermediates as intermediatesOf} from "../helpers/sise-intermediates.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("Ada-SISE", () => {
  const {model, image} = residualCase();

  it("keeps a subset of SISE's channels at μ = 0 in every layer, and fewer masks", async () => {
    for (const classIndex of [0, 1, 2]) {
      const full = intermediatesOf(await sise.explain(model, image, {classIndex}));
      const ada = await adaSise.explain(model, image, {classIndex, mu: 0.9});
      const adaInter = intermediatesOf(ada);
      expect(adaInter.selection).toBe("adaptive");
      adaInter.layers.forEach((layer, l) => {
        const kept = new Set(full.layers[l]!.selected);
        expect(layer.selected.every((k) => kept.has(k))).toBe(true);
        if (!layer.skipped) expect(layer.relativeThreshold).toBeGreaterThanOrEqual(0);
      });
      expect(adaInter.maskCount).toBeLessThan(full.maskCount);
      expect(ada.options).not.toHaveProperty("mu"); // μ does not apply to Ada-SISE
      expect(ada.method).toBe("adasise");
    }
  });

  it("is finite on black and constant images (both gates)", async () => {
    for (const fill of [0, 128, 255]) {
      const flat = {width: 16, height: 16, rgb: new Uint8Array(16 * 16 * 3).fill(fill)};
      for (const fusion of ["hard", "soft"] as const) {
        const result = await adaSise.explain(model, flat, {fusion});
        expect(result.map.data.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
      }
    }
  });

  it("leaks no tensors over 10 runs", async () => {
    await adaSise.explain(model, image);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) {
      await adaSise.explain(model, image, {classIndex: i % 3, batchSize: 1 + i, maxMasks: i % 3 ? 4 : undefined, fusion: i % 4 ? "hard" : "soft"});
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("stops within one batch when cancelled", async () => {
    await expectCancelsAfterTwoBatches(adaSise, model, image, {classIndex: 2, batchSize: 1});
  });
});
