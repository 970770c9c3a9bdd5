import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {fuseLayerMaps} from "../src/lib/maps/fusion.js";
import {otsuGate} from "../src/lib/maps/otsu.js";
import {resizeBilinearArray} from "../src/lib/maps/resize.js";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {adaSise} from "../src/lib/methods/adasise.js";
import {inProcessExecutor} from "./helpers/in-process-executor.js";
import {type PassExecutor} from "../src/lib/explain/executor.js";
import {channelMasks} from "./helpers/channel-masks.js";
import {coverageWeights, layeredChannelMaskSource, weightedMaskSums} from "../src/lib/explain/masks.js";
import {adaptiveSelection, capByGradient, thresholdSelection} from "../src/lib/explain/selection.js";
import {sise, type SiseFusionReport, type SiseLayerReport, type SiseOptions} from "../src/lib/methods/sise.js";
import type {Explanation} from "../src/lib/explain/types.js";
import {seededRandom} from "../src/lib/random.js";
import {linearHeadModel, residualModel, testImage} from "./helpers/tiny-models.js";
import {expectCancelsAfterTwoBatches} from "./helpers/cancellation.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

interface SiseIntermediates {
  selection: string;
  maskCount: number;
  totalChannels: number;
  layers: SiseLayerReport[];
  skippedLayers: string[];
  fusion: SiseFusionReport | null;
}
const intermediatesOf = (result: Explanation) => result.intermediates as unknown as SiseIntermediates;

const minmax = (xs: ArrayLike<number>) => {
  const values = Array.from(xs);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return values.map((x) => (x - lo) / (hi - lo + 1e-6));
};
const relu = (x: number) => Math.max(0, x);
const map4 = (data: number[]) => ({width: 2, height: 2, data: Float32Array.from(data)});

describe("step 2: selection", () => {
  const alphas = [0.2, -0.1, 0.5, 0, 0.05];

  it("SISE keeps α_k > μ·β", () => {
    expect(thresholdSelection(0).select(alphas)).toEqual({kept: [0, 2, 4], beta: 0.5, threshold: 0, relativeThreshold: 0, skipped: null});
    expect(thresholdSelection(0.5).select(alphas)).toMatchObject({kept: [2], threshold: 0.25});
    expect(thresholdSelection(0.3).select(alphas)).toMatchObject({kept: [0, 2]}); // 0.2 > 0.15
    expect(thresholdSelection(-0.5).select(alphas)).toMatchObject({kept: [0, 1, 2, 3, 4], threshold: -0.25});
    expect(thresholdSelection(1).select(alphas)).toMatchObject({kept: []}); // strict: β itself is not > β
  });

  it("a layer with β ≤ 0 keeps nothing and says why", () => {
    for (const select of [thresholdSelection(-1), adaptiveSelection()]) {
      const result = select.select([-1, 0, -0.5]);
      expect(result).toMatchObject({kept: [], beta: 0, threshold: null, relativeThreshold: null});
      expect(result.skipped).toMatch(/no channel has a positive average gradient/);
    }
  });

  it("Ada-SISE: τ = Otsu of the positive â_k = α_k/β on 256 bins; keep â_k > τ", () => {
    // â = [1, 0.9, 0.1, 0.05, −0.3]; positives fall in bins 255, 230, 25, 12. The best split is
    // {0.05, 0.1} | {0.9, 1} (0.25·0.875² beats 0.1875·0.617² and 0.1875·0.65²); its first edge is 26/256.
    const result = adaptiveSelection().select([2, 1.8, 0.2, 0.1, -0.6]);
    expect(result.relativeThreshold).toBe(26 / 256);
    expect(result.threshold).toBeCloseTo((26 / 256) * 2, 12);
    expect(result.kept).toEqual([0, 1]);
    // A single positive value: no split has a positive score, τ = 0, the positive channel is kept.
    expect(adaptiveSelection().select([-1, 0.3, 0])).toMatchObject({kept: [1], relativeThreshold: 0});
  });

  it("Ada-SISE's kept set ⊆ SISE's kept set at μ = 0 (random gradients)", () => {
    const random = seededRandom(11);
    let smaller = 0;
    for (let trial = 0; trial < 200; trial++) {
      const values = Array.from({length: 1 + random.int(0, 64)}, () => random.normal() * 1e-3 + (trial % 2 ? 2e-4 : 0));
      const ada = adaptiveSelection().select(values).kept;
      const fixed = new Set(thresholdSelection(0).select(values).kept);
      expect(ada.every((k) => fixed.has(k))).toBe(true);
      if (ada.length < fixed.size) smaller++;
    }
    expect(smaller).toBeGreaterThan(150);
  });

  it("the per-layer cap keeps the largest α (ties: lower index), ascending", () => {
    const alphasByChannel = [0.5, 9, 0.9, 0.1, 9, 0.9];
    expect(capByGradient([0, 2, 3, 5], alphasByChannel, 2)).toEqual([2, 5]);
    expect(capByGradient([0, 2, 3, 5], alphasByChannel, 3)).toEqual([0, 2, 5]);
    expect(capByGradient([0, 2, 3, 5], alphasByChannel, 10)).toEqual([0, 2, 3, 5]);
    expect(capByGradient([3, 0], alphasByChannel, undefined)).toEqual([3, 0]);
  });
});

