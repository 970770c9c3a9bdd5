import * as tf from "@tensorflow/tfjs";
import {afterEach, beforeAll, describe, expect, it, vi} from "vitest";
import {resizeBilinearArray} from "../src/lib/maps/resize.js";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {rise, type RiseOptions} from "../src/lib/methods/rise.js";
import {drawRiseMask, riseMaskSource, type RiseMaskDraw, type RiseMaskSettings} from "../src/lib/explain/rise-masks.js";
import {scoreCam} from "../src/lib/methods/scorecam.js";
import {inProcessExecutor} from "./helpers/in-process-executor.js";
import {type PassExecutor} from "../src/lib/explain/executor.js";
import {maskedImages} from "../src/lib/explain/masks.js";
import {WorkTracker, yieldToEventLoop} from "../src/lib/explain/progress.js";
import {maskBatches, scoreMasks, type MaskSource} from "../src/lib/explain/scoring.js";
import {seededRandom} from "../src/lib/random.js";
import {linearHeadModel, residualModel, testImage} from "./helpers/tiny-models.js";
import {expectCancelsAfterTwoBatches} from "./helpers/cancellation.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

const minmax = (xs: ArrayLike<number>) => {
  const values = Array.from(xs);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values.map((x) => (x - lo) / (hi - lo + 1e-6));
};
const relu = (x: number) => Math.max(0, x);

/** RISE mask the slow, obvious way: upsample the whole (s+1)·cell grid, then crop at the shift. */
function referenceMask(draw: RiseMaskDraw, settings: RiseMaskSettings): number[] {
  const {grid, height, width} = settings;
  const bigH = (grid + 1) * Math.ceil(height / grid);
  const bigW = (grid + 1) * Math.ceil(width / grid);
  const big = resizeBilinearArray(draw.cells, grid, grid, bigW, bigH);
  const out: number[] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.push(big[(y + draw.shiftY) * bigW + x + draw.shiftX]!);
  return out;
}

/**
 * The 4x4 linear-head model in plain JS. Its features are ReLU(1x1 conv) without bias, so for a
 * mask m ≥ 0: A(I⊙m) = m⊙A(I), and the logits are Σ_k W[k][c]·mean_p(m(p)·A_k(p)) + b_c.
 */
function linearCase(image = testImage(4, 4, 42)) {
  const {model: tfModel, convKernel, denseKernel, denseBias} = linearHeadModel();
  const model = new ExplainableModel(tfModel);
  const A = [0, 1].map((k) => Array.from({length: 16}, (_, p) => relu([0, 1, 2].reduce((s, c) => s + (image.rgb[p * 3 + c]! / 255) * convKernel[c]![k]!, 0))));
  const maskedLogits = (mask: readonly number[]) =>
    [0, 1].map((c) => denseBias[c]! + [0, 1].reduce((s, k) => s + (denseKernel[k]![c]! * A[k]!.reduce((t, a, p) => t + mask[p]! * a, 0)) / 16, 0));
  const probability = (mask: readonly number[], c: number) => {
    const logits = maskedLogits(mask);
    const top = Math.max(...logits);
    return Math.exp(logits[c]! - top) / logits.reduce((s, l) => s + Math.exp(l - top), 0);
  };
  return {model, image, A, probability};
}

/** Yields until a timer set before them has fired; false if it never does within `limit` yields. */
async function timerRunsBetween(yieldOnce: () => Promise<void>, limit = 5000): Promise<boolean> {
  let fired = false;
  setTimeout(() => (fired = true), 0);
  for (let i = 0; i < limit && !fired; i++) await yieldOnce();
  return fired;
}

describe("yielding between batches", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.resetModules();
  });

  it("lets timers (e.g. a page's abort) run between batches, in Node", async () => {
    expect(await timerRunsBetween(yieldToEventLoop)).toBe(true);
  });

  it("does the same through a MessageChannel where there is no setImmediate (browsers)", async () => {
    vi.stubGlobal("setImmediate", undefined);
    vi.resetModules();
    const browserLike = await import("../src/lib/explain/progress.js");
    expect(await timerRunsBetween(browserLike.yieldToEventLoop)).toBe(true);
    // Several yields at once all resolve.
    const resumed: number[] = [];
    await Promise.all([0, 1, 2].map((i) => browserLike.yieldToEventLoop().then(() => resumed.push(i))));
    expect(resumed.sort()).toEqual([0, 1, 2]);
  });
});

