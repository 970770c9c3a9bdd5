/**
 * The benchmark (`npm run bench`): faithfulness metrics through a real tfjs model, the pure
 * aggregation/speed/claims/table code on hand numbers, the sanity check (an edge detector fails,
 * Grad-CAM passes) and an end-to-end smoke run on a small seeded model.
 * Deletion/insertion curves on a callback "model" are covered in metrics.test.ts, not here.
 */
import * as tf from "@tensorflow/tfjs";
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {createMap} from "../src/lib/maps/types.js";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {METHODS, getMethod} from "../src/lib/methods/registry.js";
import {selectNodeBackend} from "../loaders/backend.js";
import {parseBenchArgs} from "../loaders/bench/args.js";
import {meanOrNull, median, methodMetrics} from "../loaders/bench/aggregate.js";
import {evaluateClaims, pairedDifference} from "../loaders/bench/claims.js";
import {toCsv} from "../loaders/bench/csv.js";
import {energyInside, favoursOwnClass, summariseDiscrimination} from "../loaders/bench/discrimination.js";
import {edgeDetector} from "../loaders/bench/edge-detector.js";
import {classTruth} from "../src/lib/metrics/masks.js";
import {faithfulnessScores, probabilityScorer} from "../loaders/bench/image-metrics.js";
import {benchModels} from "../loaders/bench/models.js";
import {batchesToMeasure, idealMs, passPlan, speedRatio} from "../loaders/bench/pass-cost.js";
import {pairedSpeed, repetitionsFor} from "../loaders/bench/paired-timing.js";
import {benchJson, writeBenchResults} from "../loaders/bench/results.js";
import {claimsOverview, modelReport} from "../loaders/bench/report.js";
import {runBench} from "../loaders/bench/run.js";
import {randomisationSteps, runSanityCheck} from "../loaders/bench/sanity.js";
import {benchSettings, imagesForInput, insertionBlur, pointingTolerance} from "../loaders/bench/settings.js";
import {formatTable, starredRow} from "../loaders/bench/table.js";
import type {BenchResult, ImageRow, MethodSummary} from "../loaders/bench/types.js";
import {SHAPE_CLASS_NAMES} from "../loaders/datasets/index.js";
import {loadSplit} from "../loaders/datasets/splits.js";
import {buildVgg} from "../loaders/models/vgg.js";
import {saveLayersModelToDir} from "../loaders/models/save.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const scratch = mkdtempSync(join(tmpdir(), "bench-test-"));

beforeAll(async () => {
  await selectNodeBackend("wasm");
});
afterAll(() => rmSync(scratch, {recursive: true, force: true}));

/** A small seeded VGG (five blocks, few filters) for 64×64 shapes: fast, untrained. */
function smallVgg(seed = 3): tf.LayersModel {
  return buildVgg({classes: SHAPE_CLASS_NAMES.length, seed, inputSize: 64, filters: [4, 8, 8, 16, 16], convsPerBlock: [1, 1, 1, 1, 1]});
}

function row(overrides: Partial<ImageRow>): ImageRow {
  return {
    model: "m",
    method: "gradcam",
    file: "0000.png",
    classIndex: 0,
    predicted: 0,
    explainedScore: "logit",
    ebpg: null,
    bbox: null,
    iou: null,
    pointingHit: null,
    probability: 0.5,
    keptProbability: 0.5,
    deletionAuc: 0,
    insertionAuc: 0,
    ms: 0,
    forwardPasses: 1,
    backwardPasses: 1,
    ...overrides
  };
}

function summary(method: string, metrics: Partial<MethodSummary["metrics"]>, forwardPasses = 1): MethodSummary {
  return {
    method,
    title: method,
    explainedScore: "logit",
    metricScores: {localisation: "map only", dropIncrease: "softmax", deletionInsertion: "softmax"},
    images: 1,
    localisedImages: 1,
    metrics: {ebpg: 50, bbox: 0, miou: 0, pointing: 0, drop: 40, increase: 30, deletionAuc: 0.2, insertionAuc: 0.6, secondsPerImage: 1, ...metrics},
    speed: {forwardPasses, backwardPasses: 1, msPerImage: 1, idealMsPerImage: 1, ratio: 1},
    options: {}
  };
}

