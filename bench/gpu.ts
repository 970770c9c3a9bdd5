/**
 * `npm run bench:gpu`: WebGPU (Dawn, through Vulkan) against wasm on the same methods and models,
 * in one process. Prints the adapter first, then a table: method, model, WebGPU ms, wasm ms, and
 * wasm ÷ WebGPU (above 1: the GPU is faster), with the largest per-pixel difference between the
 * two maps as a correctness check.
 *
 *   npx tsx bench/gpu.ts [--quick [--paper]] [--require-hardware] [--models-dir data/models] [--no-paper]
 *                        [--methods gradcam,igcam,sise,adasise] [--reps 3] [--budget-s 270] [--json FILE]
 *
 * Workloads: every trained model in data/models/<name>/ (model.json + card.json) at its own input
 * size, and ResNet-50 at 224² with seeded random weights (loaders/models/paper-scale.ts). Each
 * backend builds or loads its own copy of every model: moving weights between backends would
 * need a synchronous GPU read, which tfjs-webgpu cannot do in Node.
 *
 * WebGPU is forced: on a machine without a GPU it runs on SwiftShader (a CPU Vulkan driver), which
 * is useful only to check that the script works (`--quick` keeps that short). `--require-hardware`
 * (bench/gpu-check.sh passes it) stops with an error instead of timing a software adapter.
 *
 * Time: all WebGPU cells run first (an untimed first run compiles the pipelines, then `--reps`
 * timed runs, median). Then the wasm cells; a wasm cell whose estimate (from the same model's
 * Grad-CAM and forward-pass times and the passes the method made) would cross `--budget-s` is
 * skipped and marked, and slow wasm cells are timed once, so a run stays under 5 minutes on a GPU
 * machine, where wasm on ResNet-50 at 224² is the slow part.
 */
import * as tf from "@tensorflow/tfjs";
import {existsSync, mkdirSync, readdirSync, writeFileSync} from "node:fs";
import {cpus} from "node:os";
import {dirname, join, resolve} from "node:path";
import {releaseWebGpu, selectNodeBackend, type BackendChoice} from "../loaders/backend.js";
import {openModel} from "../loaders/model-files.js";
import {buildResnet50} from "../loaders/models/paper-scale.js";
import {buildResnet} from "../loaders/models/resnet.js";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {getMethod} from "../src/lib/methods/registry.js";
import type {Explanation, RgbImage} from "../src/lib/explain/types.js";
import {median} from "../loaders/bench/aggregate.js";
import {benchMethodOptions} from "../loaders/bench/settings.js";

const USAGE =
  "usage: npx tsx bench/gpu.ts [--quick] [--require-hardware] [--models-dir DIR] [--no-paper] " +
  "[--paper] [--methods gradcam,igcam,sise,adasise] [--reps N] [--budget-s S] [--json FILE]";

interface BenchArgs {
  quick: boolean;
  requireHardware: boolean;
  modelsDir: string;
  paper: boolean;
  /** --paper: ResNet-50 in a quick run too. */
  paperInQuick: boolean;
  methods: string[];
  reps: number;
  budgetS: number;
  json: string | null;
}

function parseArgs(argv: string[]): BenchArgs {
  const args: BenchArgs = {
    quick: false,
    requireHardware: false,
    modelsDir: "data/models",
    paper: true,
    paperInQuick: false,
    methods: ["gradcam", "igcam", "sise", "adasise"],
    reps: 3,
    budgetS: 270,
    json: null
  };
  let repsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      return next;
    };
    const positive = (text: string): number => {
      const n = Number(text);
      if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number, got "${text}"`);
      return n;
    };
    if (flag === "--quick") args.quick = true;
    else if (flag === "--require-hardware") args.requireHardware = true;
    else if (flag === "--no-paper") args.paper = false;
    else if (flag === "--paper") args.paperInQuick = true;
    else if (flag === "--models-dir") args.modelsDir = value();
    else if (flag === "--methods") args.methods = value().split(",").filter(Boolean);
    else if (flag === "--reps") ((args.reps = Math.round(positive(value()))), (repsGiven = true));
    else if (flag === "--budget-s") args.budgetS = positive(value());
    else if (flag === "--json") args.json = value();
    else if (flag === "--help" || flag === "-h") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown option "${flag}"\n${USAGE}`);
  }
  if (args.quick && !repsGiven) args.reps = 1;
  for (const name of args.methods) getMethod(name); // unknown names fail now, with the list
  return args;
}

/** One model as each backend builds it: a fresh copy per backend (see the header). */
interface Workload {
  label: string;
  build(): Promise<ExplainableModel>;
}