describe("steps 3 and 5: masks and coverage normalisation", () => {
  it("m_k = minmax(Up(A_k)) per channel, in the requested channel order", async () => {
    // A[1, 2, 2, 3]: channel 0 = [1, 2, 3, 4], channel 1 = 5 everywhere, channel 2 = [0, −2, 4, 2].
    const a = tf.tensor4d([1, 5, 0, 2, 5, -2, 3, 5, 4, 4, 5, 2], [1, 2, 2, 3]);
    const same = channelMasks(a, [2, 0], 2, 2);
    expect(same.shape).toEqual([2, 2, 2, 1]);
    const values = Array.from(await same.data());
    [2 / 6, 0, 1, 4 / 6, 0, 1 / 3, 2 / 3, 1].forEach((v, i) => expect(values[i]).toBeCloseTo(v, 5));
    const up = channelMasks(a, [2], 4, 5);
    const expected = minmax(resizeBilinearArray([0, -2, 4, 2], 2, 2, 5, 4));
    const upValues = Array.from(await up.data());
    expected.forEach((v, i) => expect(upValues[i]).toBeCloseTo(v, 5));
    const constant = channelMasks(a, [1], 2, 2);
    expect(Array.from(await constant.data())).toEqual([0, 0, 0, 0]);
    tf.dispose([a, same, up, constant]);
  });

  it("weights s_k / Σ_λ m_k(λ); an empty mask weighs 0; V = minmax(Σ_k weight_k·m_k)", async () => {
    const masks = tf.tensor4d([1, 0, 0, 0, 0, 1, 1, 0.5, 0, 0, 0, 0], [3, 2, 2, 1]);
    const scores = tf.tensor1d([0.8, 0.5, 0.9]);
    const weights = coverageWeights(scores, masks);
    const [sum] = weightedMaskSums(masks, weights, [[0, 3]]);
    const w = Array.from(await weights.data());
    [0.8, 0.2, 0].forEach((v, i) => expect(w[i]).toBeCloseTo(v, 6));
    const s = Array.from(await sum!.data());
    [0.8, 0.2, 0.2, 0.1].forEach((v, i) => expect(s[i]).toBeCloseTo(v, 6));
    tf.dispose([masks, scores, weights, sum!]);
  });

  it("one product gives each part of a batch its own weighted sum", async () => {
    const masks = tf.tensor4d([1, 0, 0, 0, 0, 1, 1, 0.5, 0, 0.25, 0, 1], [3, 2, 2, 1]);
    const weights = tf.tensor1d([2, 3, -1]);
    const [first, rest, all] = weightedMaskSums(masks, weights, [
      [0, 1],
      [1, 3],
      [0, 3]
    ]);
    // by hand: part 0 = 2·m0; part 1 = 3·m1 − m2; part 2 = both.
    expect(Array.from(await first!.data())).toEqual([2, 0, 0, 0]);
    const r = Array.from(await rest!.data());
    [0, 2.75, 3, 0.5].forEach((v, i) => expect(r[i]).toBeCloseTo(v, 6));
    const a = Array.from(await all!.data());
    [2, 2.75, 3, 0.5].forEach((v, i) => expect(a[i]).toBeCloseTo(v, 6));
    tf.dispose([masks, weights, first!, rest!, all!]);
  });

  it("a layered mask source's batches equal each layer's own masks, across layer ends", async () => {
    const random = seededRandom(5);
    const shallow = tf.tensor4d(
      Array.from({length: 4 * 4 * 3}, () => random.next()),
      [1, 4, 4, 3]
    );
    const deep = tf.tensor4d(
      Array.from({length: 2 * 2 * 5}, () => random.next()),
      [1, 2, 2, 5]
    );
    const source = layeredChannelMaskSource(
      [
        {activations: shallow, channels: [2, 0]},
        {activations: deep, channels: [4, 1, 3]}
      ],
      6,
      6
    );
    expect(source.segments).toEqual([2, 3]);
    const batch = source.make(1, 3); // shallow channel 0, deep channels 4 and 1
    const expected = tf.concat([channelMasks(shallow, [0], 6, 6), channelMasks(deep, [4, 1], 6, 6)]);
    const got = Array.from(await batch.data());
    Array.from(await expected.data()).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
    tf.dispose([shallow, deep, batch, expected]);
  });
});