describe("faithfulness through a tfjs model with a known curve", () => {
  // 4×4 image of 255s; logit_0 = w·Σ over region R of the (0..1) pixels, logit_1 = 0, so the
  // class-0 probability is σ(3w·|R pixels present|).
  const REGION = [5, 6, 9, 10];
  const w = 0.5;
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  const probabilityWith = (present: number) => sigmoid(3 * w * present);

  function regionModel(): ExplainableModel {
    const model = tf.sequential({
      layers: [tf.layers.flatten({inputShape: [4, 4, 3], name: "flat"}), tf.layers.dense({units: 2, name: "logits"})]
    });
    const kernel = new Float32Array(48 * 2);
    for (const p of REGION) for (let c = 0; c < 3; c++) kernel[(p * 3 + c) * 2] = w;
    model.getLayer("logits").setWeights([tf.tensor2d(kernel, [48, 2]), tf.zeros([2])]);
    return new ExplainableModel(model, {classNames: ["a", "b"]});
  }

  it("O of Drop/Increase and the deletion/insertion AUCs match the hand curve", async () => {
    const model = regionModel();
    const image = new Float32Array(48).fill(255);
    // R first, in the order 5, 6, 9, 10; everything else low.
    const map = createMap(
      4,
      4,
      Array.from({length: 16}, (_, i) => (REGION.includes(i) ? 1 - 0.1 * REGION.indexOf(i) : 0.05))
    );
    const score = probabilityScorer(model, 0, 4, 4);
    expect((await score([image]))[0]).toBeCloseTo(probabilityWith(4), 5);
    const result = await faithfulnessScores(image, map, score, {keepFraction: 0.15, curveSteps: 8, insertionCanvas: new Float32Array(48)});
    // Top round(0.15·16) = 2 pixels kept: 5 and 6.
    expect(result.keptProbability).toBeCloseTo(probabilityWith(2), 5);
    // 8 steps of 2 pixels: deletion removes R in the first two steps, insertion adds it back.
    const trapezoid = (ys: number[]) => ys.slice(1).reduce((s, y, k) => s + (y + ys[k]!) / 16, 0);
    const deletion = [4, 2, 0, 0, 0, 0, 0, 0, 0].map(probabilityWith);
    const insertion = [0, 2, 4, 4, 4, 4, 4, 4, 4].map(probabilityWith);
    expect(result.deletionAuc).toBeCloseTo(trapezoid(deletion), 5);
    expect(result.insertionAuc).toBeCloseTo(trapezoid(insertion), 5);
    model.dispose();
  });
});

