import {spawnSync} from "node:child_process";
import {existsSync, mkdtempSync, readFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join, resolve} from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {readCoco, readVoc, type AnnotatedDataset} from "../loaders/batch/datasets.js";
import {evaluateDataset} from "../loaders/batch/evaluate.js";
import {evaluationReport} from "../loaders/batch/evaluate-report.js";
import {runModel} from "../loaders/bench/run.js";
import {benchSettings} from "../loaders/bench/settings.js";
import type {BenchSettings, ImageRow, ModelResult} from "../loaders/bench/types.js";
import {openModel} from "../loaders/model-files.js";
import {exportSplit, type ExportedFolders} from "../scripts/export-voc-coco.js";

const ROOT = resolve(import.meta.dirname, "..");
const work = mkdtempSync(join(tmpdir(), "saliency-evaluate-"));
const METHODS = ["gradcam", "rise"];
const METHOD_OPTIONS = {gradcam: {}, rise: {masks: 64}};

function settingsFor(images: number, truth: "box" | "mask"): BenchSettings {
  const settings = benchSettings({methods: METHODS, images, pairsImages: 0, sanityImages: 0, curveSteps: 8, truth, workers: 1});
  return {...settings, methodOptions: METHOD_OPTIONS};
}

/** Everything a row says except its time (the bench times repeated runs, a batch one). */
const withoutTime = ({ms: _ms, ...row}: ImageRow) => row;

async function benchAndEvaluate(
  model: string,
  dataset: string,
  exported: ExportedFolders,
  truth: "box" | "mask"
): Promise<{bench: ModelResult; evaluations: Awaited<ReturnType<typeof evaluateDataset>>[]}> {
  const settings = settingsFor(exported.images, truth);
  const directory = join(ROOT, "data", "models", model);
  const bench = await runModel({name: model, directory, dataset, splitDirectory: join(ROOT, "data", dataset, "test")}, settings, ROOT);
  const opened = await openModel(directory);
  const datasets: AnnotatedDataset[] = [readVoc(exported.voc), readCoco(exported.coco, exported.cocoImages)];
  const evaluations = [];
  for (const [n, annotated] of datasets.entries()) {
    if (truth === "mask" && !annotated.masks) continue;
    evaluations.push(
      await evaluateDataset({
        model: opened,
        dataset: annotated,
        methods: METHODS,
        methodOptions: METHOD_OPTIONS,
        out: join(work, `${dataset}-${n}`),
        truth,
        curveSteps: 8
      })
    );
  }
  opened.dispose();
  return {bench, evaluations};
}

beforeAll(async () => {
  await selectNodeBackend("wasm");
});

