/**
 * The forward engine of a run (loaders/onnx/run-engine.ts) from the command line: `saliency
 * explain --engine onnx` gives `--engine tfjs`'s map within 1e-4 and says which engine ran; batch
 * records the engine but keys results without it (a tfjs run's maps are found by an onnx rerun),
 * and a pool gives each worker its own session. Without onnxruntime-node — hidden from the CLI
 * process by a preload that makes it unresolvable, as on a machine where the optional package was
 * not installed — `auto` falls back to tfjs with one notice line and `onnx` fails with one clear
 * error line. Model: the committed vgg-shapes; small mask counts keep each run to seconds.
 */
import {spawnSync} from "node:child_process";
import {existsSync, mkdtempSync, readFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {readManifest} from "../loaders/batch/manifest.js";
import {decodeNpy} from "../loaders/batch/npy.js";
import {readImageFile} from "../loaders/image-io.js";
import {openModel} from "../loaders/model-files.js";
import {makesForwardBatches, RunEngine} from "../loaders/onnx/run-engine.js";
import {METHODS} from "../src/lib/methods/registry.js";
import type {ExplainableModel} from "../src/lib/model/adapter.js";

const MAP_TOLERANCE = 1e-4;
const MODEL = "data/models/vgg-shapes";
const IMAGE = "data/shapes/test/0001.png";
const HIDE_ONNXRUNTIME = "test/fixtures/hide-onnxruntime.cjs";
/** Each method's options: few masks (the passes are the same kind as at full size). */
const METHOD_ARGS: Record<string, string[]> = {sise: ["--max-masks", "8"], rise: ["--masks", "48"], scorecam: [], gradcam: []};
const work = mkdtempSync(join(tmpdir(), "saliency-engine-"));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** The CLI, optionally without onnxruntime-node; SALIENCY_ENGINE unset unless given. */
function cli(args: string[], options: {hideOnnxRuntime?: boolean; env?: NodeJS.ProcessEnv} = {}): Run {
  const {SALIENCY_ENGINE: _unset, ...env} = process.env;
  const preload = options.hideOnnxRuntime ? ["--require", `./${HIDE_ONNXRUNTIME}`] : [];
  const run = spawnSync(process.execPath, [...preload, "bin/saliency.js", ...args], {encoding: "utf8", timeout: 300_000, env: {...env, ...options.env}});
  return {status: run.status, stdout: run.stdout, stderr: run.stderr};
}

interface MapJson {
  engine: string;
  classIndex: number;
  map: number[];
  passes: {forward: number; backward: number};
}

function explain(method: string, engine: string | null, name: string, options: {hideOnnxRuntime?: boolean; env?: NodeJS.ProcessEnv} = {}): Run & {out: string} {
  const out = join(work, `${name}.json`);
  const flags = engine === null ? [] : ["--engine", engine];
  const run = cli(
    ["explain", "--model", MODEL, "--image", IMAGE, "--method", method, ...METHOD_ARGS[method]!, ...flags, "--backend", "wasm", "--quiet", "--out", out],
    options
  );
  return {...run, out};
}

const readMap = (path: string) => JSON.parse(readFileSync(path, "utf8")) as MapJson;
const npyMap = (path: string) => Array.from(decodeNpy(new Uint8Array(readFileSync(path)), path).data);
const largestDifference = (a: number[], b: number[]) => a.reduce((worst, v, i) => Math.max(worst, Math.abs(v - b[i]!)), 0);

describe("saliency explain --engine", () => {
  it.each(["sise", "rise", "scorecam"])("%s: --engine onnx gives --engine tfjs's map within 1e-4, and the JSON says which engine ran", (method) => {
    const onTfjs = explain(method, "tfjs", `${method}-tfjs`);
    const onOnnx = explain(method, "onnx", `${method}-onnx`);
    for (const run of [onTfjs, onOnnx]) {
      expect(run.status, run.stderr).toBe(0);
      expect(run.stderr).toBe("");
    }
    const [a, b] = [readMap(onTfjs.out), readMap(onOnnx.out)];
    expect([a.engine, b.engine]).toEqual(["tfjs", "onnx"]);
    expect(b.classIndex).toBe(a.classIndex);
    expect(b.passes).toEqual(a.passes);
    expect(a.map.length).toBeGreaterThan(100);
    expect(largestDifference(a.map, b.map)).toBeLessThanOrEqual(MAP_TOLERANCE);
  });

  it("a gradient method makes no forward-only pass: with --engine onnx it runs on tfjs alone, bit for bit", () => {
    const [a, b] = [explain("gradcam", "tfjs", "gradcam-tfjs"), explain("gradcam", "onnx", "gradcam-onnx")];
    expect([a.status, b.status]).toEqual([0, 0]);
    expect(readMap(b.out).engine).toBe("tfjs");
    expect(readMap(b.out).map).toEqual(readMap(a.out).map);
  });

  it("SALIENCY_ENGINE chooses when --engine is absent; an unknown engine is one error line", () => {
    expect(readMap(explain("rise", null, "rise-env", {env: {SALIENCY_ENGINE: "tfjs"}}).out).engine).toBe("tfjs");
    expect(readMap(explain("rise", null, "rise-default").out).engine).toBe("onnx");
    const bad = explain("rise", "gpu", "rise-gpu");
    expect(bad.status).toBe(1);
    expect(bad.stderr).toBe('saliency: unknown engine "gpu": choose one of auto, onnx, tfjs\n');
    expect(existsSync(bad.out)).toBe(false);
  });
});

describe("saliency batch --engine", () => {
  const batch = (out: string, ...extra: string[]) =>
    cli([
      "batch",
      "--model",
      MODEL,
      "--images",
      "data/shapes/test/000*.png",
      "--methods",
      "sise,gradcam",
      "--max-masks",
      "8",
      "--out",
      out,
      "--backend",
      "wasm",
      ...extra
    ]);

  it("records the engine per result and keys without it: an onnx rerun of a tfjs batch finds every map", () => {
    const dir = join(work, "batch-tfjs");
    const first = batch(dir, "--engine", "tfjs", "--quiet");
    expect(first.status, first.stderr).toBe(0);
    const rows = readManifest(join(dir, "manifest.jsonl"));
    expect(rows).toHaveLength(20); // 10 images × 2 methods
    const again = batch(dir, "--engine", "onnx");
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/20\/20 results \(0 computed, 20 found stored\)/);
    for (const row of rows) expect(JSON.parse(readFileSync(join(dir, row.meta), "utf8")).engine).toBe("tfjs");
  });

  it("a pool of 2 workers, each with its own ONNX Runtime session, gives the in-thread tfjs maps within 1e-4", () => {
    const [inThread, pooled] = [join(work, "batch-in-thread"), join(work, "batch-pool")];
    const a = batch(inThread, "--engine", "tfjs", "--quiet");
    const b = batch(pooled, "--engine", "onnx", "--workers", "2", "--quiet");
    expect([a.status, b.status], a.stderr + b.stderr).toEqual([0, 0]);
    const [rowsA, rowsB] = [readManifest(join(inThread, "manifest.jsonl")), readManifest(join(pooled, "manifest.jsonl"))];
    expect(rowsB.map((r) => r.key)).toEqual(rowsA.map((r) => r.key));
    for (const [i, row] of rowsB.entries()) {
      const record = JSON.parse(readFileSync(join(pooled, row.meta), "utf8"));
      expect(record.engine).toBe(record.method === "sise" ? "onnx" : "tfjs");
      const [x, y] = [npyMap(join(inThread, rowsA[i]!.map)), npyMap(join(pooled, row.map))];
      expect(largestDifference(x, y), `${row.method} ${row.image}`).toBeLessThanOrEqual(MAP_TOLERANCE);
    }
  });
});

