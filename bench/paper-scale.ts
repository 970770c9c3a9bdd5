// Paper-scale section of `npm run bench` (alone: npx tsx bench/paper-scale.ts [--quick] [--workers N]).
// VGG16 and ResNet-50 at 224² with seeded weights (loaders/models/paper-scale.ts), on wasm:
//   1. throughput: forward, forward + backward (gradient at an early layer, as CAM probes and
//      SISE's selection take it) and a training step, in this thread and over a pool of N workers,
//      as GFLOP/s and % of the machine's fp32 peak;
//   2. ResNet-50 time per image for every method on all cores, next to the papers' Tesla T4 figures.
//      Runs of thousands of passes are cut after a few batches and projected from their measured
//      rate (marked "projected"); everything else is measured whole.
import {availableParallelism, loadavg} from "node:os";
import * as tf from "@tensorflow/tfjs";
import {selectNodeBackend} from "../loaders/backend.js";
import {median} from "../loaders/bench/aggregate.js";
import {forwardFlops, inputGradientFlops, trainingBackwardFlops} from "../loaders/bench/flops.js";
import {fp32Peak, machineInfo} from "../loaders/bench/machine.js";
import {formatTable} from "../loaders/bench/table.js";
import {getDataset} from "../loaders/datasets/index.js";
import {buildResnet50, buildVgg16} from "../loaders/models/paper-scale.js";
import {DataParallelTrainer} from "../loaders/pool/data-parallel.js";
import {WorkerPool} from "../loaders/pool/pool.js";
import {samplesToBatch} from "../loaders/train/batch.js";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {AbortedError} from "../src/lib/methods/progress.js";
import {getMethod} from "../src/lib/methods/registry.js";
import {seededRandom} from "../src/lib/random.js";
import type {Progress, RgbImage} from "../src/lib/methods/types.js";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const workersArg = argv.indexOf("--workers");
const workers = workersArg >= 0 ? Number(argv[workersArg + 1]) : availableParallelism();
const rounds = quick ? 1 : 3;
const peak = fp32Peak();

const gflops = (flops: number, ms: number) => flops / ms / 1e6;
const percent = (value: number) => `${((value / peak.gflops) * 100).toFixed(0)}%`;

/** Median wall ms of `rounds` calls after one warm-up call. */
async function timed(run: () => Promise<void>): Promise<number> {
  await run();
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return median(times);
}

function randomPixels(count: number, size: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({length: count * size * size * 3}, () => random.int(0, 256)); // pixel values 0..255
}

interface ThroughputRow {
  model: string;
  pass: string;
  batch: number;
  flopsPerImage: number;
  threadMs: number;
  poolMs: number;
}

