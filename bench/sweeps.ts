// `npm run bench:sweeps -- [--models a,b] [--images N] [--workers N] [--engine auto|onnx|tfjs] [--quick] [--out DIR] [--store DIR]`
// The papers' parameter sweeps (loaders/bench/sweeps.ts) on the first N images' (image, present
// class) pairs of each model's test split (default: the scenes models, 40 images): SISE μ with
// Ada-SISE beside it, Integrated Grad-CAM path steps m, RISE mask count N — every figure with its
// 95% interval, seconds per image included. Resumable (maps go to the result store; rerun the same
// command). Writes bench-sweeps.txt and bench-sweeps.csv under --out (default results/; --quick:
// results/tmp/, a few images and short value lists).
import {mkdirSync} from "node:fs";
import {availableParallelism} from "node:os";
import {relative, resolve} from "node:path";
import {parseArgs} from "node:util";
import {writeFileAtomic} from "../loaders/atomic-write.js";
import {selectNodeBackend} from "../loaders/backend.js";
import {toCsv} from "../loaders/bench/csv.js";
import {machineInfo} from "../loaders/bench/machine.js";
import {benchModels} from "../loaders/bench/models.js";
import {PAPER_SWEEPS, runSweeps, SWEEP_METRICS, type SweepPoint, type SweepSpec} from "../loaders/bench/sweeps.js";
import {metricRows} from "../loaders/bench/report.js";
import {formatNumber, formatTable} from "../loaders/bench/table.js";
import {ProgressBar} from "../loaders/cli/progress.js";
import {interruptSignal} from "../loaders/cli/interrupt.js";
import {openModel} from "../loaders/model-files.js";
import {checkedEngineChoice} from "../loaders/onnx/run-engine.js";

const ROOT = resolve(import.meta.dirname, "..");

const {values} = parseArgs({
  args: process.argv.slice(2),
  options: {
    models: {type: "string"},
    images: {type: "string"},
    workers: {type: "string"},
    out: {type: "string"},
    store: {type: "string"},
    engine: {type: "string"},
    quick: {type: "boolean"}
  }
});
const quick = values.quick ?? false;
const images = Number(values.images ?? (quick ? 3 : 40));
const workers = Number(values.workers ?? availableParallelism());
if (!Number.isInteger(images) || images < 1) throw new Error(`--images must be a positive integer, got ${values.images}`);
if (!Number.isInteger(workers) || workers < 1) throw new Error(`--workers must be a positive integer, got ${values.workers}`);
const out = resolve(ROOT, values.out ?? (quick ? "results/tmp" : "results"));
const store = resolve(ROOT, values.store ?? "results/tmp/full-store");
const engine = checkedEngineChoice(values.engine);

/** --quick: the first two values of each sweep, cheap ones. */
const sweeps: SweepSpec[] = quick ? PAPER_SWEEPS.map((s) => ({...s, values: s.method === "rise" ? [100, 200] : s.values.slice(0, 2)})) : [...PAPER_SWEEPS];

const labels = new Map(metricRows({pointingTolerance: Number.NaN, truth: "box"}).map((row) => [row.key, row]));

function sweepTable(points: readonly SweepPoint[]): string {
  const header = ["setting", ...SWEEP_METRICS.map((k) => labels.get(k)?.label.replace(/ \(.*?\)/, "") ?? k), "pairs"];
  const body = points.map((p) => [
    p.param ? `${p.method} ${p.param} = ${p.value}` : `${p.method} (defaults)`,
    ...SWEEP_METRICS.map((k) => {
      const digits = labels.get(k)?.digits ?? 2;
      return `${formatNumber(p.result.metrics[k], digits)} ± ${formatNumber(p.result.intervals[k], digits)}`;
    }),
    String(p.result.rows)
  ]);
  return formatTable(header, body);
}

async function main(): Promise<void> {
  const backend = await selectNodeBackend("auto");
  const all = benchModels({modelsDir: "data/models", names: values.models ? values.models.split(",") : null, split: null, root: ROOT});
  const specs = values.models ? all : all.filter((m) => m.dataset === "scenes");
  if (specs.length === 0) throw new Error("no model to sweep: train the scenes models or pass --models");
  const interrupt = interruptSignal((name) => process.stderr.write(`\n${name}: stopping; finished maps are kept (rerun to resume)\n`));
  const lines = [
    `# npm run bench:sweeps -- ${process.argv.slice(2).join(" ")} (${new Date().toISOString()}; ${machineInfo().cpu}, ${machineInfo().cores} cores; ${backend.backend}, engine ${engine}, ${workers} workers)`,
    `First ${images} images of each split, every (image, present class) pair; ± is the 95% interval over the pairs.`,
    ""
  ];
  const csvRows: Record<string, unknown>[] = [];
  try {
    for (const spec of specs) {
      const model = await openModel(spec.directory);
      const bar = new ProgressBar({label: spec.name});
      try {
        const points = await runSweeps({
          model,
          spec,
          sweeps,
          images,
          storeDirectory: store,
          workers,
          engine,
          signal: interrupt.signal,
          onProgress: (label, p) => bar.update(p.done, p.total, p.reused, label)
        });
        bar.finish();
        lines.push(`=== ${spec.name} (${relative(ROOT, spec.splitDirectory)}) ===`);
        for (const sweep of sweeps) {
          const own = points.filter((p) => p.sweep === sweep.id);
          if (sweep.id === "adasise") continue; // shown inside SISE's table
          const shown = sweep.id === "sise-mu" ? [...own, ...points.filter((p) => p.sweep === "adasise")] : own;
          lines.push("", sweep.title + (sweep.id === "sise-mu" ? " (Ada-SISE beside it)" : ""), sweepTable(shown));
        }
        lines.push("");
        for (const p of points) {
          for (const k of SWEEP_METRICS) {
            csvRows.push({
              model: spec.name,
              sweep: p.sweep,
              method: p.method,
              param: p.param ?? "",
              value: p.value ?? "",
              metric: k,
              mean: p.result.metrics[k],
              ci95: p.result.intervals[k],
              pairs: p.result.rows
            });
          }
        }
      } finally {
        model.dispose();
      }
    }
  } finally {
    interrupt.release();
  }
  const report = lines.join("\n");
  process.stdout.write(`${report}\n`);
  mkdirSync(out, {recursive: true});
  writeFileAtomic(resolve(out, "bench-sweeps.txt"), `${report}\n`);
  writeFileAtomic(resolve(out, "bench-sweeps.csv"), toCsv(["model", "sweep", "method", "param", "value", "metric", "mean", "ci95", "pairs"], csvRows));
  process.stdout.write(`wrote ${relative(ROOT, resolve(out, "bench-sweeps.txt"))}, ${relative(ROOT, resolve(out, "bench-sweeps.csv"))}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:sweeps: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
