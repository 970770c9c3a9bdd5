/**
 * `npm run bench:batch`: throughput of `saliency batch` — images per minute (each image through
 * every listed method) on one worker and on every core, from an empty result store each time.
 *   npm run bench:batch -- [--model DIR] [--images N] [--methods a,b] [--quick]
 * Prints a table and saves it as results/bench-batch.txt (results/tmp/ with --quick).
 */
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from "node:fs";
import {availableParallelism, loadavg, tmpdir} from "node:os";
import {dirname, join, relative, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {parseArgs} from "node:util";
import {selectNodeBackend} from "../loaders/backend.js";
import {machineInfo} from "../loaders/bench/machine.js";
import {formatNumber, formatTable} from "../loaders/bench/table.js";
import {listImages} from "../loaders/batch/images.js";
import {runBatch, type BatchItem} from "../loaders/batch/run.js";
import {openModel} from "../loaders/model-files.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const {values} = parseArgs({
  options: {model: {type: "string"}, images: {type: "string"}, methods: {type: "string"}, quick: {type: "boolean"}},
  strict: true
});
const quick = values.quick ?? false;
const modelDir = resolve(ROOT, values.model ?? "data/models/vgg-shapes");
const count = Number(values.images ?? (quick ? 6 : 32));
if (!Number.isInteger(count) || count < 1) throw new Error(`--images must be a positive integer, got "${values.images}"`);
const methods = (values.methods ?? "igcam,sise").split(",");
const cores = availableParallelism();
const backend = await selectNodeBackend("wasm");
const model = await openModel(modelDir);
const images = listImages(join(ROOT, "data", "shapes", "test")).slice(0, count);
const items: BatchItem[] = images.flatMap((image) => methods.map((method) => ({image, method, classRequest: "top" as const})));
const scratch = mkdtempSync(join(tmpdir(), "saliency-bench-batch-"));

const loadBefore = loadavg()[0]!;
const rows: string[][] = [];
let single = 0;
for (const workers of [...new Set([1, cores])]) {
  const out = join(scratch, `workers-${workers}`);
  process.stderr.write(`${workers} worker(s): ${items.length} items…\n`);
  const start = performance.now();
  const result = await runBatch({model, poolModel: modelDir, items, out, workers, backend: "wasm"});
  const seconds = (performance.now() - start) / 1000;
  if (result.computed !== items.length)
    throw new Error(`expected ${items.length} computed results, got ${result.computed} (${result.failures[0]?.message ?? ""})`);
  const perMinute = (60 * images.length) / seconds;
  if (workers === 1) single = perMinute;
  rows.push([String(workers), String(items.length), formatNumber(seconds, 1), formatNumber(perMinute, 1), formatNumber(perMinute / single, 2)]);
  rmSync(out, {recursive: true, force: true});
}
model.dispose();
rmSync(scratch, {recursive: true, force: true});

const m = machineInfo();
const report = [
  `# npm run bench:batch${quick ? " -- --quick" : ""} (${new Date().toISOString()})`,
  `machine: ${m.cpu}, ${m.cores} cores, node ${m.node}; backend ${backend.backend} (pool workers: wasm)`,
  `model ${relative(ROOT, modelDir)}; ${images.length} images of data/shapes/test × methods ${methods.join(", ")} (default options), class: top prediction;`,
  `wall time from an empty result store (pool start-up included); workers each explain whole images`,
  `1-minute load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after (above ${cores}: other processes shared the cores, and the speed-up understates the pool's)`,
  "",
  formatTable(["workers", "results", "seconds", "images / minute", "speed-up"], rows)
].join("\n");
process.stdout.write(`${report}\n`);
const saveAs = join(ROOT, quick ? "results/tmp" : "results", "bench-batch.txt");
mkdirSync(dirname(saveAs), {recursive: true});
writeFileSync(saveAs, `${report}\n`);
process.stderr.write(`wrote ${relative(ROOT, saveAs)}\n`);
