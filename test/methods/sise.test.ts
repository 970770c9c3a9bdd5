import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {fuseLayerMaps} from "../../src/lib/maps/fusion.js";
import {otsuGate} from "../../src/lib/maps/otsu.js";
import {resizeBilinearArray} from "../../src/lib/maps/resize.js";
import {ExplainableModel} from "../../src/lib/model/adapter.js";
import {type PassExecutor} from "../../src/lib/explain/executor.js";
import {sise} from "../../src/lib/methods/sise.js";
import type {ExplainOptions} from "../../src/lib/explain/types.js";
import {inProcessExecutor} from "../helpers/in-process-executor.js";
import {linearHeadCase, minmax, residualCase} from "../helpers/reference-cases.js";
import {siseIntermediates as intermediatesOf} from "../helpers/sise-intermediates.js";
import {testImage} from "../helpers/tiny-models.js";

type SiseOptions = ExplainOptions<typeof sise.params>;

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("SISE", () => {
  it("on a one-layer model equals the hand computation of steps 2–6 (two masks, coverage-normalised)", async () => {
    // With the logit score, ∂y_c/∂A_k = W[k][c]/16, so α_k = W[k][c]/16.
    const {model, image, A, denseKernel, maskedLogit} = linearHeadCase();
    // Class 0: α = (2, −0.5)/16, β = 2/16; μ = −1 keeps α_k > −2/16, i.e. both channels.
    const result = await sise.explain(model, image, {classIndex: 0, score: "logit", mu: -1, batchSize: 1});
    const masks = A.map((a) => minmax(a));
    const scores = masks.map((m) => maskedLogit(m, 0));
    const coverage = masks.map((m) => m.reduce((s, v) => s + v, 0));
    const V = minmax(Array.from({length: 16}, (_, p) => masks.reduce((s, m, k) => s + (scores[k]! * m[p]!) / coverage[k]!, 0)));
    const inter = intermediatesOf(result);
    const layer = inter.layers[0]!;
    expect(layer).toMatchObject({layer: "features", channels: 2, selected: [0, 1], selectedCount: 2, keptByRule: 2, skipped: null});
    [...layer.alphas].forEach((a, k) => expect(a).toBeCloseTo(denseKernel[k]![0]! / 16, 6));
    expect(layer.beta).toBeCloseTo(2 / 16, 6);
    expect(layer.threshold).toBeCloseTo(-2 / 16, 6);
    [...layer.scores].forEach((s, k) => expect(s).toBeCloseTo(scores[k]!, 5));
    [...layer.map!.data].forEach((v, p) => expect(v).toBeCloseTo(V[p]!, 5));
    const expected = minmax(minmax(V)); // one layer: E = minmax(V1), then Up (same size) and minmax
    [...result.map.data].forEach((v, p) => expect(v).toBeCloseTo(expected[p]!, 5));
    expect(expected.some((v) => v > 0.2 && v < 0.8)).toBe(true);
    expect(inter).toMatchObject({selection: "threshold", maskCount: 2, totalChannels: 2, skippedLayers: []});
    expect(result).toMatchObject({method: "sise", layer: ["features"], classIndex: 0, score: {mode: "logit"}, passes: {forward: 3, backward: 1}});
    expect(result.options).toMatchObject({mu: -1, layers: ["features"], fusion: "hard", batchSize: 1});

    // μ = 0 keeps the positive channel only; the cap keeps the largest α.
    expect(intermediatesOf(await sise.explain(model, image, {classIndex: 0, score: "logit"})).layers[0]!.selected).toEqual([0]);
    expect(intermediatesOf(await sise.explain(model, image, {classIndex: 1, score: "logit"})).layers[0]!.selected).toEqual([1]);
    const capped = intermediatesOf(await sise.explain(model, image, {classIndex: 0, score: "logit", mu: -1, maxMasks: 1})).layers[0]!;
    expect(capped).toMatchObject({keptByRule: 2, selected: [0], selectedCount: 1});
  });

  it("skips layers with β ≤ 0, leaves them out of the cascade and reports them", async () => {
    // features (1x1 conv, linear) → deep = −features → GAP → dense: α_deep = W[·][c]/16, α_features = −α_deep.
    const input = tf.input({shape: [4, 4, 3]});
    const features = tf.layers.conv2d({filters: 2, kernelSize: 1, useBias: false, name: "features"}).apply(input) as tf.SymbolicTensor;
    const deep = tf.layers.conv2d({filters: 2, kernelSize: 1, useBias: false, name: "deep"}).apply(features) as tf.SymbolicTensor;
    const pooled = tf.layers.globalAveragePooling2d({}).apply(deep) as tf.SymbolicTensor;
    const logits = tf.layers.dense({units: 2, useBias: false, name: "logits"}).apply(pooled) as tf.SymbolicTensor;
    const tfModel = tf.model({inputs: input, outputs: logits});
    tfModel.getLayer("features").setWeights([tf.tensor4d([0.5, -1, 1, 0.25, -0.5, 0.75], [1, 1, 3, 2])]);
    tfModel.getLayer("deep").setWeights([tf.tensor4d([-1, 0, 0, -1], [1, 1, 2, 2])]);
    tfModel.getLayer("logits").setWeights([tf.tensor2d([1, -1, 0.5, -2], [2, 2])]);
    const model = new ExplainableModel(tfModel);
    const image = testImage(4, 4, 3);

    const one = await sise.explain(model, image, {classIndex: 0, score: "logit", layers: ["deep", "features"]});
    const inter = intermediatesOf(one);
    expect(one.layer).toEqual(["features", "deep"]);
    expect(inter.skippedLayers).toEqual(["features"]);
    expect(inter.layers[0]!.skipped).toMatch(/β = -0\.03125/);
    expect(inter.layers[0]).toMatchObject({selected: [], selectedCount: 0, map: null});
    expect(inter.layers[1]).toMatchObject({selected: [0, 1], skipped: null});
    expect(inter.fusion).toMatchObject({layers: ["deep"], steps: []});
    expect(one.passes).toEqual({forward: 3, backward: 1});

    // Every layer skipped: an all-zero map, no fusion, one pass.
    const none = await sise.explain(model, image, {classIndex: 1, score: "logit", layers: ["deep"]});
    expect([...none.map.data].every((v) => v === 0)).toBe(true);
    expect(intermediatesOf(none)).toMatchObject({maskCount: 0, skippedLayers: ["deep"], fusion: null});
    expect(none.passes).toEqual({forward: 1, backward: 1});
    tfModel.dispose();
  });

  const {model, image} = residualCase();

  it("samples the block ends shallow to deep and fuses them in that order, whatever order `layers` lists", async () => {
    const auto = await sise.explain(model, image, {classIndex: 2});
    const listed = await sise.explain(model, image, {classIndex: 2, layers: ["block2_out", "block1_out", "pool1", "pool1"]});
    expect(auto.layer).toEqual(["block1_out", "pool1", "block2_out"]);
    expect(listed.layer).toEqual(auto.layer);
    expect([...listed.map.data]).toEqual([...auto.map.data]);
    const inter = intermediatesOf(auto);
    expect(inter.layers.map((l) => l.channels)).toEqual([8, 8, 16]);
    expect(inter.totalChannels).toBe(32);
    expect(inter.maskCount).toBe(inter.layers.reduce((s, l) => s + l.selectedCount, 0));
    expect(auto.passes).toEqual({forward: 1 + inter.maskCount, backward: 1});
    for (const layer of inter.layers) {
      expect(layer.map!.width).toBe(16);
      expect(layer.scores).toHaveLength(layer.selectedCount);
      layer.selected.forEach((k) => expect(layer.alphas[k]).toBeGreaterThan(0));
    }
    // The cascade is the maps library's fusion of the layer maps, in graph order, with Otsu gates.
    const layerMaps = inter.layers.map((l) => l.map!);
    const fused = fuseLayerMaps(layerMaps);
    expect(inter.fusion!.layers).toEqual(["block1_out", "pool1", "block2_out"]);
    expect([...inter.fusion!.initial.data]).toEqual([...layerMaps[0]!.data]);
    inter.fusion!.steps.forEach((step, i) => {
      expect(step.layer).toBe(inter.fusion!.layers[i + 1]);
      expect([...step.gate.data]).toEqual([...otsuGate(layerMaps[i + 1]!).gate.data]);
      expect([...step.fused.data]).toEqual([...fused.steps[i]!.fused.data]);
    });
    const first = inter.fusion!.steps[0]!;
    first.fused.data.forEach((v, p) => expect(v).toBeCloseTo((layerMaps[0]!.data[p]! + layerMaps[1]!.data[p]!) * first.gate.data[p]!, 6));
    const expected = minmax(resizeBilinearArray(fused.map.data, 16, 16, 20, 12));
    [...auto.map.data].forEach((v, p) => expect(v).toBeCloseTo(expected[p]!, 5));
  });

  it("scores every layer's masks as one stream in full batches; each layer's report equals that layer sampled alone", async () => {
    const sizes: number[] = [];
    const inProcess = inProcessExecutor(model);
    const counting: PassExecutor = {
      ...inProcess,
      scoreMaskRecipe: (request) => inProcess.scoreMaskRecipe!(request).then((result) => (sizes.push(result.scores.length), result))
    };
    const whole = await sise.explain(model, image, {classIndex: 2, batchSize: 5, executor: counting});
    const inter = intermediatesOf(whole);
    expect(inter.layers.filter((l) => !l.skipped).length).toBeGreaterThan(1);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(inter.maskCount);
    expect(sizes.slice(0, -1).every((n) => n === 5)).toBe(true); // batches run across layer ends
    const layerByLayer = inter.layers.reduce((n, l) => n + Math.ceil(l.selectedCount / 5), 0);
    expect(sizes.length).toBeLessThan(layerByLayer); // fewer (fuller) batches than layer by layer
    expect([...(await sise.explain(model, image, {classIndex: 2, batchSize: 5})).map.data]).toEqual([...whole.map.data]);
    for (const report of inter.layers) {
      const alone = intermediatesOf(await sise.explain(model, image, {classIndex: 2, batchSize: 5, layers: [report.layer]})).layers[0]!;
      expect(alone.selected).toEqual(report.selected);
      [...alone.scores].forEach((s, k) => expect(report.scores[k]).toBeCloseTo(s, 5));
      alone.map!.data.forEach((v, p) => expect(report.map!.data[p]).toBeCloseTo(v, 5));
    }
  });

  it("soft gates: sigmoid values, recorded mode", async () => {
    const soft = await sise.explain(model, image, {classIndex: 2, fusion: "soft"});
    const inter = intermediatesOf(soft);
    expect(inter.fusion!.gateMode).toBe("soft");
    const gate = inter.fusion!.steps[0]!.gate.data;
    expect(gate.some((v) => v > 0 && v < 1)).toBe(true);
    expect(soft.options).toMatchObject({fusion: "soft"});
    expect(soft.map.data.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it("is finite on black and constant images (both gates)", async () => {
    for (const fill of [0, 128, 255]) {
      const flat = {width: 16, height: 16, rgb: new Uint8Array(16 * 16 * 3).fill(fill)};
      for (const fusion of ["hard", "soft"] as const) {
        const result = await sise.explain(model, flat, {fusion});
        expect(result.map.data.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
      }
    }
  });

  it("leaks no tensors over 10 runs", async () => {
    await sise.explain(model, image);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) {
      await sise.explain(model, image, {classIndex: i % 3, batchSize: 1 + i, maxMasks: i % 3 ? 4 : undefined, fusion: i % 4 ? "hard" : "soft"});
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("reports progress in masks", async () => {
    const totals = new Set<number>();
    const result = await sise.explain(model, image, {classIndex: 2, batchSize: 4, onProgress: (p) => totals.add(p.total)});
    expect([...totals]).toEqual([intermediatesOf(result).maskCount]);
  });

  it("rejects out-of-range options with clear errors", async () => {
    const before = tf.memory().numTensors;
    const bad = (options: SiseOptions) => sise.explain(model, image, options);
    await expect(bad({mu: 2})).rejects.toThrow(/mu must be a number from -1 to 1, got 2/);
    await expect(bad({mu: Number.NaN})).rejects.toThrow(/mu must be a number/);
    await expect(bad({maxMasks: 0})).rejects.toThrow(/maxMasks must be an integer from 1 to 100000, got 0/);
    await expect(bad({fusion: "median" as never})).rejects.toThrow(/unknown fusion "median": choose one of hard, soft/);
    await expect(bad({layers: ["nope"]})).rejects.toThrow(/layer "nope" does not exist/);
    await expect(bad({layers: ["gap"]})).rejects.toThrow(/explanations need a 4-D layer/);
    await expect(bad({layers: []})).rejects.toThrow(/layers must name at least one layer/);
    await expect(bad({batchSize: 0})).rejects.toThrow(/batch size must be an integer/);
    await expect(bad({classIndex: 3})).rejects.toThrow(/class index 3 is out of range/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
