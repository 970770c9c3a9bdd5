/**
 * The full protocol's metric rows: their forward passes may run on ONNX Runtime (agreeing with
 * tfjs to float rounding), and each row is stored beside its map, so a rerun reads it back
 * instead of redoing its deletion / insertion curves, until a metric setting or the ground
 * truth changes.
 */
import {mkdtempSync, readdirSync, readFileSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join, resolve} from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {readCoco} from "../loaders/batch/datasets.js";
import {evaluateDataset, metricRowId} from "../loaders/batch/evaluate.js";
import {activateRows, probabilityScorer} from "../loaders/bench/image-metrics.js";
import {benchSettings} from "../loaders/bench/settings.js";
import {loadSplit} from "../loaders/datasets/splits.js";
import {openModel} from "../loaders/model-files.js";
import {onnxForwardEngine} from "../loaders/onnx/engine.js";
import {exportSplit} from "../scripts/export-voc-coco.js";

const ROOT = resolve(import.meta.dirname, "..");

beforeAll(async () => {
  await selectNodeBackend("wasm");
});

describe("metric rows", () => {
  it("turns logits into probabilities (hand-computed softmax and sigmoid)", () => {
    const logits = Float32Array.from([0, Math.log(3), 0, /* second row */ 2, 2, 2]);
    // Row 1: exp = 1, 3, 1 -> 1/5, 3/5, 1/5; row 2: equal logits -> 1/3 each.
    const softmax = Array.from(activateRows(logits, 3, "softmax"));
    [0.2, 0.6, 0.2, 1 / 3, 1 / 3, 1 / 3].forEach((p, i) => expect(softmax[i]).toBeCloseTo(p, 6));
    // sigmoid(0) = 1/2, sigmoid(log 3) = 3/4, sigmoid(2) = 1/(1 + e^-2).
    const sigmoid = Array.from(activateRows(logits, 3, "sigmoid"));
    [0.5, 0.75, 0.5].forEach((p, i) => expect(sigmoid[i]).toBeCloseTo(p, 6));
    expect(sigmoid[3]).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    // Large logits do not overflow the softmax.
    expect(activateRows(Float32Array.from([1000, 0]), 2, "softmax")[0]).toBeCloseTo(1, 6);
  });

  it("scores on ONNX Runtime as on tfjs, to float rounding (vgg-scenes, sigmoid)", async () => {
    const model = await openModel(join(ROOT, "data", "models", "vgg-scenes"));
    const split = loadSplit(join(ROOT, "data", "scenes", "test"));
    const images = split.images.slice(0, 3).map((image) => Float32Array.from(image.rgb));
    const engine = await onnxForwardEngine(model, {threads: 1});
    try {
      for (const classIndex of [0, 4]) {
        const onTfjs = await probabilityScorer(model, classIndex, split.width, split.height)(images);
        const onOnnx = await probabilityScorer(model, classIndex, split.width, split.height, engine)(images);
        onOnnx.forEach((p, i) => expect(Math.abs(p - onTfjs[i]!)).toBeLessThan(1e-5));
      }
    } finally {
      await engine.dispose();
      model.dispose();
    }
  });

  it("stores each row beside its map and reads it back on a rerun; another setting or truth computes anew", async () => {
    const work = mkdtempSync(join(tmpdir(), "saliency-metric-rows-"));
    const exported = exportSplit(join(ROOT, "data", "scenes", "test"), join(work, "scenes"), 2);
    const dataset = readCoco(exported.coco, exported.cocoImages);
    const model = await openModel(join(ROOT, "data", "models", "vgg-scenes"));
    const run = (curveSteps: number) => evaluateDataset({model, dataset, methods: ["gradcam"], out: join(work, "store"), truth: "box", curveSteps, workers: 1});
    try {
      const first = await run(8);
      const files = readdirSync(join(work, "store", "metrics"), {recursive: true}).filter((f) => String(f).endsWith(".json"));
      expect(files).toHaveLength(first.rows.length);
      // Mark one stored row: the rerun must return the stored value, not recompute it.
      const marked = join(work, "store", "metrics", String(files[0]));
      const stored = JSON.parse(readFileSync(marked, "utf8")) as {deletionAuc: number};
      writeFileSync(marked, JSON.stringify({...stored, deletionAuc: 123}));
      const second = await run(8);
      const id = (r: {file: string; method: string; classIndex: number}) => `${r.file} ${r.method} ${r.classIndex}`;
      const markedRows = second.rows.filter((r) => r.deletionAuc === 123);
      expect(markedRows).toHaveLength(1);
      // Every other row is read back unchanged.
      const rest = (rows: typeof first.rows) => rows.filter((r) => id(r) !== id(markedRows[0]!));
      expect(rest(second.rows)).toEqual(rest(first.rows));
      expect(first.rows.find((r) => id(r) === id(markedRows[0]!))!.deletionAuc).toBe(stored.deletionAuc);
      // Another curve length is another row: computed, and the marked one is not read.
      const third = await run(4);
      expect(third.rows.some((r) => r.deletionAuc === 123)).toBe(false);
      const settings = benchSettings({methods: ["gradcam"], curveSteps: 8});
      expect(metricRowId(settings, null)).not.toBe(metricRowId({...settings, curveSteps: 4}, null));
      expect(metricRowId(settings, Uint8Array.of(1, 0))).not.toBe(metricRowId(settings, Uint8Array.of(0, 1)));
    } finally {
      model.dispose();
    }
  });
});