describe("aggregation, speed model, claims and tables on hand numbers", () => {
  it("Table 1 figures from per-image rows", () => {
    const rows = [
      row({ebpg: 0.5, bbox: 0.25, iou: 0.1, pointingHit: true, probability: 0.8, keptProbability: 0.4, deletionAuc: 0.2, insertionAuc: 0.6, ms: 100}),
      row({ebpg: 1, bbox: 0.75, iou: 0.3, pointingHit: false, probability: 0.5, keptProbability: 0.6, deletionAuc: 0.4, insertionAuc: 0.8, ms: 300}),
      // No ground truth: left out of localisation, kept in the rest.
      row({probability: 0.4, keptProbability: 0.4, deletionAuc: 0.3, insertionAuc: 0.7, ms: 200})
    ];
    const m = methodMetrics(rows);
    expect(m.ebpg).toBeCloseTo(75, 10);
    expect(m.bbox).toBeCloseTo(50, 10);
    expect(m.miou).toBeCloseTo(20, 10);
    expect(m.pointing).toBeCloseTo(50, 10);
    // Drop = 100/3 · (0.4/0.8 + 0 + 0); Increase = 100/3 · 1 (only 0.6 > 0.5).
    expect(m.drop).toBeCloseTo(100 / 6, 10);
    expect(m.increase).toBeCloseTo(100 / 3, 10);
    expect(m.deletionAuc).toBeCloseTo(0.3, 10);
    expect(m.insertionAuc).toBeCloseTo(0.7, 10);
    expect(m.secondsPerImage).toBeCloseTo(0.2, 10);
    expect(meanOrNull([null, null])).toBeNull();
    expect(methodMetrics([row({})]).ebpg).toBeNull();
  });

  it("pointing tolerance and insertion blur scale from 224²", () => {
    expect(pointingTolerance(64, 64)).toBeCloseTo((15 * 64) / 224, 12); // ≈ 4.29 px
    expect(pointingTolerance(224, 224)).toBe(15);
    const settings = benchSettings({methods: ["gradcam"]});
    expect(insertionBlur(settings, 64, 64).sigma).toBeCloseTo((5 * 64) / 224, 12);
    expect(insertionBlur(settings, 64, 64).radius).toBe(1);
    expect(insertionBlur(settings, 224, 224)).toEqual({sigma: 5, radius: 5});
  });

  it("median: middle value, mean of the two middle ones, NaN for none, input untouched", () => {
    const values = [5, 1, 3];
    expect(median(values)).toBe(3);
    expect(values).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 10])).toBe(3.5);
    expect(median([])).toBeNaN();
  });

  it("paired timing: repetitions by warm-up time, means and the median of per-image ratios", () => {
    expect([0, 49.9, 50, 249, 250, 10_000].map(repetitionsFor)).toEqual([5, 5, 3, 3, 1, 1]);
    expect(() => repetitionsFor(Number.NaN)).toThrow(/non-negative/);
    // Ratios 1.1, 2.0 (one disturbed image), 1.0: the median ignores the outlier, the means do not.
    const speed = pairedSpeed([
      {ms: 11, idealMs: 10},
      {ms: 40, idealMs: 20},
      {ms: 30, idealMs: 30}
    ]);
    expect(speed.ratio).toBeCloseTo(1.1, 12);
    expect(speed.msPerImage).toBeCloseTo(27, 12);
    expect(speed.idealMsPerImage).toBeCloseTo(20, 12);
    expect(pairedSpeed([{ms: 5, idealMs: 0}]).ratio).toBeNaN();
    expect(() => pairedSpeed([])).toThrow(/no timed images/);
  });

  it("pass plans, ideal time and ratio", () => {
    const defaults = {forward: 256, backward: 64};
    expect(passPlan({forward: 1, backward: 1}, undefined, defaults)).toEqual([{kind: "forwardBackward", images: 1, batch: 1}]);
    // SISE-like: one backward image, then masks batched by the method's batch size.
    expect(passPlan({forward: 301, backward: 1}, 128, defaults)).toEqual([
      {kind: "forwardBackward", images: 1, batch: 1},
      {kind: "forward", images: 300, batch: 128}
    ]);
    // Integrated Grad-CAM-like: 32 path points backward in batches, the two anchors together.
    const igcam = passPlan({forward: 34, backward: 32}, 16, defaults);
    expect(igcam).toEqual([
      {kind: "forwardBackward", images: 32, batch: 16},
      {kind: "forward", images: 2, batch: 2}
    ]);
    expect(passPlan({forward: 50, backward: 0}, undefined, defaults)).toEqual([{kind: "forward", images: 50, batch: 50}]);
    const perImage = (kind: string, batch: number) => (kind === "forward" ? 10 / batch : 20);
    expect(idealMs(igcam, perImage)).toBeCloseTo(32 * 20 + 2 * 5, 10);
    expect(speedRatio(115, 100)).toBeCloseTo(1.15, 12);
    expect(speedRatio(1, 0)).toBeNaN();
    expect(batchesToMeasure([igcam, igcam])).toEqual([
      {kind: "forward", batch: 2},
      {kind: "forwardBackward", batch: 16}
    ]);
  });

  it("claims: verdicts follow the directions, missing methods give null", () => {
    const claims = evaluateClaims([
      summary("gradcam", {ebpg: 50, drop: 40, increase: 30}),
      summary("gradcampp", {drop: 45}),
      summary("sise", {ebpg: 60, drop: 30, secondsPerImage: 2}, 400),
      summary("adasise", {ebpg: 58, drop: 31, secondsPerImage: 1.5}, 300)
    ]);
    const byId = Object.fromEntries(claims.map((c) => [c.id, c]));
    expect(byId["sise-vs-gradcam-ebpg"]!.confirmed).toBe(true);
    expect(byId["sise-vs-gradcam-drop"]!.confirmed).toBe(true);
    expect(byId["gradcampp-vs-gradcam-drop"]!.confirmed).toBe(true);
    expect(byId["igcam-vs-gradcam-drop"]!.confirmed).toBeNull();
    expect(byId["adasise-time"]!.measured.savingPercent).toBe(25);
    expect(byId["adasise-time"]!.measured.forwardPassSavingPercent).toBe(25);
    expect(byId["adasise-time"]!.confirmed).toBe(true);
    expect(byId["adasise-quality"]!.confirmed).toBe(true);
    expect(byId["adasise-quality"]!.measured.ebpgChange).toBe(-2);
    // Ada-SISE 5 points worse on Drop: not comparable.
    const adaWorse = evaluateClaims([summary("sise", {drop: 30}), summary("adasise", {drop: 35})]);
    expect(adaWorse.find((c) => c.id === "adasise-quality")!.confirmed).toBe(false);
    const worse = evaluateClaims([summary("gradcam", {drop: 40}), summary("igcam", {drop: 41, increase: 35})]);
    expect(worse.find((c) => c.id === "igcam-vs-gradcam-drop")!.confirmed).toBe(false);
    expect(worse.find((c) => c.id === "igcam-vs-gradcam-increase")!.confirmed).toBe(true);
    // Compared as printed: 40.001 vs 40.004 is a tie, not a confirmation.
    const tie = evaluateClaims([summary("gradcam", {drop: 40.004}), summary("igcam", {drop: 40.001})]);
    expect(tie.find((c) => c.id === "igcam-vs-gradcam-drop")!.confirmed).toBe(false);
    const overview = claimsOverview({
      models: [
        {name: "a", claims: worse},
        {name: "b", claims: tie}
      ]
    } as unknown as BenchResult);
    expect(overview).toContain("Integrated Grad-CAM has a higher Increase % than Grad-CAM: confirmed on 1/2 model(s) (a; beyond noise on 0)");
    expect(overview).toContain("SISE has a lower Drop % than Grad-CAM: confirmed on 0/0 model(s)");
  });

  it("claims pair rows by (image, class): a multi-label image's classes are separate pairs", () => {
    // One image, two classes: SISE beats Grad-CAM by 20 EBPG points on class 1 and by 10 on class 2.
    const rows = [
      row({method: "sise", file: "0.png", classIndex: 1, ebpg: 0.7}),
      row({method: "gradcam", file: "0.png", classIndex: 1, ebpg: 0.5}),
      row({method: "sise", file: "0.png", classIndex: 2, ebpg: 0.4}),
      row({method: "gradcam", file: "0.png", classIndex: 2, ebpg: 0.3})
    ];
    const d = pairedDifference(rows, "sise", "gradcam", "ebpg")!;
    expect(d.images).toBe(2);
    expect(d.mean).toBeCloseTo(15, 9);
  });

  it("claims: paired per-image differences with a 95% interval decide 'beyond noise'", () => {
    const rows = [0.5, 0.6, 0.7].flatMap((e, i) => [
      row({method: "sise", file: `${i}.png`, ebpg: e, probability: 1, keptProbability: 0.5}),
      row({method: "gradcam", file: `${i}.png`, ebpg: e - 0.1, probability: 1, keptProbability: 0.5 + 0.1 * i})
    ]);
    // EBPG differences are all +10 points: zero spread, beyond noise.
    expect(pairedDifference(rows, "sise", "gradcam", "ebpg")).toEqual({mean: expect.closeTo(10, 9), halfWidth: expect.closeTo(0, 9), images: 3});
    // Drop differences +0, +10, +20 (SISE keeps less): mean 10, sd 10, half-width 1.96·10/√3.
    const drop = pairedDifference(rows, "sise", "gradcam", "drop")!;
    expect(drop.mean).toBeCloseTo(10, 9);
    expect(drop.halfWidth).toBeCloseTo((1.96 * 10) / Math.sqrt(3), 9);
    const summaries = [summary("sise", {ebpg: 60, drop: 50}), summary("gradcam", {ebpg: 50, drop: 40})];
    const claims = evaluateClaims(summaries, rows);
    expect(claims.find((c) => c.id === "sise-vs-gradcam-ebpg")).toMatchObject({confirmed: true, significant: true});
    expect(claims.find((c) => c.id === "sise-vs-gradcam-drop")).toMatchObject({confirmed: false, significant: false});
    expect(pairedDifference([], "sise", "gradcam", "ebpg")).toBeNull();
  });

  it("text tables: padded columns, best starred by direction", () => {
    expect(
      formatTable(
        ["", "a", "bb"],
        [
          ["x", "1", "22"],
          ["yyy", "333", "4"]
        ]
      )
    ).toBe(["       a  bb", "---  ---  --", "x      1  22", "yyy  333   4"].join("\n"));
    expect(starredRow([1, 3, null, 3], "higher", 1)).toEqual(["1.0 ", "3.0*", "– ", "3.0*"]);
    expect(starredRow([1, 3], "lower", 0)).toEqual(["1*", "3 "]);
    expect(starredRow([1], "lower", 0)).toEqual(["1 "]);
    expect(() => formatTable(["a"], [["1", "2"]])).toThrow(/2 cells/);
  });

  it("CSV quoting and JSON without NaN", () => {
    expect(
      toCsv(
        ["a", "b"],
        [
          {a: 'x,"y"', b: 0.1234567891},
          {a: null, b: Number.NaN}
        ]
      )
    ).toBe('a,b\n"x,""y""",0.123457\n,\n');
    expect(JSON.parse(benchJson({x: Number.NaN, y: 1} as unknown as BenchResult))).toEqual({x: null, y: 1});
  });

  it("class discrimination and ground truth", () => {
    const map = createMap(4, 1, [0.1, 0.9, 0.3, 0.3]);
    expect(energyInside(map, [1, 1, 0, 0])).toBeCloseTo(1, 6);
    expect(favoursOwnClass(map, [1, 1, 0, 0], [0, 0, 1, 1])).toBe(true);
    expect(favoursOwnClass(map, [0, 0, 1, 1], [1, 1, 0, 0])).toBe(false);
    expect(summariseDiscrimination("m", [true, false, true, true])).toEqual({method: "m", cases: 4, wins: 3, fraction: 0.75});
    const instances = [
      {classIndex: 1, box: [0, 0, 2, 1] as [number, number, number, number], mask: Uint8Array.from([1, 0, 0, 0])},
      {classIndex: 2, box: [3, 0, 4, 1] as [number, number, number, number], mask: Uint8Array.from([0, 0, 0, 1])}
    ];
    expect(Array.from(classTruth(instances, 1, 4, 1, "box")!)).toEqual([1, 1, 0, 0]);
    expect(Array.from(classTruth(instances, 1, 4, 1, "mask")!)).toEqual([1, 0, 0, 0]);
    expect(classTruth(instances, 0, 4, 1, "box")).toBeNull();
  });

  it("options: a quick run never writes into results/ by default", () => {
    expect(parseBenchArgs(["--quick"]).out).toBe("results/tmp");
    expect(parseBenchArgs([]).out).toBe("results");
    const args = parseBenchArgs(["--models", "a,b", "--methods", "gradcam", "--images", "3", "--backend", "cpu", "--split", "shapes"]);
    expect(args).toMatchObject({models: ["a", "b"], methods: ["gradcam"], images: 3, backend: "cpu", split: "shapes"});
    expect(() => parseBenchArgs(["--images", "0"])).toThrow(/--images/);
    expect(() => parseBenchArgs(["--truth", "circle"])).toThrow(/--truth/);
  });

  it("the timed table's image count shrinks with the input area unless --images is given (hand-computed)", () => {
    const byDefault = benchSettings({methods: ["gradcam"]});
    expect([imagesForInput(byDefault, 64, 64), imagesForInput(byDefault, 128, 128), imagesForInput(byDefault, 224, 224)]).toEqual([8, 2, 2]);
    // 8 * 4096 / (64 * 48) = 10.67 -> 8 (never more than the default), 8 * 4096 / (96 * 64) = 5.33 -> 5.
    expect(imagesForInput(byDefault, 64, 48)).toBe(8);
    expect(imagesForInput(byDefault, 96, 64)).toBe(5);
    // Extremal Perturbation: capped in the default run only.
    expect(benchSettings({methods: ["gradcam", "extremal"]}).pairCaps).toEqual({extremal: 2});
    expect(benchSettings({methods: ["gradcam", "extremal"], images: 4}).pairCaps).toBeUndefined();
    expect(benchSettings({methods: ["gradcam"]}).pairCaps).toBeUndefined();
    const given = benchSettings({methods: ["gradcam"], images: 12});
    expect(imagesForInput(given, 128, 128)).toBe(12);
  });

  it("options: the default run is the timed table alone; the machine sections run when named, or all", () => {
    expect(parseBenchArgs([]).sections).toEqual(["table"]);
    expect(parseBenchArgs(["--sections", "faces,onnx"]).sections).toEqual(["faces", "onnx"]);
    expect(parseBenchArgs(["--sections", "all"]).sections).toEqual(["table", "kernels", "pool", "onnx", "paper-scale", "faces"]);
    expect(() => parseBenchArgs(["--sections", "table,all"])).toThrow(/unknown section "all"/);
  });
});

