// `npm run bench:pool`: one worker against a pool of workers, side by side in one run.
//   npx tsx bench/pool.ts [--workers N] [--repeats R] [--model DIR] [--quick] [--no-train]
//
// Scenarios (each measured with a 1-worker pool and an N-worker pool, interleaved, R rounds,
// median rate reported):
//   - "one image": a single SISE / RISE explanation whose mask batches are spread over the
//     workers through `executor: pool` (masks/s); the map must be identical for 1 and N workers;
//   - "whole images": several images, each explained entirely inside one worker (images/s);
//   - "train step" (unless --no-train): one data-parallel training step, the batch split over
//     the workers, gradients all-reduced in shared memory, Adam in every worker (samples/s); see
//     loaders/train/data-parallel.ts; beside it the ceiling: N separate one-worker trainers on N
//     parts of the batch at once, nothing shared (what the machine gives N threads right now).
// The machine may be shared: each row shows the load average around it, and CPU time (all
// threads of this process) against wall time, i.e. how many cores the run actually got.

import {existsSync, readdirSync} from "node:fs";
import {availableParallelism, cpus, loadavg} from "node:os";
import {join} from "node:path";
import {selectNodeBackend} from "../loaders/backend.js";
import {median} from "../loaders/bench/aggregate.js";
import {getDataset} from "../loaders/datasets/index.js";
import {openModel} from "../loaders/model-files.js";
import {buildVgg} from "../loaders/models/vgg.js";
import {DataParallelTrainer, splitEvenly} from "../loaders/train/data-parallel.js";
import {samplesToBatch} from "../loaders/train/batch.js";
import {explainImagesOnPool} from "../loaders/pool/explain-images.js";
import {WorkerPool, type PoolModel} from "../loaders/pool/pool.js";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {rise} from "../src/lib/methods/rise.js";
import {sise} from "../src/lib/methods/sise.js";
import type {Explanation, RgbImage} from "../src/lib/explain/types.js";

const argv = process.argv.slice(2);
const flag = (name: string) => argv.includes(name);
const value = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const quick = flag("--quick");
const workers = value("--workers", availableParallelism());
const repeats = value("--repeats", quick ? 1 : 3);
const modelArg = argv.includes("--model") ? argv[argv.indexOf("--model") + 1]! : undefined;

