import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {scoreCam} from "../../src/lib/methods/scorecam.js";
import {linearHeadCase, minmax, relu, residualCase} from "../helpers/reference-cases.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("Score-CAM", () => {
  it("equals ReLU(Σ_k s_k·A_k) with s_k = Ψ_c(I⊙minmax(A_k)) computed by hand", async () => {
    const {model, image, A, probability} = linearHeadCase();
    for (const classIndex of [0, 1]) {
      const scores = A.map((a) => probability(minmax(a), classIndex));
      const expected = minmax(Array.from({length: 16}, (_, p) => relu(scores[0]! * A[0]![p]! + scores[1]! * A[1]![p]!)));
      expect(expected.some((v) => v > 0.5)).toBe(true);
      const result = await scoreCam.explain(model, image, {classIndex, layer: "features", batchSize: 1});
      [...result.map.data].forEach((v, p) => expect(v).toBeCloseTo(expected[p]!, 5));
      const inter = result.intermediates as {scoredChannels: number[]; scores: Float32Array; skippedConstant: number[]};
      expect(inter.scoredChannels).toEqual([0, 1]);
      expect(inter.skippedConstant).toEqual([]);
      [...inter.scores].forEach((s, k) => expect(s).toBeCloseTo(scores[k]!, 5));
      expect(result).toMatchObject({method: "scorecam", layer: "features", score: {mode: "softmax"}, passes: {forward: 3, backward: 0}});
    }
  });

  it("skips constant maps (a dead ReLU channel) and scores the rest", async () => {
    // Only blue varies: channel 0 = ReLU(−0.5·b/255) = 0 everywhere, channel 1 = 0.75·b/255.
    const rgb = new Uint8Array(48);
    for (let p = 0; p < 16; p++) rgb[p * 3 + 2] = 10 * p + 5;
    const {model, image, A, probability} = linearHeadCase("relu", {width: 4, height: 4, rgb});
    expect(A[0]!.every((v) => v === 0)).toBe(true);
    const result = await scoreCam.explain(model, image, {classIndex: 1, layer: "features"});
    const inter = result.intermediates as {scoredChannels: number[]; scores: Float32Array; skippedConstant: number[]; channels: number};
    expect(inter).toMatchObject({channels: 2, scoredChannels: [1], skippedConstant: [0]});
    expect(inter.scores[0]).toBeCloseTo(probability(minmax(A[1]!), 1), 5);
    expect(result.passes).toEqual({forward: 2, backward: 0});
    [...result.map.data].forEach((v, p) => expect(v).toBeCloseTo(minmax(A[1]!)[p]!, 5));
  });

  const {model, image} = residualCase();

  it("is finite on black and constant images, leaks nothing over 10 runs, and rejects a bad layer", async () => {
    for (const fill of [0, 128]) {
      const flat = {width: 16, height: 16, rgb: new Uint8Array(16 * 16 * 3).fill(fill)};
      for (const layer of ["block1_out", "block2_out"]) {
        const result = await scoreCam.explain(model, flat, {layer});
        expect(result.map.data.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
      }
    }
    await scoreCam.explain(model, image);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) await scoreCam.explain(model, image, {classIndex: i % 3, batchSize: 3, layer: i % 2 ? "pool1" : undefined});
    expect(tf.memory().numTensors).toBe(before);
    await expect(scoreCam.explain(model, image, {layer: "gap"})).rejects.toThrow(/explanations need a 4-D layer/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("stops within one batch when cancelled", async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    const seen: number[] = [];
    const run = scoreCam.explain(model, image, {
      layer: "block2_out",
      batchSize: 2,
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p.done);
        controller.abort();
      }
    });
    await expect(run).rejects.toThrow(/cancelled/);
    expect(seen).toEqual([2]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
