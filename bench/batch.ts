/**
 * `npm run bench:batch`: throughput of `saliency batch` — images per minute (each image through
 * every listed method) on one worker and on every core, for each forward engine, from an empty
 * result store each time.
 *   npm run bench:batch -- [--model DIR] [--images N] [--methods a,b] [--engines tfjs,onnx] [--rounds R] [--quick]
 * With ONNX Runtime this is the threads-or-workers question: one process whose session has an
 * intra-op thread per core, against a pool whose workers each have a single-thread session.
 * Configurations run in turn, `--rounds` times (median per configuration), so a change of load
 * hits them alike. Prints a table and saves it as results/bench-batch.txt (results/tmp/ with --quick).
 */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {availableParallelism, loadavg, tmpdir} from "node:os";
import {dirname, join, relative, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {parseArgs} from "node:util";
import {selectNodeBackend} from "../loaders/backend.js";
import {median} from "../loaders/bench/aggregate.js";
import {machineInfo} from "../loaders/bench/machine.js";
import {formatNumber, formatTable} from "../loaders/bench/table.js";
import {listImages} from "../loaders/batch/images.js";
import {runBatch, type BatchItem} from "../loaders/batch/run.js";
import {openModel} from "../loaders/model-files.js";
import {onnxAvailable} from "../loaders/onnx/session.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const {values} = parseArgs({
  options: {
    model: {type: "string"},
    images: {type: "string"},
    methods: {type: "string"},
    engines: {type: "string"},
    rounds: {type: "string"},
    out: {type: "string"},
    quick: {type: "boolean"}
  },
  strict: true
});
const quick = values.quick ?? false;
const modelDir = resolve(ROOT, values.model ?? "data/models/vgg-shapes");
const count = Number(values.images ?? (quick ? 6 : 32));
if (!Number.isInteger(count) || count < 1) throw new Error(`--images must be a positive integer, got "${values.images}"`);
const rounds = Number(values.rounds ?? 1);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a positive integer, got "${values.rounds}"`);
const methods = (values.methods ?? "igcam,sise").split(",");
const engines = (values.engines ?? (onnxAvailable() ? "tfjs,onnx" : "tfjs")).split(",");
for (const engine of engines) if (engine !== "tfjs" && engine !== "onnx") throw new Error(`--engines takes tfjs and onnx, got "${engine}"`);
const cores = availableParallelism();
const backend = await selectNodeBackend("wasm");
const model = await openModel(modelDir);
const images = listImages(join(ROOT, "data", "shapes", "test")).slice(0, count);
const items: BatchItem[] = images.flatMap((image) => methods.map((method) => ({image, method, classRequest: "top" as const})));
const scratch = mkdtempSync(join(tmpdir(), "saliency-bench-batch-"));

const configurations = engines.flatMap((engine) => [...new Set([1, cores])].map((workers) => ({engine, workers, seconds: [] as number[]})));
const loadBefore = loadavg()[0]!;
for (let round = 0; round < rounds; round++) {
  for (const configuration of configurations) {
    const {engine, workers} = configuration;
    const out = join(scratch, `${engine}-${workers}-${round}`);
    process.stderr.write(`round ${round + 1}/${rounds}: ${engine}, ${workers} worker(s): ${items.length} items (load ${loadavg()[0]!.toFixed(1)})…\n`);
    const start = performance.now();
    const result = await runBatch({model, poolModel: modelDir, items, out, workers, backend: "wasm", engine});
    configuration.seconds.push((performance.now() - start) / 1000);
    if (result.computed !== items.length)
      throw new Error(`expected ${items.length} computed results, got ${result.computed} (${result.failures[0]?.message ?? ""})`);
    rmSync(out, {recursive: true, force: true});
  }
}
model.dispose();
rmSync(scratch, {recursive: true, force: true});

const perMinute = (seconds: number) => (60 * images.length) / seconds;
const baseline = perMinute(median(configurations[0]!.seconds));
const sessionThreads = (engine: string, workers: number) => (engine === "onnx" ? String(Math.max(1, Math.floor(cores / workers))) : "-");
const rows = configurations.map(({engine, workers, seconds}) => {
  const mid = median(seconds);
  return [
    engine,
    String(workers),
    sessionThreads(engine, workers),
    String(items.length),
    seconds.map((s) => formatNumber(s, 1)).join(" / "),
    formatNumber(perMinute(mid), 1),
    formatNumber(perMinute(mid) / baseline, 2)
  ];
});
const onnx = configurations.filter((c) => c.engine === "onnx");
const verdict =
  onnx.length === 2
    ? (() => {
        const [one, pool] = onnx.map((c) => median(c.seconds));
        const faster = one! <= pool! ? `one process with a ${cores}-thread session` : `${cores} workers with a single-thread session each`;
        return `ONNX Runtime: one process with a ${cores}-thread session ${formatNumber(perMinute(one!), 1)} images/minute, ${cores} workers x 1 thread ${formatNumber(perMinute(pool!), 1)}: ${faster} is faster (${formatNumber(Math.max(one!, pool!) / Math.min(one!, pool!), 2)}x)`;
      })()
    : "";

const m = machineInfo();
const report = [
  `# npm run bench:batch${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""} (${new Date().toISOString()})`,
  `machine: ${m.cpu}, ${m.cores} cores, node ${m.node}; backend ${backend.backend} (pool workers: wasm)`,
  `model ${relative(ROOT, modelDir)}; ${images.length} images of data/shapes/test × methods ${methods.join(", ")} (default options), class: top prediction;`,
  `wall time from an empty result store (pool and session start-up included); workers each explain whole images; engine: where the`,
  `forward-only passes (masked inputs) run — gradients are on tfjs wasm either way; ${rounds} round(s), configurations in turn, median`,
  `1-minute load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after (above ${cores}: other processes shared the cores, and the speed-ups understate the pool's)`,
  "",
  formatTable(["engine", "workers", "ORT threads / session", "results", "seconds (each round)", "images / minute", "speed-up"], rows),
  ...(verdict ? ["", verdict] : [])
].join("\n");
process.stdout.write(`${report}\n`);
const saveAs = values.out ? resolve(values.out) : join(ROOT, quick ? "results/tmp" : "results", "bench-batch.txt");
mkdirSync(dirname(saveAs), {recursive: true});
writeFileSync(saveAs, `${report}\n`);
process.stderr.write(`wrote ${relative(ROOT, saveAs)}\n`);
