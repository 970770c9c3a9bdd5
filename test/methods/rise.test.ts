import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {drawRiseMask} from "../../src/lib/explain/rise-masks.js";
import {rise} from "../../src/lib/methods/rise.js";
import type {ExplainOptions} from "../../src/lib/explain/types.js";
import {seededRandom} from "../../src/lib/random.js";
import {expectCancelsAfterTwoBatches} from "../helpers/cancellation.js";
import {linearHeadCase, minmax, residualCase} from "../helpers/reference-cases.js";
import {referenceRiseMask} from "../helpers/rise-reference.js";

type RiseOptions = ExplainOptions<typeof rise.params>;

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("RISE", () => {
  it("equals S = (1/(N·p))·Σ_i Ψ_c(I⊙M_i)·M_i computed by hand", async () => {
    const {model, image, probability} = linearHeadCase();
    const settings = {grid: 2, keep: 0.5, height: 4, width: 4};
    const random = seededRandom(9);
    const masks = Array.from({length: 20}, () => referenceRiseMask(drawRiseMask(random, settings), settings));
    const classIndex = 1;
    const saliency = Array.from({length: 16}, (_, p) => masks.reduce((s, m) => s + probability(m, classIndex) * m[p]!, 0) / (20 * 0.5));
    const expected = minmax(saliency);
    const result = await rise.explain(model, image, {classIndex, masks: 20, grid: 2, keep: 0.5, seed: 9, batchSize: 6});
    [...result.map.data].forEach((v, p) => expect(v).toBeCloseTo(expected[p]!, 5));
    const scores = (result.intermediates as {scores: Float32Array}).scores;
    masks.forEach((m, i) => expect(scores[i]).toBeCloseTo(probability(m, classIndex), 5));
    expect(result).toMatchObject({method: "rise", classIndex, layer: null, score: {mode: "softmax"}, passes: {forward: 21, backward: 0}});
    expect(result.options).toMatchObject({masks: 20, grid: 2, keep: 0.5, seed: 9, batchSize: 6, score: "softmax"});
  });

  const {model, image} = residualCase();

  it("same seed → identical map (and the same up to rounding for another batch size); different seed → different map", async () => {
    const run = (seed: number, batchSize: number) => rise.explain(model, image, {classIndex: 2, masks: 48, seed, batchSize});
    const a = await run(3, 16);
    const again = await run(3, 16);
    const otherBatches = await run(3, 7);
    const c = await run(4, 16);
    expect(a.map.width).toBe(20);
    expect(a.map.height).toBe(12);
    expect([...a.map.data]).toEqual([...again.map.data]);
    // Same masks; only the float summation order differs between batch splits.
    [...a.map.data].forEach((v, p) => expect(v).toBeCloseTo(otherBatches.map.data[p]!, 5));
    expect([...a.map.data]).not.toEqual([...c.map.data]);
    expect(Math.max(...a.map.data.map((v, p) => Math.abs(v - c.map.data[p]!)))).toBeGreaterThan(0.01);
    expect(a.map.data.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it("is finite on black and constant images", async () => {
    for (const fill of [0, 128, 255]) {
      const flat = {width: 16, height: 16, rgb: new Uint8Array(16 * 16 * 3).fill(fill)};
      const result = await rise.explain(model, flat, {masks: 16});
      expect(result.map.data.every(Number.isFinite)).toBe(true);
    }
  });

  it("leaks no tensors over 10 runs", async () => {
    await rise.explain(model, image, {masks: 8});
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) await rise.explain(model, image, {masks: 12, batchSize: 5, classIndex: i % 3, seed: i});
    expect(tf.memory().numTensors).toBe(before);
  });

  it("stops within one batch when cancelled and frees its tensors", async () => {
    await expectCancelsAfterTwoBatches(rise, model, image, {masks: 400, batchSize: 10}, 400);
  });

  it("rejects out-of-range options with clear errors", async () => {
    const before = tf.memory().numTensors;
    const bad = (options: RiseOptions) => rise.explain(model, image, options);
    await expect(bad({masks: 0})).rejects.toThrow(/masks must be an integer from 1 to 100000, got 0/);
    await expect(bad({grid: 1})).rejects.toThrow(/grid must be an integer from 2 to 64/);
    await expect(bad({keep: 0})).rejects.toThrow(/keep must be a number greater than 0 and at most 1, got 0/);
    await expect(bad({keep: 1.5})).rejects.toThrow(/keep must be a number/);
    await expect(bad({seed: -1})).rejects.toThrow(/seed must be an integer/);
    await expect(bad({batchSize: 5000})).rejects.toThrow(/batch size must be an integer from 1 to 4096/);
    await expect(bad({masks: 4, classIndex: 7})).rejects.toThrow(/class index 7 is out of range/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