function projectWorkloads(modelsDir: string): Workload[] {
  if (!existsSync(modelsDir)) return [];
  return readdirSync(modelsDir, {withFileTypes: true})
    .filter((entry) => entry.isDirectory() && existsSync(join(modelsDir, entry.name, "model.json")))
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({label: name, build: () => openModel(join(modelsDir, name))}));
}

function paperWorkload(quick: boolean): Workload {
  // Quick runs (SwiftShader on a CPU) shrink the input: same graph, a sixteenth of the pixels.
  const size = quick ? 56 : 224;
  return {
    label: `resnet50-${size}`,
    build: async () => new ExplainableModel(buildResnet50({inputSize: size, seed: 50}), {name: `ResNet-50 ${size}² (seeded random weights)`})
  };
}

/** The project's ResNet architecture, untrained, at 32²: a quick run's model when none is trained yet. */
function standInWorkload(): Workload {
  return {
    label: "resnet-small-32 (untrained)",
    build: async () => new ExplainableModel(buildResnet({classes: 5, inputSize: 32, seed: 7}), {name: "project ResNet, seeded, 32²"})
  };
}

/**
 * Full runs: every trained model and ResNet-50 at 224². Quick runs exist to check the script on
 * SwiftShader, where compiling ResNet-50's pipelines alone takes minutes: one small model (the
 * first trained one, else an untrained stand-in), and ResNet-50 at 56² only with --paper.
 */
function chooseWorkloads(args: BenchArgs): Workload[] {
  const trained = projectWorkloads(args.modelsDir);
  if (!args.quick) return [...trained, ...(args.paper ? [paperWorkload(false)] : [])];
  return [trained[0] ?? standInWorkload(), ...(args.paperInQuick ? [paperWorkload(true)] : [])];
}

/**
 * What only this comparison needs on top of the methods' own settings, for 224² inputs: batches
 * as large as the wasm backend's heap (2 GB usable) safely holds on ResNet-50, above the engine's
 * memory-based default there (1 backward, 3 forward), so that the GPU gets batches worth timing;
 * and SISE's per-layer mask cap, which keeps the wasm side within the time budget.
 */
const LARGE_INPUT_OPTIONS: Record<string, Record<string, unknown>> = {
  igcam: {batchSize: 2},
  ig: {batchSize: 2},
  rise: {batchSize: 4},
  sise: {maxMasks: 16, batchSize: 4},
  adasise: {maxMasks: 16, batchSize: 4}
};

/**
 * A method's settings: the main bench's (each parameter's declared quick value with --quick, see
 * loaders/bench/settings.ts), plus the large-input ones above. Both backends get exactly the same
 * settings, so the ratio compares equal work.
 */
function methodOptions(method: string, model: ExplainableModel, quick: boolean): Record<string, unknown> {
  const large = model.inputHeight * model.inputWidth >= 160 * 160;
  return {...benchMethodOptions(quick)[method], ...(large ? LARGE_INPUT_OPTIONS[method] : {})};
}

function benchImage(model: ExplainableModel): RgbImage {
  // Deterministic smooth image (gradients plus a bright square): real-looking activations, same on both backends.
  const {inputWidth: width, inputHeight: height} = model;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inSquare = x > width / 3 && x < (2 * width) / 3 && y > height / 4 && y < height / 2;
      const i = (y * width + x) * 3;
      rgb[i] = inSquare ? 240 : Math.round((255 * x) / width);
      rgb[i + 1] = inSquare ? 220 : Math.round((255 * y) / height);
      rgb[i + 2] = inSquare ? 40 : 128;
    }
  }
  return {width, height, rgb};
}

interface Timing {
  ms: number | null;
  runs: number;
  note?: string;
  passes?: {forward: number; backward: number};
  map?: Float32Array;
}

interface Row {
  method: string;
  model: string;
  input: string;
  settings: Record<string, unknown>;
  webgpu: Timing;
  wasm: Timing;
  maxDiff: number | null;
}

/**
 * Median ms of `reps` timed runs after one untimed first run (pipeline compilation on WebGPU,
 * first-touch allocation on wasm). When the first run alone shows that repeating would cost more
 * than `repeatBudgetMs`, the first run is the measurement (a slow cell is accurate enough once).
 */
async function timeMethod(model: ExplainableModel, method: string, options: Record<string, unknown>, reps: number, repeatBudgetMs: number): Promise<Timing> {
  const explain = getMethod(method);
  const image = benchImage(model);
  let start = performance.now();
  const first = await explain.explain(model, image, options); // ends in an async read: the device has finished
  const firstMs = performance.now() - start;
  if (firstMs * reps > repeatBudgetMs) return {ms: firstMs, runs: 1, passes: first.passes, map: first.map.data, note: "single run"};
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    start = performance.now();
    await explain.explain(model, image, options);
    times.push(performance.now() - start);
  }
  return {ms: median(times), runs: reps, passes: first.passes, map: first.map.data};
}