describe("sanity check: model-parameter randomisation on a clone", () => {
  it("fails the edge detector, passes Grad-CAM, leaves the original model untouched", async () => {
    const layersModel = smallVgg();
    const model = new ExplainableModel(layersModel, {classNames: [...SHAPE_CLASS_NAMES]});
    const before = layersModel.getWeights().map((w) => w.dataSync().slice());
    const split = loadSplit(join(ROOT, "data", "shapes", "test"));
    const cases = split.images.slice(0, 2).map((image) => ({image, file: image.file, classIndex: image.label}));
    const steps = randomisationSteps(layersModel, 3);
    // Top-down: the first step starts at the output; the last ends at the first convolution.
    expect(steps).toHaveLength(3);
    expect(steps[0]!.layers[0]!.name).toBe("logits");
    expect(steps[2]!.name).toBe("block1_conv1");
    // A batch-norm layer is randomised in the same step as the convolution it follows.
    for (const step of steps) {
      for (const layer of step.layers.filter((l) => l.name.endsWith("_bn"))) {
        expect(step.layers.map((l) => l.name)).toContain(layer.name.slice(0, -"_bn".length));
      }
    }
    const result = await runSanityCheck(
      model,
      [
        {name: "gradcam", method: getMethod("gradcam"), options: {}},
        {name: "edges", method: edgeDetector, options: {}, control: true}
      ],
      cases,
      {steps: 3}
    );
    const [gradcam, edges] = result.methods;
    expect(edges!.correlations).toEqual([
      [1, 1, 1],
      [1, 1, 1]
    ]);
    expect(edges!.pass).toBe(false);
    expect(gradcam!.pass).toBe(true);
    expect(gradcam!.meanAbsFinal).toBeLessThan(0.5);
    // The clone was randomised, never the model itself.
    layersModel.getWeights().forEach((w, i) => expect(w.dataSync()).toEqual(before[i]));
    model.dispose();
  });
});