describe("without onnxruntime-node", () => {
  it("auto falls back to tfjs with one notice line and the tfjs map; onnx fails with one clear error line and writes nothing", () => {
    const fallback = explain("sise", "auto", "sise-hidden-auto", {hideOnnxRuntime: true});
    expect(fallback.status, fallback.stderr).toBe(0);
    expect(fallback.stderr).toMatch(/^engine auto: forward passes on tfjs \(onnxruntime-node is not installed .*Cannot find module 'onnxruntime-node'.*\)\n$/);
    const map = readMap(fallback.out);
    expect(map.engine).toBe("tfjs");
    expect(map.map).toEqual(readMap(explain("sise", "tfjs", "sise-tfjs-again").out).map);

    const insisted = explain("sise", "onnx", "sise-hidden-onnx", {hideOnnxRuntime: true});
    expect(insisted.status).toBe(1);
    expect(insisted.stderr).toMatch(
      /^saliency: engine "onnx" needs onnxruntime-node, which does not load here \(Cannot find module 'onnxruntime-node'.*\): install it \(npm install onnxruntime-node\) or choose the engine auto or tfjs \(--engine, SALIENCY_ENGINE\)\n$/
    );
    expect(existsSync(insisted.out)).toBe(false);
  });

  it("a batch over 2 workers gives one notice, not one per worker, and records tfjs", () => {
    const out = join(work, "batch-hidden");
    const run = cli(
      ["batch", "--model", MODEL, "--images", "data/shapes/test/000[0-3].png", "--methods", "rise", "--masks", "48", "--workers", "2", "--out", out, "--quiet"],
      {hideOnnxRuntime: true}
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr.split("\n").filter((line) => line.startsWith("engine auto:"))).toHaveLength(1);
    for (const row of readManifest(join(out, "manifest.jsonl"))) expect(JSON.parse(readFileSync(join(out, row.meta), "utf8")).engine).toBe("tfjs");
  });
});

describe("RunEngine", () => {
  let model: ExplainableModel;
  beforeAll(async () => {
    await selectNodeBackend("wasm");
    model = await openModel(MODEL);
  });
  afterAll(() => model?.dispose());

  it("gives an executor to exactly the methods with forward-only batches, and opens no session for the others", async () => {
    expect(
      Object.values(METHODS)
        .filter(makesForwardBatches)
        .map((m) => m.name)
        .sort()
    ).toEqual(["adasise", "rise", "scorecam", "sise"]);
    const engine = new RunEngine(model, {engine: "onnx", threads: 1});
    const image = await readImageFile(IMAGE);
    const gradcam = await engine.explain(METHODS.gradcam!, image);
    expect(gradcam.engine).toBe("tfjs");
    expect(await engine.describe()).toMatch(/not opened yet/);
    expect((await engine.forMethod(METHODS.rise!)).executor).toBeDefined();
    expect(await engine.describe()).toMatch(/^ONNX Runtime, 1 intra-op thread \(vgg-shapes\)$/);
    expect((await new RunEngine(model, {engine: "tfjs"}).forMethod(METHODS.rise!)).executor).toBeUndefined();
    await engine.dispose();
  });
});