/** Median ms of one forward pass at batch 1 (after a warm-up): with Grad-CAM's time it prices every method. */
async function timeForwardPass(model: ExplainableModel): Promise<number> {
  const image = benchImage(model);
  const pixels = tf.tensor4d(Float32Array.from(image.rgb), [1, image.height, image.width, 3]);
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const start = performance.now();
    const logits = model.logits(pixels);
    await logits.data();
    logits.dispose();
    if (r > 0) times.push(performance.now() - start);
  }
  pixels.dispose();
  return median(times);
}

/** Expected ms of a method from its passes: a backward pass costs Grad-CAM minus a forward pass. */
function estimateMs(costs: {gradcamMs: number; forwardMs: number}, passes: {forward: number; backward: number}): number {
  const backwardMs = Math.max(0, costs.gradcamMs - costs.forwardMs);
  return passes.forward * costs.forwardMs + passes.backward * backwardMs;
}

function formatMs(timing: Timing): string {
  if (timing.ms === null) return timing.note ?? "—";
  const ms = timing.ms >= 100 ? timing.ms.toFixed(0) : timing.ms.toFixed(1);
  return timing.note === "single run" ? `${ms} (1 run)` : ms;
}

function formatRatio(ratio: number): string {
  return `${ratio >= 10 ? ratio.toFixed(0) : ratio.toPrecision(2)}×`;
}