async function throughput(name: string, build: () => tf.LayersModel, probeLayer: string, train: boolean): Promise<ThroughputRow[]> {
  const layers = build();
  const model = new ExplainableModel(layers, {name});
  const size = model.inputWidth;
  const batch = quick ? 1 : name === "VGG16" ? 2 : 4;
  const forward = forwardFlops(layers);
  const backward = inputGradientFlops(layers, probeLayer);
  process.stderr.write(`${name}: starting ${workers} workers\n`);
  const pool = await WorkerPool.create(model, {size: workers});
  const rows: ThroughputRow[] = [];
  try {
    const pixels = randomPixels(batch, size, 1);
    const x = tf.tensor4d(pixels, [batch, size, size, 3]);
    // Each worker gets a batch of its own: the pool's throughput on `workers` batches at once.
    const onPool = (call: (copy: Float32Array) => Promise<unknown>) => async () => {
      await Promise.all(Array.from({length: workers}, () => call(pixels.slice())));
    };
    const perImage = (ms: number, images: number) => ms / images;
    process.stderr.write(`${name}: forward\n`);
    rows.push({
      model: name,
      pass: "forward",
      batch,
      flopsPerImage: forward,
      threadMs: perImage(await timed(async () => void tf.tidy(() => model.logits(x)).dataSync()), batch),
      poolMs: perImage(await timed(onPool((copy) => pool.scoreBatch(copy, batch, 0, "logit"))), batch * workers)
    });
    process.stderr.write(`${name}: forward + backward\n`);
    const probeInThread = async () => {
      const probe = model.probe(x, {layers: [probeLayer], classIndex: 0, score: "logit"});
      await probe.gradients![0]!.data();
      tf.dispose([probe.logits, probe.scores!, probe.classes!, ...probe.activations, ...probe.gradients!]);
    };
    rows.push({
      model: name,
      pass: `forward + backward to ${probeLayer}`,
      batch,
      flopsPerImage: forward + backward,
      threadMs: perImage(await timed(probeInThread), batch),
      poolMs: perImage(await timed(onPool((copy) => pool.probeBatch(copy, batch, {layers: [probeLayer], classIndex: 0, score: "logit"}))), batch * workers)
    });
    x.dispose();
  } finally {
    await pool.close();
  }
  if (train) {
    process.stderr.write(`${name}: training step\n`);
    const classes = 10;
    const dataset = getDataset("shapes", {width: size, height: size});
    const trainBatch = quick ? 2 : 4;
    const samples = samplesToBatch(Array.from({length: trainBatch}, (_, i) => dataset.sample(i, 77)));
    // Separate copies (same seed): steps change the weights.
    const copy = () => (name === "ResNet-50" ? buildResnet50({classes, seed: 3}) : buildVgg16({classes, seed: 3}));
    const one = await DataParallelTrainer.create(copy(), {workers: 1});
    const many = await DataParallelTrainer.create(copy(), {workers});
    try {
      rows.push({
        model: name,
        pass: "training step (Adam; 1 worker vs pool)",
        batch: trainBatch,
        flopsPerImage: forwardFlops(one.model) + trainingBackwardFlops(one.model),
        threadMs: (await timed(async () => void (await one.step(samples, classes)))) / trainBatch,
        poolMs: (await timed(async () => void (await many.step(samples, classes)))) / trainBatch
      });
    } finally {
      await Promise.all([one.close(), many.close()]);
      one.model.dispose();
      many.model.dispose();
    }
  }
  model.dispose();
  return rows;
}

/** What the papers report for ResNet-50 on a Tesla T4 (algorithms.md). */
const PAPER_T4_SECONDS: Record<string, number> = {gradcam: 0.019, rise: 26.08, scorecam: 18.17, sise: 9.21};

interface MethodRow {
  method: string;
  settings: string;
  passes: string;
  seconds: number;
  how: string;
}

/** Runs a method on one image; a long run is cut once `cutAfter` units are done and projected from its rate. */
async function timeMethod(model: ExplainableModel, pool: WorkerPool, image: RgbImage, method: string, options: Record<string, unknown>, cutAfter: number): Promise<MethodRow> {
  const controller = new AbortController();
  const events: Progress[] = [];
  const usesPool = ["rise", "scorecam", "sise", "adasise", "igcam"].includes(method);
  const t0 = performance.now();
  try {
    const explanation = await getMethod(method).explain(model, image, {
      ...options,
      ...(usesPool ? {executor: pool} : {}),
      signal: controller.signal,
      onProgress: (p: Progress) => {
        events.push({...p, elapsedMs: performance.now() - t0});
        if (p.done >= cutAfter && p.done < p.total) controller.abort();
      }
    });
    const {forward, backward} = explanation.passes;
    return {method, settings: JSON.stringify(options), passes: `${forward} / ${backward}`, seconds: (performance.now() - t0) / 1000, how: usesPool ? `measured, ${workers} workers` : "measured, this thread"};
  } catch (error) {
    if (!(error instanceof AbortedError) || events.length < 2) throw error;
    const [first, last] = [events[0]!, events[events.length - 1]!];
    const msPerUnit = (last.elapsedMs - first.elapsedMs) / (last.done - first.done);
    const projectedMs = last.elapsedMs + (last.total - last.done) * msPerUnit;
    return {
      method,
      settings: JSON.stringify(options),
      passes: `${last.total} ${last.stage ?? "units"}`,
      seconds: projectedMs / 1000,
      how: `projected from ${last.done} of ${last.total} (${(msPerUnit / 1000).toFixed(3)} s each), ${usesPool ? `${workers} workers` : "this thread"}`
    };
  }
}