describe("saliency evaluate on the committed test splits exported to VOC XML and COCO JSON", () => {
  it("reproduces the bench's figures for the same shapes images", async () => {
    const exported = exportSplit(join(ROOT, "data", "shapes", "test"), join(work, "shapes"), 4);
    const {bench, evaluations} = await benchAndEvaluate("vgg-shapes", "shapes", exported, "box");
    expect(evaluations).toHaveLength(2);
    for (const result of evaluations) {
      expect(result.complete).toBe(true);
      expect(result.methods.map((m) => m.method)).toEqual(METHODS);
      for (const method of result.methods) {
        const reference = bench.methods.find((m) => m.method === method.method)!;
        expect(method.rows).toBe(4);
        expect(method.localisedRows).toBe(reference.localisedImages);
        const {secondsPerImage: _ours, ...figures} = method.metrics;
        const {secondsPerImage: _theirs, ...expected} = reference.metrics;
        for (const [key, value] of Object.entries(expected))
          expect(figures[key as keyof typeof figures], `${method.method} ${key}`).toBeCloseTo(value as number, 9);
        expect(method.metrics.secondsPerImage).toBeGreaterThan(0);
        expect(Object.values(method.intervals).every((v) => v === null || Number.isFinite(v))).toBe(true);
      }
      expect(result.rows.map(withoutTime)).toEqual(
        bench.rows.map(withoutTime).sort((a, b) => a.file.localeCompare(b.file) || METHODS.indexOf(a.method) - METHODS.indexOf(b.method))
      );
      expect(evaluationReport(result)).toMatch(/EBPG % \(box\) ↑\s+[\d.]+\*?\s+± [\d.]+/);
    }
    // The VOC and COCO exports hold the same pixels: the same content keys.
    expect(evaluations[0]!.batch.rows.map((r) => r.key)).toEqual(evaluations[1]!.batch.rows.map((r) => r.key));
  });

  it("gives the bench's rows for every (image, present class) pair of multi-label scenes (128², resized for the shapes model), with COCO masks as ground truth", async () => {
    const exported = exportSplit(join(ROOT, "data", "scenes", "test"), join(work, "scenes"), 3);
    const {bench, evaluations} = await benchAndEvaluate("vgg-shapes", "scenes", exported, "mask");
    expect(evaluations).toHaveLength(1); // VOC has no masks
    const [coco] = evaluations;
    // Both explain every annotated class of each image (the SISE paper's protocol), not only the label.
    expect(coco!.rows.length).toBe(bench.rows.length);
    expect(bench.rows.length).toBeGreaterThan(3 * METHODS.length);
    for (const row of bench.rows) {
      const ours = coco!.rows.find((r) => r.file === row.file && r.method === row.method && r.classIndex === row.classIndex);
      expect(ours, `${row.file} ${row.method}`).toBeDefined();
      expect(withoutTime(ours!)).toEqual(withoutTime(row));
    }
  });

  it("refuses mask ground truth on VOC, and a data set with no class the model knows", async () => {
    const exported = exportSplit(join(ROOT, "data", "shapes", "test"), join(work, "refuse"), 1);
    const model = await openModel(join(ROOT, "data", "models", "vgg-shapes"));
    await expect(evaluateDataset({model, dataset: readVoc(exported.voc), methods: ["gradcam"], out: join(work, "refused"), truth: "mask"})).rejects.toThrow(
      /has no masks for every object: use --truth box/
    );
    const renamed: AnnotatedDataset = {...readVoc(exported.voc), classes: ["zebra"]};
    renamed.images = renamed.images.map((i) => ({...i, objects: i.objects.map((o) => ({...o, className: "zebra"}))}));
    await expect(evaluateDataset({model, dataset: renamed, methods: ["gradcam"], out: join(work, "refused")})).rejects.toThrow(/no class named "zebra"/);
    model.dispose();
  });

  it("runs from the CLI: shards compute their maps only, the unsharded run finds them all and prints the table", () => {
    const exported = exportSplit(join(ROOT, "data", "shapes", "test"), join(work, "cli"), 4);
    const out = join(work, "cli-out");
    const args = [
      "bin/saliency.js",
      "evaluate",
      "--model",
      join(ROOT, "data", "models", "vgg-shapes"),
      "--dataset",
      `coco:${exported.coco}:${exported.cocoImages}`
    ];
    const common = [...args, "--methods", "gradcam,layercam", "--curve-steps", "4", "--out", out, "--backend", "wasm"];
    for (const k of [0, 1]) {
      const shard = spawnSync(process.execPath, [...common, "--quiet"], {
        cwd: ROOT,
        encoding: "utf8",
        timeout: 120_000,
        env: {...process.env, JOB_COMPLETION_INDEX: String(k), SALIENCY_SHARD_COUNT: "2"}
      });
      expect(shard.status, shard.stderr).toBe(0);
      expect(shard.stdout).toBe("");
      expect(shard.stderr).toMatch(new RegExp(`shard ${k}/2 done; run evaluate without --shard for the table`));
    }
    expect(existsSync(join(out, "evaluate.json"))).toBe(false);
    const run = spawnSync(process.execPath, common, {cwd: ROOT, encoding: "utf8", timeout: 120_000});
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/8\/8 results \(0 computed, 8 found stored\)/);
    expect(run.stdout).toMatch(/=== vgg-shapes on coco:.*: 4 images ===/);
    expect(run.stdout).toMatch(/Deletion AUC \(prob\) ↓\s+[\d.]+\*?\s+± [\d.]+\s+[\d.]+\*?\s+± [\d.]+/);
    const summary = readFileSync(join(out, "evaluate-summary.csv"), "utf8").trim().split("\n");
    expect(summary[0]).toMatch(/^model,dataset,method,explainedScore,rows,localisedRows,ebpg,ebpgCi95,/);
    expect(summary).toHaveLength(3);
    expect(readFileSync(join(out, "evaluate-images.csv"), "utf8").trim().split("\n")).toHaveLength(9);
  });
});