function printTable(rows: Row[]): void {
  const header = ["method", "model", "input", "webgpu ms", "wasm ms", "wasm÷webgpu", "max|Δmap|", "settings"];
  const lines = rows.map((row) => [
    row.method,
    row.model,
    row.input,
    formatMs(row.webgpu),
    formatMs(row.wasm),
    row.webgpu.ms && row.wasm.ms ? formatRatio(row.wasm.ms / row.webgpu.ms) : "—",
    row.maxDiff === null ? "—" : row.maxDiff.toExponential(1),
    Object.entries(row.settings)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((line) => line[c]!.length)));
  const format = (cells: string[]) =>
    cells
      .map((cell, c) => (c >= 3 && c <= 6 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join("  ")
      .trimEnd();
  process.stdout.write(`${format(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n`);
  for (const line of lines) process.stdout.write(`${format(line)}\n`);
}

function describeBackend(choice: BackendChoice): string {
  const adapter = choice.adapter ? ` on ${choice.adapter.summary}` : "";
  return `${choice.backend} (${choice.provider})${adapter}`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const startedAt = performance.now();
  const elapsedS = () => (performance.now() - startedAt) / 1000;
  const log = (line: string) => process.stderr.write(`[${elapsedS().toFixed(0).padStart(4)} s] ${line}\n`);

  process.stdout.write(`node ${process.version}, ${process.platform}-${process.arch}, ${cpus().length} CPUs (${cpus()[0]?.model.trim() ?? "?"})\n`);
  let gpu: BackendChoice;
  try {
    gpu = await selectNodeBackend("webgpu");
  } catch (error) {
    process.stdout.write(`WebGPU: NOT AVAILABLE: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const adapter = gpu.adapter!;
  process.stdout.write(`WebGPU adapter: ${adapter.summary}\n`);
  process.stdout.write(`  vendor=${adapter.vendor} architecture=${adapter.architecture} device=${adapter.device} description=${adapter.description}\n`);
  for (const note of gpu.notes) process.stdout.write(`  env: ${note}\n`);
  if (adapter.software) {
    if (args.requireHardware) {
      process.stdout.write("ERROR: the WebGPU adapter is a software rasteriser, not a GPU (--require-hardware): no GPU numbers\n");
      process.exitCode = 3;
      releaseWebGpu();
      return;
    }
    process.stdout.write("WARNING: software adapter: the WebGPU column measures a CPU Vulkan driver, not a GPU\n");
  }

  const workloads = chooseWorkloads(args);
  if (workloads.length === 0) throw new Error(`no models: none in ${args.modelsDir} and --no-paper given`);
  process.stdout.write(
    `models: ${workloads.map((w) => w.label).join(", ")}; methods: ${args.methods.join(", ")}; reps ${args.reps}; wasm budget ${args.budgetS} s\n`
  );

  const rows: Row[] = [];
  const budgetMs = args.budgetS * 1000;
  const remainingMs = () => budgetMs - (performance.now() - startedAt);
  // Phase 1: WebGPU. Every cell's first run compiles its pipelines and is not timed.
  for (const workload of workloads) {
    const model = await workload.build();
    for (const method of args.methods) {
      const settings = methodOptions(method, model, args.quick);
      const row: Row = {
        method,
        model: workload.label,
        input: `${model.inputHeight}²`,
        settings,
        webgpu: {ms: null, runs: 0},
        wasm: {ms: null, runs: 0},
        maxDiff: null
      };
      rows.push(row);
      if (remainingMs() <= 0) {
        row.webgpu.note = "skipped (budget)";
        continue;
      }
      log(`webgpu ${method} on ${workload.label}`);
      try {
        row.webgpu = await timeMethod(model, method, settings, args.reps, Infinity);
      } catch (error) {
        row.webgpu = {ms: null, runs: 0, note: `error: ${firstLine(error)}`};
      }
    }
    disposeModel(model);
  }

  // Phase 2: wasm, the same cells in the same order. Grad-CAM and one forward pass price the
  // other methods (from the passes each made on WebGPU); a cell that would overrun the budget is skipped.
  const cpu = await selectNodeBackend("wasm");
  log(`now ${describeBackend(cpu)}`);
  for (const workload of workloads) {
    const model = await workload.build();
    const cells = rows.filter((row) => row.model === workload.label);
    cells.sort((a, b) => Number(b.method === "gradcam") - Number(a.method === "gradcam"));
    let costs: {gradcamMs: number; forwardMs: number} | null = null;
    for (const row of cells) {
      const estimate = costs && row.webgpu.passes ? estimateMs(costs, row.webgpu.passes) : null;
      if (remainingMs() <= 0 || (estimate !== null && estimate > remainingMs())) {
        row.wasm = {ms: null, runs: 0, note: `skipped (est. ${estimate === null ? "?" : (estimate / 1000).toFixed(0)} s > budget)`};
        continue;
      }
      log(`wasm ${row.method} on ${workload.label}${estimate !== null ? ` (est. ${(estimate / 1000).toFixed(1)} s)` : ""}`);
      try {
        row.wasm = await timeMethod(model, row.method, row.settings, args.reps, Math.min(remainingMs() / 8, 15_000));
      } catch (error) {
        row.wasm = {ms: null, runs: 0, note: `error: ${firstLine(error)}`};
      }
      if (row.method === "gradcam" && row.wasm.ms !== null) costs = {gradcamMs: row.wasm.ms, forwardMs: await timeForwardPass(model)};
      if (row.webgpu.map && row.wasm.map) row.maxDiff = maxAbsDifference(row.webgpu.map, row.wasm.map);
    }
    disposeModel(model);
  }

  process.stdout.write(
    `\nWebGPU: ${adapter.summary}; wasm: ${cpu.provider} (one thread). Times: median ms per explanation after an untimed first run ("1 run": the first run itself, for slow cells).\n`
  );
  printTable(rows);
  if (rows.some((row) => row.maxDiff !== null && row.maxDiff > 1e-3)) {
    process.stdout.write(
      "note: max|Δmap| above 1e-3: float32 rounding alone stays under 1e-5. Known cause: on a ReLU followed by max pooling,\n" +
        "  all-zero windows make tfjs-backend-wasm 4.22's MaxPoolGrad drop gradient (test/webgpu-node.test.ts); tied maxima also\n" +
        "  route the gradient to different inputs per backend, and SISE's gates can flip on near-zero α.\n"
    );
  }
  process.stdout.write(`total ${elapsedS().toFixed(0)} s\n`);
  if (args.json) {
    mkdirSync(dirname(resolve(args.json)), {recursive: true});
    const plain = rows.map(({webgpu, wasm, ...rest}) => ({...rest, webgpu: stripMap(webgpu), wasm: stripMap(wasm)}));
    writeFileSync(args.json, `${JSON.stringify({adapter, notes: gpu.notes, node: process.version, quick: args.quick, rows: plain}, null, 1)}\n`);
  }
  releaseWebGpu();
}

function stripMap({map: _map, ...rest}: Timing): Omit<Timing, "map"> {
  return rest;
}

function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

function disposeModel(model: ExplainableModel): void {
  (model.model as tf.LayersModel | tf.GraphModel).dispose();
}

/** Errors from the wasm glue can carry megabytes of minified source: keep one short line. */
function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error)
    .split("\n")[0]!
    .slice(0, 160);
}

main().catch((error) => {
  process.stderr.write(`bench:gpu failed: ${firstLine(error)}\n`);
  process.exitCode = 1;
});