async function methodsOnResnet50(): Promise<MethodRow[]> {
  const model = new ExplainableModel(buildResnet50(), {name: "ResNet-50"});
  const image = getDataset("shapes", {width: 224, height: 224}).sample(0, 9001);
  const pool = await WorkerPool.create(model, {size: workers});
  const rows: MethodRow[] = [];
  try {
    await pool.scoreBatch(randomPixels(1, 224, 2), 1, 0, "logit"); // first-call setup in a worker, outside the timings
    const plan: Array<[string, Record<string, unknown>]> = [
      ["gradcam", {}],
      ["gradcampp", {}],
      ["xgradcam", {}],
      ["layercam", {}],
      ["ig", {}],
      ["igcam", {}],
      ["rise", {masks: 4000, seed: 1}],
      ["scorecam", {}],
      ["sise", {}],
      ["adasise", {}]
    ];
    for (const [method, options] of plan) {
      process.stderr.write(`ResNet-50: ${method}\n`);
      const cut = ["ig", "igcam"].includes(method) ? (quick ? 2 : 6) : quick ? 8 : 6 * workers * 3;
      rows.push(await timeMethod(model, pool, image, method, options, cut));
    }
  } finally {
    await pool.close();
    model.dispose();
  }
  return rows;
}

async function main(): Promise<void> {
  const backend = await selectNodeBackend("wasm");
  const machine = machineInfo();
  console.log("## Paper-scale workloads (seeded VGG16 and ResNet-50 at 224x224)");
  console.log(`backend ${backend.backend}; ${machine.cpu}, ${machine.cores} cores; pool of ${workers} workers; load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
  console.log(`fp32 peak: ${peak.formula}; medians of ${rounds} rounds after a warm-up\n`);
  const rows = [
    ...(await throughput("VGG16", () => buildVgg16(), "block1_conv1", false)),
    ...(await throughput("ResNet-50", () => buildResnet50(), "conv1_relu", true))
  ];
  console.log(
    formatTable(
      ["model", "pass", "batch", "GFLOP/image", "1 thread ms/image", "GFLOP/s", "% peak", `${workers} workers ms/image`, "GFLOP/s", "% peak", "speed-up"],
      rows.map((r) => {
        const [one, many] = [gflops(r.flopsPerImage, r.threadMs), gflops(r.flopsPerImage, r.poolMs)];
        return [r.model, r.pass, String(r.batch), (r.flopsPerImage / 1e9).toFixed(2), r.threadMs.toFixed(0), one.toFixed(1), percent(one), r.poolMs.toFixed(0), many.toFixed(1), percent(many), `${(r.threadMs / r.poolMs).toFixed(2)}x`];
      })
    )
  );
  for (const model of ["VGG16", "ResNet-50"]) {
    const fwd = rows.find((r) => r.model === model && r.pass === "forward")!;
    const both = rows.find((r) => r.model === model && r.pass.startsWith("forward + backward"))!;
    // Backward alone = (forward+backward) − forward, on the same batch and thread.
    const backwardMs = both.threadMs - fwd.threadMs;
    const backwardRate = gflops(both.flopsPerImage - fwd.flopsPerImage, backwardMs);
    console.log(`${model}: backward alone ${backwardRate.toFixed(1)} GFLOP/s in one thread = ${((backwardRate / gflops(fwd.flopsPerImage, fwd.threadMs)) * 100).toFixed(0)}% of forward`);
  }
  console.log("\n## ResNet-50 at 224x224: time per image, every method, all cores");
  const methods = await methodsOnResnet50();
  console.log(
    formatTable(
      ["method", "options", "passes (fwd / bwd)", "seconds / image", "how", "paper, Tesla T4 (s)"],
      methods.map((m) => [m.method, m.settings, m.passes, m.seconds.toFixed(2), m.how, PAPER_T4_SECONDS[m.method]?.toString() ?? "-"])
    )
  );
  console.log("Seeded (untrained) weights: SISE's and Ada-SISE's mask counts depend on the gradients, so they differ from a trained ResNet-50's (about 1900 for SISE in the paper).");
  console.log(`load average at end ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
}

await main();