describe("step 6: Otsu gates and cascade order", () => {
  it("E = (E + V_b)·[V_b > otsu(V_b)], shallow to deep: the order changes the result", () => {
    const v1 = map4([0.2, 0.4, 0.6, 0.8]);
    const v2 = map4([0.999, 0, 0, 0]);
    // otsu(v2): bins 0 and 255 → first best edge 1/256 → gate [1,0,0,0]; E = [1.199, 0, 0, 0].
    const forward = fuseLayerMaps([v1, v2]);
    expect(forward.steps[0]!.threshold).toBe(1 / 256);
    expect([...forward.steps[0]!.gate.data]).toEqual([1, 0, 0, 0]);
    [1.199, 0, 0, 0].forEach((v, i) => expect(forward.steps[0]!.fused.data[i]).toBeCloseTo(v, 6));
    // otsu(v1): bins 51, 102, 153, 204 → split {0.2, 0.4} | {0.6, 0.8} at edge 103/256; E = [0, 0, 0.6, 0.8].
    const backward = fuseLayerMaps([v2, v1]);
    expect(backward.steps[0]!.threshold).toBe(103 / 256);
    [0, 0, 0.6, 0.8].forEach((v, i) => expect(backward.steps[0]!.fused.data[i]).toBeCloseTo(v, 6));
    expect(backward.map.data[2]).toBeCloseTo(0.75, 5);
    expect(forward.map.data[2]).toBe(0);
  });
});

/** The 4x4 linear-head model with the logit score: ∂y_c/∂A_k = W[k][c]/16, so α_k = W[k][c]/16. */
function linearCase() {
  const {model: tfModel, convKernel, denseKernel, denseBias} = linearHeadModel();
  const model = new ExplainableModel(tfModel);
  const image = testImage(4, 4, 42);
  const A = [0, 1].map((k) => Array.from({length: 16}, (_, p) => relu([0, 1, 2].reduce((s, c) => s + (image.rgb[p * 3 + c]! / 255) * convKernel[c]![k]!, 0))));
  // ReLU(m·z) = m·ReLU(z) for masks m ≥ 0: the masked image's logits in closed form.
  const maskedLogit = (mask: readonly number[], c: number) =>
    denseBias[c]! + [0, 1].reduce((s, k) => s + (denseKernel[k]![c]! * A[k]!.reduce((t, a, p) => t + mask[p]! * a, 0)) / 16, 0);
  return {model, image, A, denseKernel, maskedLogit};
}

describe("SISE end to end", () => {
  it("on a one-layer model equals the hand computation of steps 2–6 (two masks, coverage-normalised)", async () => {
    const {model, image, A, denseKernel, maskedLogit} = linearCase();
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

  const model = new ExplainableModel(residualModel(16, 3, 2), {name: "tiny", classNames: ["a", "b", "c"]});
  const image = testImage(20, 12, 7);

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

  it("Ada-SISE keeps a subset of SISE's channels at μ = 0 in every layer, and fewer masks", async () => {
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

  it("is finite on black and constant images (both methods, both gates)", async () => {
    for (const fill of [0, 128, 255]) {
      const flat = {width: 16, height: 16, rgb: new Uint8Array(16 * 16 * 3).fill(fill)};
      for (const method of [sise, adaSise]) {
        for (const fusion of ["hard", "soft"] as const) {
          const result = await method.explain(model, flat, {fusion});
          expect(result.map.data.every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
        }
      }
    }
  });

  it("leaks no tensors over 10 runs", async () => {
    await sise.explain(model, image);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) {
      const method = i % 2 ? adaSise : sise;
      await method.explain(model, image, {classIndex: i % 3, batchSize: 1 + i, maxMasks: i % 3 ? 4 : undefined, fusion: i % 4 ? "hard" : "soft"});
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  it("reports progress in masks and stops within one batch when cancelled", async () => {
    const totals = new Set<number>();
    const result = await sise.explain(model, image, {classIndex: 2, batchSize: 4, onProgress: (p) => totals.add(p.total)});
    expect([...totals]).toEqual([intermediatesOf(result).maskCount]);

    await expectCancelsAfterTwoBatches(adaSise, model, image, {classIndex: 2, batchSize: 1});
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