describe("bench smoke run (two images, small seeded model, every method)", () => {
  it("runs the real pipeline end to end and writes bench.json with the documented shape", async () => {
    const modelsDir = join(scratch, "models");
    const dir = join(modelsDir, "tiny-shapes");
    await saveLayersModelToDir(smallVgg(), dir);
    writeFileSync(join(dir, "card.json"), JSON.stringify({name: "tiny-shapes", classes: SHAPE_CLASS_NAMES, dataset: "shapes"}));
    const methods = Object.keys(METHODS);
    const settings = benchSettings({quick: true, images: 2, pairsImages: 1, sanityImages: 1, methods});
    const models = benchModels({modelsDir, names: null, split: null, root: ROOT});
    expect(models).toMatchObject([{name: "tiny-shapes", dataset: "shapes", splitDirectory: join(ROOT, "data", "shapes", "test")}]);
    const result = await runBench({models, settings, backend: {name: tf.getBackend(), provider: "test"}, command: "test", root: ROOT});
    const out = join(scratch, "out");
    const files = writeBenchResults(result, out);
    expect(files.map((f) => f.slice(out.length + 1))).toEqual(["bench.json", "bench-summary.csv", "bench-images.csv"]);

    const json = JSON.parse(readFileSync(join(out, "bench.json"), "utf8"));
    expect(json).toMatchObject({schema: "saliency-bench/1", command: "test", settings: {quick: true, imagesPerSplit: 2, methods}});
    expect(json.machine.cores).toBeGreaterThan(0);
    const [model] = json.models;
    expect(model).toMatchObject({name: "tiny-shapes", dataset: "shapes", split: "data/shapes/test", images: 2, input: [64, 64], truth: "box"});
    expect(model.failures).toEqual([]);
    expect(model.methods.map((m: MethodSummary) => m.method)).toEqual(methods);
    for (const m of model.methods) {
      expect(Object.keys(m.metrics).sort()).toEqual(["bbox", "deletionAuc", "drop", "ebpg", "increase", "insertionAuc", "miou", "pointing", "secondsPerImage"]);
      expect(m.metrics.ebpg).toBeGreaterThanOrEqual(0);
      expect(m.metrics.ebpg).toBeLessThanOrEqual(100);
      expect(m.metricScores).toEqual({localisation: "map only", dropIncrease: "softmax", deletionInsertion: "softmax"});
      expect(["logit", "softmax"]).toContain(m.explainedScore);
      expect(m.speed.idealMsPerImage).toBeGreaterThan(0);
      expect(m.speed.ratio).toBeGreaterThan(0);
    }
    expect(model.rows).toHaveLength(2 * methods.length);
    expect(model.bareSpeed.forward.some((t: {batch: number}) => t.batch === 1)).toBe(true);
    expect(model.discrimination).toMatchObject({split: "data/shapes-pairs/test", images: 1, truth: "mask"});
    expect(model.discrimination.methods.every((d: {cases: number}) => d.cases === 2)).toBe(true);
    expect(model.sanity.methods.map((s: {method: string}) => s.method)).toEqual([...methods, "edges"]);
    expect(model.sanity.methods.at(-1)).toMatchObject({method: "edges", control: true, pass: false});
    expect(model.claims.map((c: {id: string}) => c.id)).toEqual([
      "sise-vs-gradcam-ebpg",
      "sise-vs-gradcam-drop",
      "sise-vs-gradcam-increase",
      "igcam-vs-gradcam-drop",
      "igcam-vs-gradcam-increase",
      "adasise-time",
      "adasise-quality",
      "gradcampp-vs-gradcam-drop"
    ]);
    const csv = readFileSync(join(out, "bench-summary.csv"), "utf8").trim().split("\n");
    expect(csv).toHaveLength(1 + methods.length);
    expect(existsSync(join(out, "bench-images.csv"))).toBe(true);
    expect(modelReport(result.models[0]!)).toMatch(/EBPG % \(box\)[\s\S]*Paper claims/);
  }, 300_000); // every method through the real pipeline: ~25 s on idle cores
});