describe("RISE masks", () => {
  const settings: RiseMaskSettings = {grid: 3, keep: 0.4, height: 10, width: 13};

  it("match upsample-then-crop of the drawn grid, and do not depend on the batch split", async () => {
    const random = seededRandom(5);
    const draws = Array.from({length: 7}, () => drawRiseMask(random, settings));
    const source = riseMaskSource(7, settings, 5);
    const batches = [source.make(0, 3), source.make(3, 4)];
    const masks = tf.concat(batches);
    const values = await masks.data();
    tf.dispose([masks, ...batches]);
    draws.forEach((draw, i) => {
      expect(draw.shiftY).toBeLessThan(4); // ⌈10/3⌉
      expect(draw.shiftX).toBeLessThan(5); // ⌈13/3⌉
      referenceMask(draw, settings).forEach((v, p) => expect(values[i * 130 + p]).toBeCloseTo(v, 5));
    });
    const whole = riseMaskSource(7, settings, 5).make(0, 7);
    expect([...(await whole.data())]).toEqual([...values]);
    whole.dispose();
    expect(() => riseMaskSource(7, settings, 5).make(2, 1)).toThrow(/drawn in order/);
  });

  it("keep about p of the image on average", async () => {
    const masks = riseMaskSource(400, {grid: 7, keep: 0.5, height: 16, width: 16}, 1).make(0, 400);
    const mean = (await masks.mean().data())[0]!;
    masks.dispose();
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

describe("mask scoring", () => {
  const model = new ExplainableModel(residualModel(16, 3, 2), {name: "tiny", classNames: ["a", "b", "c"]});
  const pixels = tf.tensor4d(Float32Array.from(testImage(16, 16, 4).rgb), [1, 16, 16, 3]);
  const maskValues = Float32Array.from({length: 7 * 256}, (_, i) => ((i * 37) % 101) / 100);
  const source = (): MaskSource => ({count: 7, make: (start, size) => tf.tensor4d(maskValues.subarray(start * 256, (start + size) * 256), [size, 16, 16, 1])});
  const scoring = (executor?: PassExecutor) => ({
    classIndex: 1,
    score: "softmax" as const,
    batchSize: 3,
    work: new WorkTracker(7),
    weighting: "score" as const,
    segments: [2, 0, 5],
    ...(executor ? {executor} : {})
  });

  it("plans batches of the batch size; an odd count of them ends in two halves of the last", () => {
    const sizes = (count: number, batch: number) => maskBatches(count, batch).map((b) => b.size);
    expect(sizes(176, 16)).toEqual([16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 8, 8]);
    expect(sizes(64, 16)).toEqual([16, 16, 16, 16]);
    expect(sizes(37, 16)).toEqual([16, 16, 3, 2]);
    expect(sizes(5, 16)).toEqual([5]);
    expect(sizes(3, 1)).toEqual([1, 1, 1]); // a batch of one cannot split
    const plan = maskBatches(105, 10);
    expect(plan.map((b) => b.start)).toEqual(plan.map((_, i) => plan.slice(0, i).reduce((n, b) => n + b.size, 0))); // contiguous
    expect(plan.reduce((n, b) => n + b.size, 0)).toBe(105);
    expect(plan.length % 2).toBe(0);
  });

  it("masks the image like tf.mul(pixels, masks)", async () => {
    const masks = source().make(0, 7);
    const [fast, plain] = [maskedImages(pixels, masks), tf.mul(pixels, masks)];
    expect([...(await fast.data())]).toEqual([...(await plain.data())]);
    tf.dispose([masks, fast, plain]);
  });

  it("keeps one weighted sum per segment across batch ends (zeros for an empty one), in this thread and through an executor", async () => {
    const before = tf.memory().numTensors;
    const {scores, weightedSums} = await scoreMasks(model, pixels, source(), scoring());
    const expected = [
      [0, 2],
      [2, 2],
      [2, 7]
    ].map(([from, to]) =>
      Array.from({length: 256}, (_, p) => {
        let sum = 0;
        for (let k = from!; k < to!; k++) sum += scores[k]! * maskValues[k * 256 + p]!;
        return sum;
      })
    );
    expect(weightedSums).toHaveLength(3);
    for (const [i, sum] of weightedSums.entries()) (await sum.data()).forEach((v, p) => expect(v).toBeCloseTo(expected[i]![p]!, 5));
    const pooled = await scoreMasks(model, pixels, source(), scoring(inProcessExecutor(model)));
    expect([...pooled.scores]).toEqual([...scores]);
    for (const [i, sum] of pooled.weightedSums.entries()) expect([...(await sum.data())]).toEqual([...(await weightedSums[i]!.data())]);
    tf.dispose([...weightedSums, ...pooled.weightedSums]);
    await expect(scoreMasks(model, pixels, source(), {...scoring(), segments: [3, 3]})).rejects.toThrow(/must be counts adding up to the 7 masks/);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("RISE", () => {
  it("equals S = (1/(N·p))·Σ_i Ψ_c(I⊙M_i)·M_i computed by hand", async () => {
    const {model, image, probability} = linearCase();
    const settings = {grid: 2, keep: 0.5, height: 4, width: 4};
    const random = seededRandom(9);
    const masks = Array.from({length: 20}, () => referenceMask(drawRiseMask(random, settings), settings));
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

  const model = new ExplainableModel(residualModel(16, 3, 2), {name: "tiny", classNames: ["a", "b", "c"]});
  const image = testImage(20, 12, 7);

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

describe("Score-CAM", () => {
  it("equals ReLU(Σ_k s_k·A_k) with s_k = Ψ_c(I⊙minmax(A_k)) computed by hand", async () => {
    const {model, image, A, probability} = linearCase();
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
    const {model, image, A, probability} = linearCase({width: 4, height: 4, rgb});
    expect(A[0]!.every((v) => v === 0)).toBe(true);
    const result = await scoreCam.explain(model, image, {classIndex: 1, layer: "features"});
    const inter = result.intermediates as {scoredChannels: number[]; scores: Float32Array; skippedConstant: number[]; channels: number};
    expect(inter).toMatchObject({channels: 2, scoredChannels: [1], skippedConstant: [0]});
    expect(inter.scores[0]).toBeCloseTo(probability(minmax(A[1]!), 1), 5);
    expect(result.passes).toEqual({forward: 2, backward: 0});
    [...result.map.data].forEach((v, p) => expect(v).toBeCloseTo(minmax(A[1]!)[p]!, 5));
  });

  const model = new ExplainableModel(residualModel(16, 3, 2), {name: "tiny", classNames: ["a", "b", "c"]});
  const image = testImage(20, 12, 7);

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
