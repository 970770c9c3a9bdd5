/**
 * `npm run bench`: the timed table by default, other sections when named (--sections a,b or all).
 * "table": every method on every committed model and a fixed subset of its test split, the Table 1
 * style report per model on stdout (progress on stderr), written to results/bench.json,
 * bench-summary.csv and bench-images.csv. The kernel, worker-pool, onnx, paper-scale and faces
 * sections are each saved as results/bench-<section>.txt.
 * Options: see loaders/bench/args.ts (--help).
 */
import {spawnSync} from "node:child_process";
import {mkdirSync, writeFileSync} from "node:fs";
import {dirname, relative, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import * as tf from "@tensorflow/tfjs";
import {METHODS} from "../src/lib/methods/registry.js";
import {selectNodeBackend} from "../loaders/backend.js";
import {BENCH_USAGE, parseBenchArgs} from "../loaders/bench/args.js";
import {machineInfo} from "../loaders/bench/machine.js";
import {benchModels} from "../loaders/bench/models.js";
import {stderrProgress} from "../loaders/bench/progress.js";
import {claimsOverview, modelReport, runHeader} from "../loaders/bench/report.js";
import {writeBenchResults} from "../loaders/bench/results.js";
import {runBench} from "../loaders/bench/run.js";
import {benchSettings} from "../loaders/bench/settings.js";
import {fullBench} from "./full.js";
import {checkedEngineChoice} from "../loaders/onnx/run-engine.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

async function main(): Promise<void> {
  const args = parseBenchArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write(`${BENCH_USAGE}\nmethods: ${Object.keys(METHODS).join(" ")}\n`);
    return;
  }
  if (args.full) {
    await fullSection(args);
    return;
  }
  for (const section of args.sections) {
    if (section === "table") await tableSection(args);
    else runScript(SECTION_SCRIPTS[section], args.quick, resolve(ROOT, args.out, `bench-${section}.txt`));
  }
}

/** The other sections are scripts of their own (each also runs alone); they print to this stdout. */
const SECTION_SCRIPTS = {
  kernels: "bench/kernels.ts",
  pool: "bench/pool.ts",
  onnx: "bench/onnx.ts",
  "paper-scale": "bench/paper-scale.ts",
  // Faces: a script of its own, not a table model: no test split or ground truth, its inputs are detected face crops.
  faces: "bench/faces.ts"
} as const;

/** Runs a section script (progress on stderr as it goes), prints its report and keeps a copy in `saveAs`. */
function runScript(script: string, quick: boolean, saveAs: string): void {
  const title = `# ${script}${quick ? " --quick" : ""} (${new Date().toISOString()})`;
  process.stdout.write(`\n${title}\n`);
  const tsx = resolve(ROOT, "node_modules/.bin/tsx");
  const result = spawnSync(tsx, [resolve(ROOT, script), ...(quick ? ["--quick"] : [])], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
    maxBuffer: 64 * 2 ** 20
  });
  process.stdout.write(result.stdout ?? "");
  if (result.status !== 0) throw new Error(`${script} failed (exit ${result.status ?? result.signal})`);
  mkdirSync(dirname(saveAs), {recursive: true});
  writeFileSync(saveAs, `${title}\n${result.stdout}`);
  process.stdout.write(`wrote ${relative(ROOT, saveAs)}\n`);
}

/** --full: every (image, present class) pair of every model's split (bench/full.ts); the multi-label models by default. */
async function fullSection(args: ReturnType<typeof parseBenchArgs>): Promise<void> {
  // Extremal Perturbation only when asked: at 128² its 800 SGD steps take minutes per (image, class)
  // pair here, days for a whole split; the timed table has it on its subset.
  const methods = args.methods ?? Object.keys(METHODS).filter((name) => name !== "extremal");
  for (const name of methods) if (!METHODS[name]) throw new Error(`unknown method "${name}": choose from ${Object.keys(METHODS).join(", ")}`);
  const all = benchModels({modelsDir: args.modelsDir, names: args.models, split: args.split, root: ROOT});
  // Without --models: the VOC-like multi-label set's models, the setting the full protocol is for.
  const models = args.models ? all : all.filter((m) => m.dataset === "scenes");
  if (models.length === 0) throw new Error("no model to run: train the scenes models or pass --models");
  const settings = benchSettings({
    quick: args.quick,
    curveSteps: args.curveSteps,
    truth: args.truth,
    ...(args.workers === undefined ? {} : {workers: args.workers}),
    methods
  });
  const backend = await selectNodeBackend(args.backend);
  process.stderr.write(`bench --full: backend ${backend.backend}; models ${models.map((m) => m.name).join(", ")}; ${settings.workers} workers\n`);
  await fullBench(args, models, settings, ROOT);
}

/** Table 1 of the papers on every committed model: quality metrics, speed ratios, claims. */
async function tableSection(args: ReturnType<typeof parseBenchArgs>): Promise<void> {
  const methods = args.methods ?? Object.keys(METHODS);
  for (const name of methods) if (!METHODS[name]) throw new Error(`unknown method "${name}": choose from ${Object.keys(METHODS).join(", ")}`);
  const models = benchModels({modelsDir: args.modelsDir, names: args.models, split: args.split, root: ROOT});
  if (models.length === 0) throw new Error(`no models in ${args.modelsDir} (train one, or pass --models PATH)`);
  const settings = benchSettings({
    quick: args.quick,
    images: args.images,
    pairsImages: args.pairsImages,
    sanityImages: args.sanityImages,
    curveSteps: args.curveSteps,
    truth: args.truth,
    ...(args.workers === undefined ? {} : {workers: args.workers}),
    methods
  });
  const engine = checkedEngineChoice(args.engine);
  const backend = await selectNodeBackend(args.backend);
  const log = stderrProgress();
  log(`backend ${backend.backend} (${backend.provider}), engine ${engine}; models ${models.map((m) => m.name).join(", ")}; methods ${methods.join(", ")}`);
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
  const backendInfo = {name: backend.backend, provider: backend.provider, tfjs: tf.version.tfjs, engine};
  process.stdout.write(`${runHeader({date: new Date().toISOString(), command, machine: machineInfo(), backend: backendInfo, settings})}\n\n`);
  const result = await runBench({
    models,
    settings,
    backend: {name: backend.backend, provider: backend.provider},
    command,
    root: ROOT,
    engine,
    log,
    onModelDone: (model) => {
      process.stdout.write(`${modelReport(model)}\n\n`);
      for (const f of model.failures) process.stdout.write(`FAILED ${model.name} ${f.method} (${f.stage}): ${f.message}\n`);
    }
  });
  if (result.models.length > 1) process.stdout.write(`Paper claims over all models:\n${claimsOverview(result)}\n\n`);
  const files = writeBenchResults(result, resolve(ROOT, args.out));
  process.stdout.write(`total wall time ${result.wallSeconds.toFixed(1)} s; wrote ${files.map((f) => relative(ROOT, f)).join(", ")}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