interface Measure {
  wallMs: number;
  cpuMs: number;
  load: number;
  work: number;
  /** Share of the wall time the pool's workers had a request outstanding (1 = never idle). */
  occupancy: number;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

/** Wall and CPU time (every thread of the process: worker threads included) of `run`, with the 1-minute load average. */
async function measure(busy: () => number[], run: () => Promise<number>): Promise<Measure> {
  const busy0 = busy();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const work = await run();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const busy1 = busy();
  const occupancy = (sum(busy1) - sum(busy0)) / (busy1.length * wallMs);
  return {wallMs, cpuMs: (cpu.user + cpu.system) / 1000, load: loadavg()[0]!, work, occupancy};
}

interface Row {
  scenario: string;
  unit: string;
  one: Measure[];
  many: Measure[];
  note?: string;
}

/** Rounds alternate 1 worker / N workers so that load changes on a shared machine hit both. */
type Side = {busy: () => number[]; run: () => Promise<number>};

async function compare(scenario: string, unit: string, one: Side, many: Side): Promise<Row> {
  const row: Row = {scenario, unit, one: [], many: []};
  await one.run(); // warm-up: first-call kernel setup in the workers
  await many.run();
  for (let r = 0; r < repeats; r++) {
    row.one.push(await measure(one.busy, one.run));
    row.many.push(await measure(many.busy, many.run));
    process.stderr.write(`  ${scenario}: round ${r + 1}/${repeats}\n`);
  }
  return row;
}

function rate(ms: Measure[]): number {
  return median(ms.map((m) => (m.work / m.wallMs) * 1000));
}

function printTable(rows: Row[]): void {
  const head = [
    "scenario",
    "unit",
    "1 worker",
    `${workers} workers`,
    "speed-up",
    "cores used 1 / N",
    "worker occupancy 1 / N",
    "CPU ms per unit 1 / N",
    "load avg"
  ];
  const lines = rows.map((row) => {
    const [r1, rn] = [rate(row.one), rate(row.many)];
    const cores = (ms: Measure[]) => median(ms.map((m) => m.cpuMs / m.wallMs)).toFixed(2);
    const occupied = (ms: Measure[]) => `${Math.round(median(ms.map((m) => m.occupancy)) * 100)}%`;
    const perUnit = (ms: Measure[]) => median(ms.map((m) => m.cpuMs / m.work)).toFixed(1);
    const loads = [...row.one, ...row.many].map((m) => m.load);
    return [
      row.scenario + (row.note ? ` (${row.note})` : ""),
      row.unit,
      r1.toFixed(1),
      rn.toFixed(1),
      `${(rn / r1).toFixed(2)}x`,
      `${cores(row.one)} / ${cores(row.many)}`,
      `${occupied(row.one)} / ${occupied(row.many)}`,
      `${perUnit(row.one)} / ${perUnit(row.many)}`,
      `${Math.min(...loads).toFixed(1)}-${Math.max(...loads).toFixed(1)}`
    ];
  });
  const all = [head, ...lines];
  const widths = head.map((_, c) => Math.max(...all.map((l) => l[c]!.length)));
  const fmt = (l: string[]) => `| ${l.map((cell, c) => cell.padEnd(widths[c]!)).join(" | ")} |`;
  console.log(fmt(head));
  console.log(`| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`);
  for (const l of lines) console.log(fmt(l));
}

/** A committed model (data/models/<name>/model.json) if there is one, else a seeded VGG at 64². */
async function benchModel(): Promise<{model: ExplainableModel; poolModel: PoolModel; label: string}> {
  const dir = "data/models";
  // VGG first (the architecture SISE's layer rule is stated for), then any other finished model.
  const names = existsSync(dir) ? readdirSync(dir).sort((a, b) => Number(b.startsWith("vgg")) - Number(a.startsWith("vgg")) || a.localeCompare(b)) : [];
  const committed = modelArg ?? names.map((n) => join(dir, n)).find((d) => existsSync(join(d, "model.json")));
  if (committed) {
    const model = await openModel(committed);
    return {model, poolModel: committed, label: `${committed} (${model.meta.name})`};
  }
  const classes = getDataset("shapes").classes.length;
  const model = new ExplainableModel(buildVgg({classes, seed: 1}), {name: "seeded VGG 64x64 (buildVgg, seed 1)"});
  return {model, poolModel: model, label: model.meta.name};
}

function sameMap(a: Explanation, b: Explanation): boolean {
  return a.map.data.length === b.map.data.length && a.map.data.every((v, i) => v === b.map.data[i]);
}

async function main(): Promise<void> {
  const backend = await selectNodeBackend("wasm");
  const {model, poolModel, label} = await benchModel();
  const dataset = getDataset("shapes", {width: model.inputWidth, height: model.inputHeight});
  const images: RgbImage[] = Array.from({length: quick ? 2 : 4}, (_, i) => dataset.sample(i, 9001));
  console.log(`# worker pool bench`);
  console.log(`model: ${label}, input ${model.inputWidth}x${model.inputHeight}; backend in every worker: wasm (main thread: ${backend.backend})`);
  console.log(
    `machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), availableParallelism ${availableParallelism()}, load average at start ${loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")}`
  );
  let t0 = performance.now();
  const one = await WorkerPool.create(poolModel, {size: 1});
  const oneStartMs = performance.now() - t0;
  t0 = performance.now();
  const many = await WorkerPool.create(poolModel, {size: workers});
  console.log(`pool start: 1 worker ${oneStartMs.toFixed(0)} ms, ${workers} workers ${(performance.now() - t0).toFixed(0)} ms`);
  const rows: Row[] = [];
  try {
    // One image, batches over the workers: the batch size is kept small enough for many batches.
    const riseOptions = {masks: quick ? 256 : 512, batchSize: 32, seed: 1};
    const siseOptions = {batchSize: 16};
    const checks: string[] = [];
    for (const [name, method, options] of [
      ["RISE", rise, riseOptions],
      ["SISE", sise, siseOptions]
    ] as const) {
      let lastOne: Explanation | null = null;
      let lastMany: Explanation | null = null;
      const masksOf = (e: Explanation) => (name === "RISE" ? riseOptions.masks : (e.intermediates!.maskCount as number));
      rows.push(
        await compare(
          `${name}, one image, batches over workers`,
          "masks/s",
          {busy: () => one.busyMs(), run: async () => masksOf((lastOne = await method.explain(model, images[0]!, {...options, executor: one})))},
          {busy: () => many.busyMs(), run: async () => masksOf((lastMany = await method.explain(model, images[0]!, {...options, executor: many})))}
        )
      );
      const reference = await method.explain(model, images[0]!, options);
      checks.push(
        `${name}: ${masksOf(reference)} masks; map with 1 worker ${sameMap(lastOne!, reference) ? "identical" : "DIFFERENT"}, with ${workers} workers ${sameMap(lastMany!, reference) ? "identical" : "DIFFERENT"} to the in-thread run`
      );
    }
    // Whole images: each image explained inside one worker.
    for (const [name, options] of [
      ["rise", {masks: quick ? 128 : 256, seed: 1}],
      ["sise", {}]
    ] as const) {
      rows.push(
        await compare(
          `${name.toUpperCase()}, ${images.length} whole images over workers`,
          "images/s",
          {busy: () => one.busyMs(), run: async () => (await explainImagesOnPool(one, name, images, options)).length},
          {busy: () => many.busyMs(), run: async () => (await explainImagesOnPool(many, name, images, options)).length}
        )
      );
    }
    if (!flag("--no-train")) {
      const batch = quick ? 32 : 64;
      // Each trainer gets its own copy of the architecture (same seed): steps change the weights.
      const copy = () => buildVgg({classes: dataset.classes.length, seed: 2, inputSize: model.inputWidth});
      const trainers = [await DataParallelTrainer.create(copy(), {workers: 1}), await DataParallelTrainer.create(copy(), {workers})];
      // The ceiling: N separate one-worker trainers, each stepping on its own part of the batch at
      // the same time, with nothing shared. What they reach is what this machine gives N threads
      // doing this work right now; the all-reduced step can only come close to it.
      const separate = await Promise.all(Array.from({length: workers}, () => DataParallelTrainer.create(copy(), {workers: 1})));
      trainers.push(...separate);
      try {
        const sampleList = Array.from({length: batch}, (_, i) => dataset.sample(i, 77));
        const samples = samplesToBatch(sampleList);
        const parts = splitEvenly(sampleList, workers).map((part) => samplesToBatch(part));
        rows.push(
          await compare(
            "train step, batch split over workers",
            "samples/s",
            {busy: () => trainers[0]!.busyMs(), run: async () => (await trainers[0]!.step(samples, dataset.classes.length)).samples},
            {busy: () => trainers[1]!.busyMs(), run: async () => (await trainers[1]!.step(samples, dataset.classes.length)).samples}
          )
        );
        rows[rows.length - 1]!.note = `seeded VGG, batch ${batch}, Adam in every worker, gradients all-reduced in shared memory`;
        rows.push(
          await compare(
            `train step ceiling: ${workers} separate 1-worker trainers, batch ${batch}/${workers} each, nothing shared`,
            "samples/s",
            {busy: () => trainers[0]!.busyMs(), run: async () => (await trainers[0]!.step(samples, dataset.classes.length)).samples},
            {
              busy: () => separate.flatMap((t) => t.busyMs()),
              run: async () => (await Promise.all(separate.map((t, i) => t.step(parts[i]!, dataset.classes.length)))).reduce((n, r) => n + r.samples, 0)
            }
          )
        );
      } finally {
        await Promise.all(trainers.map((t) => t.close()));
        trainers.forEach((t) => t.model.dispose());
      }
    }
    console.log("");
    printTable(rows);
    console.log("");
    for (const c of checks) console.log(`- ${c}`);
    console.log(`- rates are medians of ${repeats} interleaved rounds after one warm-up; "cores used" = CPU time / wall time of this process (all threads);`);
    console.log(`  a speed-up below ${workers}x with "cores used" well under ${workers} means the machine was busy with other work.`);
    console.log(
      `- load average at end ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`
    );
  } finally {
    await Promise.all([one.close(), many.close()]);
    model.dispose();
  }
}

await main();
