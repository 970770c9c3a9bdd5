// Paper-scale section of `npm run bench` (alone: npx tsx bench/paper-scale.ts [--quick] [--workers N]).
// VGG16 and ResNet-50 at 224² with seeded weights (loaders/models/paper-scale.ts), on wasm:
//   1. throughput: forward (batch sweep 1, 2, 4; the fastest batch on the pool is used for the other
//      rows), forward + backward (gradient at an early layer, as CAM probes and
//      SISE's selection take it) and a training step, in this thread and over a pool of N workers,
//      as GFLOP/s and % of the machine's fp32 peak;
//      ResNet-50's forward rows and methods run with batch norm folded into the convolutions
//      (src/lib/model/fold-batchnorm.ts: same outputs; a note compares it with the model as built);
//      FLOPs stay the original network's direct-convolution count.
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
import {DataParallelTrainer} from "../loaders/train/data-parallel.js";
import {explainImagesOnPool} from "../loaders/pool/explain-images.js";
import {WorkerPool} from "../loaders/pool/pool.js";
import {samplesToBatch} from "../loaders/train/batch.js";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {batchNormFoldPlan, foldBatchNorm} from "../src/lib/model/fold-batchnorm.js";
import {AbortedError} from "../src/lib/explain/progress.js";
import {getMethod} from "../src/lib/methods/registry.js";
import {seededRandom} from "../src/lib/random.js";
import type {PassExecutor, Progress, RgbImage} from "../src/lib/explain/types.js";
import {createForwardEngine, type ForwardEngine} from "../loaders/onnx/engine.js";
import {onnxPassExecutor} from "../loaders/onnx/executor.js";
import {onnxAvailable} from "../loaders/onnx/session.js";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const workersArg = argv.indexOf("--workers");
const workers = workersArg >= 0 ? Number(argv[workersArg + 1]) : availableParallelism();
const rounds = quick ? 1 : 3;
/** Rounds of the forward batch sweep (the headline rows): more, as other work on a shared machine comes in bursts. */
const sweepRounds = quick ? 1 : 5;
const peak = fp32Peak();

const gflops = (flops: number, ms: number) => flops / ms / 1e6;
const percent = (value: number) => `${((value / peak.gflops) * 100).toFixed(0)}%`;

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

/**
 * Median wall ms of each run over `count` interleaved rounds (run 1, run 2, ..., run 1, ...) after
 * one warm-up of each: a burst of other work on a shared machine then hits every run alike.
 */
async function timedInterleaved(runs: Array<() => Promise<void>>, count = rounds): Promise<number[]> {
  for (const run of runs) await run();
  const times = runs.map(() => [] as number[]);
  for (let r = 0; r < count; r++) {
    for (const [i, run] of runs.entries()) {
      const t0 = performance.now();
      await run();
      times[i]!.push(performance.now() - t0);
    }
  }
  return times.map(median);
}

/** Median wall ms of `rounds` calls after one warm-up call. */
async function timed(run: () => Promise<void>): Promise<number> {
  return (await timedInterleaved([run]))[0]!;
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

/** Notes printed under the throughput table (batch choice, folding). */
const notes: string[] = [];

async function throughput(name: string, build: () => tf.LayersModel, probeLayer: string, train: boolean): Promise<ThroughputRow[]> {
  const layers = build();
  // FLOPs are always the original network's direct convolution / dense count.
  const forward = forwardFlops(layers);
  const backward = inputGradientFlops(layers, probeLayer);
  // Inference-time batch-norm folding (src/lib/model/fold-batchnorm.ts): same outputs, fewer kernels.
  const plan = batchNormFoldPlan(layers);
  const folded = plan.chains.length > 0;
  const asBuilt = new ExplainableModel(layers, {name});
  const foldedLayers = folded ? foldBatchNorm(layers) : layers;
  const model = folded ? new ExplainableModel(foldedLayers, {name}) : asBuilt;
  const tag = folded ? " (BN folded)" : "";
  if (folded)
    notes.push(
      `${name}: ${plan.chains.length} conv + batch norm pairs folded (${plan.chains.filter((c) => c.relu).length} with their ReLU): ${layers.layers.length} layers -> ${foldedLayers.layers.length}`
    );
  const size = model.inputWidth;
  const batches = quick ? [1, 2] : [1, 2, 4];
  process.stderr.write(`${name}: starting ${workers} workers\n`);
  const pool = await WorkerPool.create(model, {size: workers});
  const rows: ThroughputRow[] = [];
  try {
    // Each worker gets a batch of its own: the pool's throughput on `workers` batches at once.
    const onPool = (pixels: Float32Array, call: (copy: Float32Array) => Promise<unknown>) => async () => {
      await Promise.all(Array.from({length: workers}, () => call(pixels.slice())));
    };
    const inputs = new Map(batches.map((b) => [b, randomPixels(b, size, 1)]));
    const tensors = new Map(batches.map((b) => [b, tf.tensor4d(inputs.get(b)!, [b, size, size, 3])]));
    // Batch sweep of the forward pass, batches interleaved so that load changes hit them alike.
    const loadBefore = load();
    process.stderr.write(`${name}: forward, batches ${batches.join(", ")} (load ${loadBefore})\n`);
    const threadTimes = await timedInterleaved(
      batches.map((b) => async () => void tf.tidy(() => model.logits(tensors.get(b)!)).dataSync()),
      sweepRounds
    );
    const poolTimes = await timedInterleaved(
      batches.map((b) => onPool(inputs.get(b)!, (copy) => pool.scoreBatch(copy, b, 0, "logit"))),
      sweepRounds
    );
    notes.push(`${name}: forward batch sweep, medians of ${sweepRounds} interleaved rounds; load average ${loadBefore} before, ${load()} after`);
    const sweep = batches.map((b, i) => ({
      model: name,
      pass: `forward${tag}`,
      batch: b,
      flopsPerImage: forward,
      threadMs: threadTimes[i]! / b,
      poolMs: poolTimes[i]! / (b * workers)
    }));
    rows.push(...sweep);
    const best = sweep.reduce((a, r) => (r.poolMs < a.poolMs ? r : a));
    const bestThread = sweep.reduce((a, r) => (r.threadMs < a.threadMs ? r : a));
    const batch = best.batch;
    notes.push(
      `${name}: batch ${batch} chosen for the other rows: fastest forward per image on ${workers} workers (${best.poolMs.toFixed(0)} ms/image; ` +
        sweep
          .filter((r) => r !== best)
          .map((r) => `batch ${r.batch}: ${r.poolMs.toFixed(0)}`)
          .join(", ") +
        `); in one thread batch ${bestThread.batch} is fastest (${sweep.map((r) => `${r.batch}: ${r.threadMs.toFixed(0)}`).join(", ")} ms/image)`
    );
    const x = tensors.get(batch)!;
    const pixels = inputs.get(batch)!;
    if (folded) {
      // The same forward pass on the model as built, in this thread only (same batch, interleaved with the folded one).
      process.stderr.write(`${name}: forward as built vs folded (load ${load()})\n`);
      const [unfoldedMs, foldedMs] = await timedInterleaved([
        async () => void tf.tidy(() => asBuilt.logits(x)).dataSync(),
        async () => void tf.tidy(() => model.logits(x)).dataSync()
      ]);
      notes.push(
        `${name}: in one thread at batch ${batch}, forward as built (BN unfolded) ${(unfoldedMs! / batch).toFixed(0)} ms/image = ${gflops(forward, unfoldedMs! / batch).toFixed(1)} GFLOP/s; ` +
          `folded ${(foldedMs! / batch).toFixed(0)} ms/image = ${gflops(forward, foldedMs! / batch).toFixed(1)} GFLOP/s (${(unfoldedMs! / foldedMs!).toFixed(2)}x)`
      );
    }
    process.stderr.write(`${name}: forward + backward (load ${load()})\n`);
    const probeInThread = async () => {
      const probe = model.probe(x, {layers: [probeLayer], classIndex: 0, score: "logit"});
      await probe.gradients![0]!.data();
      tf.dispose([probe.logits, probe.scores!, probe.classes!, ...probe.activations, ...probe.gradients!]);
    };
    rows.push({
      model: name,
      pass: `forward + backward to ${probeLayer}${tag}`,
      batch,
      flopsPerImage: forward + backward,
      threadMs: (await timed(probeInThread)) / batch,
      poolMs: (await timed(onPool(pixels, (copy) => pool.probeBatch(copy, batch, {layers: [probeLayer], classIndex: 0, score: "logit"})))) / (batch * workers)
    });
    tf.dispose([...tensors.values()]);
  } finally {
    await pool.close();
  }
  if (train) {
    process.stderr.write(`${name}: training step (load ${load()})\n`);
    const classes = 10;
    const dataset = getDataset("shapes", {width: size, height: size});
    const trainBatch = quick ? 2 : 4;
    const samples = samplesToBatch(Array.from({length: trainBatch}, (_, i) => dataset.sample(i, 77)));
    // Separate copies (same seed): steps change the weights. Training uses the model as built (no folding).
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
  if (model !== asBuilt) model.dispose();
  asBuilt.dispose();
  return rows;
}

/** What the papers report for ResNet-50 on a Tesla T4 (algorithms.md). */
const PAPER_T4_SECONDS: Record<string, number> = {gradcam: 0.019, rise: 26.08, scorecam: 18.17, sise: 9.21};

interface MethodRow {
  method: string;
  /** Where the forward passes ran. */
  engine: string;
  settings: string;
  passes: string;
  seconds: number;
  how: string;
  /** ONNX Runtime rows: the scoring batches' wall time over ONNX Runtime's own time for the same batches. */
  overhead?: ForwardOverhead;
}

/** Forward calls of a run on ONNX Runtime, with their batch sizes and wall intervals. */
interface ForwardCall {
  start: number;
  end: number;
  images: number;
}

/** Our time on top of ONNX Runtime's: the scoring stage (first batch sent to last returned) against ORT alone on the same runs. */
interface ForwardOverhead {
  stageSeconds: number;
  /** Time within the stage with a run in the session. */
  busySeconds: number;
  ortAloneSeconds: number;
  /** Mean images per ONNX Runtime run (the method's batches, merged while one runs). */
  imagesPerRun: number;
  /** Time from the start to the first batch sent: the gradient selection pass (SISE, Ada-SISE, Score-CAM) and the first masks. */
  beforeFirstBatchSeconds: number;
  batches: number;
}

/** The engine with every forward call's interval recorded (the calls are the same; only timed). */
function recordingEngine(engine: ForwardEngine): {engine: ForwardEngine; calls: ForwardCall[]} {
  const calls: ForwardCall[] = [];
  return {
    calls,
    engine: {
      ...engine,
      forward: async (batch, n) => {
        const start = performance.now();
        const logits = await engine.forward(batch, n);
        calls.push({start, end: performance.now(), images: n});
        return logits;
      }
    }
  };
}

/** ORT alone: median ms of one call of `n` images on `engine` (3 calls after a warm-up), cached per batch size. */
async function ortAloneMs(engine: ForwardEngine, n: number, cache: Map<number, number>): Promise<number> {
  const known = cache.get(n);
  if (known !== undefined) return known;
  const pixels = randomPixels(n, 224, 4);
  const [ms] = await timedInterleaved([async () => void (await engine.forward(pixels, n))]);
  cache.set(n, ms!);
  return ms!;
}

/** The overhead of a run from its recorded calls (started at `t0`). */
async function forwardOverhead(calls: readonly ForwardCall[], t0: number, engine: ForwardEngine, cache: Map<number, number>): Promise<ForwardOverhead> {
  let alone = 0;
  for (const call of calls) alone += await ortAloneMs(engine, call.images, cache);
  const first = Math.min(...calls.map((c) => c.start));
  const last = Math.max(...calls.map((c) => c.end));
  let busy = 0;
  let covered = -Infinity;
  for (const {start, end} of [...calls].sort((a, b) => a.start - b.start)) {
    busy += Math.max(0, end - Math.max(start, covered));
    covered = Math.max(covered, end);
  }
  return {
    stageSeconds: (last - first) / 1000,
    busySeconds: busy / 1000,
    ortAloneSeconds: alone / 1000,
    imagesPerRun: calls.reduce((sum, c) => sum + c.images, 0) / calls.length,
    beforeFirstBatchSeconds: (first - t0) / 1000,
    batches: calls.length
  };
}

/** Runs a method on one image; a long run is cut once `cutAfter` units are done and projected from its rate. */
/** Where a method's passes go: an executor (the tfjs pool, or ONNX Runtime for forward passes) or this thread. */
interface Passes {
  engine: string;
  executor: PassExecutor | null;
  /** How the rows say it ran, e.g. "2 workers". */
  label: string;
  /** ONNX Runtime: its forward calls (recorded) and the engine to time them alone on. */
  onnx?: {calls: ForwardCall[]; engine: ForwardEngine; alone: Map<number, number>};
}

async function timeMethod(
  model: ExplainableModel,
  passes: Passes,
  image: RgbImage,
  method: string,
  options: Record<string, unknown>,
  cutAfter: number
): Promise<MethodRow> {
  const controller = new AbortController();
  const events: Progress[] = [];
  const usesExecutor = passes.executor !== null && ["rise", "scorecam", "sise", "adasise", "igcam"].includes(method);
  const where = usesExecutor ? passes.label : "this thread";
  passes.onnx?.calls.splice(0);
  const t0 = performance.now();
  // ORT's own time for the run's batches, measured after the run (so it does not slow the run).
  const overhead = async () =>
    passes.onnx && passes.onnx.calls.length > 0 ? {overhead: await forwardOverhead([...passes.onnx.calls], t0, passes.onnx.engine, passes.onnx.alone)} : {};
  try {
    const explanation = await getMethod(method).explain(model, image, {
      ...options,
      ...(usesExecutor ? {executor: passes.executor!} : {}),
      signal: controller.signal,
      onProgress: (p: Progress) => {
        events.push({...p, elapsedMs: performance.now() - t0});
        if (p.done >= cutAfter && p.done < p.total) controller.abort();
      }
    });
    const {forward, backward} = explanation.passes;
    const seconds = (performance.now() - t0) / 1000;
    return {
      method,
      engine: passes.engine,
      settings: JSON.stringify(options),
      passes: `${forward} / ${backward}`,
      seconds,
      how: `measured, ${where}`,
      ...(await overhead())
    };
  } catch (error) {
    if (!(error instanceof AbortedError) || events.length < 1) throw error;
    const last = events[events.length - 1]!;
    // Rate between the first and last report of the last stage; from the start (setup included)
    // when that is not measurable: a single report (the cut came with the first batch, as with a
    // large default batch), or reports that arrived together (pool results landing at once).
    const stage = events.filter((e) => e.stage === last.stage && e.total === last.total);
    const first = stage[0]!;
    const between = last.done > first.done && last.elapsedMs - first.elapsedMs > 0.1 * last.elapsedMs;
    const msPerUnit = between ? (last.elapsedMs - first.elapsedMs) / (last.done - first.done) : last.elapsedMs / last.done;
    const projectedMs = last.elapsedMs + (last.total - last.done) * msPerUnit;
    return {
      method,
      engine: passes.engine,
      settings: JSON.stringify(options),
      passes: `${last.total} ${last.stage ?? "units"}`,
      seconds: projectedMs / 1000,
      how: `projected from ${last.done} of ${last.total} (${(msPerUnit / 1000).toFixed(3)} s each${between ? "" : ", rate from the start"}), ${where}`,
      ...(await overhead())
    };
  }
}

/**
 * ONNX Runtime's two ways to use the cores, on explanations rather than bare forward passes: one
 * process whose session has an intra-op thread per core (images one after another), against a pool
 * whose workers each explain their own image with a single-thread session (the default of
 * image-parallel runs: saliency batch --workers N, the site build). SISE with a per-layer mask cap
 * keeps the run to minutes; its passes are the same kind as uncapped.
 */
async function threadsOrWorkers(): Promise<void> {
  const built = buildResnet50();
  const model = new ExplainableModel(foldBatchNorm(built), {name: "ResNet-50"});
  built.dispose();
  const dataset = getDataset("shapes", {width: 224, height: 224});
  const images = Array.from({length: workers}, (_, i) => dataset.sample(i, 9001));
  const options = {maxMasks: quick ? 2 : 48};
  process.stderr.write(`ResNet-50: SISE, one ${workers}-thread session vs ${workers} workers x 1 thread (load ${load()})\n`);
  const loadBefore = load();
  const opened = await createForwardEngine(model, {engine: "onnx", threads: workers});
  let oneMs: number;
  let masks = 0;
  try {
    const executor = onnxPassExecutor(model, opened);
    await getMethod("sise").explain(model, images[0]!, {maxMasks: 1, executor}); // session warm-up
    const t0 = performance.now();
    for (const image of images)
      masks += ((await getMethod("sise").explain(model, image, {...options, executor})).intermediates as {maskCount: number}).maskCount;
    oneMs = performance.now() - t0;
  } finally {
    await opened.dispose();
  }
  const pool = await WorkerPool.create(model, {size: workers, engine: "onnx"});
  let poolMs: number;
  try {
    await explainImagesOnPool(pool, "sise", images, {maxMasks: 1}); // each worker's session and first run
    const t0 = performance.now();
    await explainImagesOnPool(pool, "sise", images, options);
    poolMs = performance.now() - t0;
  } finally {
    await pool.close();
    model.dispose();
  }
  const [one, many] = [oneMs / 1000 / images.length, poolMs / 1000 / images.length];
  console.log(
    `\n## ONNX Runtime: one ${workers}-thread session against ${workers} workers with a single-thread session each (ResNet-50, SISE ${JSON.stringify(options)})`
  );
  console.log(`${images.length} images, ${masks} masks in all; load average ${loadBefore} before, ${load()} after`);
  console.log(
    formatTable(
      ["how", "seconds / image"],
      [
        [`one process, a ${workers}-thread session, images one after another`, one.toFixed(1)],
        [`${workers} workers, a 1-thread session each, an image per worker`, many.toFixed(1)]
      ]
    )
  );
  console.log(
    `${one <= many ? `one ${workers}-thread session` : `${workers} workers x 1 thread`} is faster (${(Math.max(one, many) / Math.min(one, many)).toFixed(2)}x)`
  );
}

/** The forward-only methods, timed again with their forward passes on ONNX Runtime (issue: native speed at build time). */
const FORWARD_HEAVY = ["rise", "scorecam", "sise", "adasise"];

async function methodsOnResnet50(): Promise<MethodRow[]> {
  // Batch norm folded into the convolutions (same outputs and gradients; see src/lib/model/fold-batchnorm.ts).
  const built = buildResnet50();
  const model = new ExplainableModel(foldBatchNorm(built), {name: "ResNet-50"});
  built.dispose(); // the folded model keeps the weights it shares
  const image = getDataset("shapes", {width: 224, height: 224}).sample(0, 9001);
  const pool = await WorkerPool.create(model, {size: workers});
  const opened = onnxAvailable() ? await createForwardEngine(model, {engine: "onnx", threads: workers}) : null;
  const onnx = opened ? recordingEngine(opened) : null;
  const rows: MethodRow[] = [];
  try {
    await pool.scoreBatch(randomPixels(1, 224, 2), 1, 0, "logit"); // first-call setup in a worker, outside the timings
    if (onnx) await onnx.engine.forward(randomPixels(1, 224, 3), 1); // and the session's first run
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
    const tfjsPasses: Passes = {engine: "tfjs wasm", executor: pool, label: `${workers} workers`};
    // ONNX Runtime: one session with an intra-op thread per core (faster than a pool of one-thread sessions: results/bench-onnx.txt).
    const onnxPasses: Passes | null = onnx
      ? {
          engine: "ONNX Runtime",
          executor: onnxPassExecutor(model, onnx.engine),
          label: `ONNX Runtime ${workers} threads, gradients in this thread`,
          onnx: {calls: onnx.calls, engine: opened!, alone: new Map()}
        }
      : null;
    for (const [method, options] of plan) {
      const cut = ["ig", "igcam"].includes(method) ? (quick ? 2 : 6) : quick ? 8 : 6 * workers * 3;
      for (const passes of [tfjsPasses, ...(onnxPasses && FORWARD_HEAVY.includes(method) ? [onnxPasses] : [])]) {
        process.stderr.write(`ResNet-50: ${method} (${passes.engine})\n`);
        rows.push(await timeMethod(model, passes, image, method, options, passes.engine === "ONNX Runtime" ? cut * 8 : cut));
      }
    }
  } finally {
    await pool.close();
    await opened?.dispose();
    model.dispose();
  }
  return rows;
}

async function main(): Promise<void> {
  const backend = await selectNodeBackend("wasm");
  const machine = machineInfo();
  console.log("## Paper-scale workloads (seeded VGG16 and ResNet-50 at 224x224)");
  console.log(`backend ${backend.backend}; ${machine.cpu}, ${machine.cores} cores; pool of ${workers} workers; load average ${load()}`);
  console.log(`fp32 peak: ${peak.formula}; medians of ${rounds} rounds after a warm-up (forward batch sweep: ${sweepRounds} rounds, batches interleaved)`);
  console.log(
    "GFLOP/s = the original network's direct-convolution + dense FLOPs (loaders/bench/flops.ts) / time, also for rows run with batch norm folded (folding removes only element-wise work, which is not counted either way)\n"
  );
  const rows = [
    ...(await throughput("VGG16", () => buildVgg16(), "block1_conv1", false)),
    ...(await throughput("ResNet-50", () => buildResnet50(), "conv1_relu", true))
  ];
  console.log(
    formatTable(
      ["model", "pass", "batch", "GFLOP/image", "1 thread ms/image", "GFLOP/s", "% peak", `${workers} workers ms/image`, "GFLOP/s", "% peak", "speed-up"],
      rows.map((r) => {
        const [one, many] = [gflops(r.flopsPerImage, r.threadMs), gflops(r.flopsPerImage, r.poolMs)];
        return [
          r.model,
          r.pass,
          String(r.batch),
          (r.flopsPerImage / 1e9).toFixed(2),
          r.threadMs.toFixed(0),
          one.toFixed(1),
          percent(one),
          r.poolMs.toFixed(0),
          many.toFixed(1),
          percent(many),
          `${(r.threadMs / r.poolMs).toFixed(2)}x`
        ];
      })
    )
  );
  for (const note of notes) console.log(note);
  for (const model of ["VGG16", "ResNet-50"]) {
    const both = rows.find((r) => r.model === model && r.pass.startsWith("forward + backward"))!;
    const fwd = rows.find((r) => r.model === model && r.pass.startsWith("forward") && !r.pass.startsWith("forward +") && r.batch === both.batch)!;
    // Backward alone = (forward+backward) − forward, on the same batch and thread.
    const backwardMs = both.threadMs - fwd.threadMs;
    const backwardRate = gflops(both.flopsPerImage - fwd.flopsPerImage, backwardMs);
    console.log(
      `${model}: backward alone ${backwardRate.toFixed(1)} GFLOP/s in one thread = ${((backwardRate / gflops(fwd.flopsPerImage, fwd.threadMs)) * 100).toFixed(0)}% of forward`
    );
  }
  console.log(`load average after the throughput runs ${load()}`);
  console.log("\n## ResNet-50 at 224x224 (batch norm folded): time per image, every method, all cores");
  const methods = await methodsOnResnet50();
  console.log(
    formatTable(
      ["method", "forward passes on", "options", "passes (fwd / bwd)", "seconds / image", "how", "paper, Tesla T4 (s)"],
      methods.map((m) => [m.method, m.engine, m.settings, m.passes, m.seconds.toFixed(2), m.how, PAPER_T4_SECONDS[m.method]?.toString() ?? "-"])
    )
  );
  for (const method of FORWARD_HEAVY) {
    const [tfjsRow, onnxRow] = ["tfjs wasm", "ONNX Runtime"].map((engine) => methods.find((m) => m.method === method && m.engine === engine));
    if (tfjsRow && onnxRow) {
      console.log(
        `${method}: ${tfjsRow.seconds.toFixed(1)} s on tfjs, ${onnxRow.seconds.toFixed(1)} s with ONNX Runtime forward passes (${(tfjsRow.seconds / onnxRow.seconds).toFixed(2)}x)`
      );
    }
  }
  const overheads = methods.filter((m) => m.overhead);
  if (overheads.length > 0) {
    console.log(
      "\nOur overhead on ONNX Runtime: each run's scoring stage (first batch sent to last result back: mask making, masked images, copies, scores and sums included)\n" +
        "against ONNX Runtime alone on the same runs (each run size timed alone right after, median of 3 calls); 'ORT busy' is the part of the stage with a\n" +
        "run in the session (the rest is ONNX Runtime waiting for us). The method's batches are merged while a run is in the session (loaders/onnx/executor.ts). Goal: at most 1.2x"
    );
    console.log(
      formatTable(
        ["method", "ORT runs", "images / run", "scoring stage (s)", "ORT busy (s)", "ORT alone, same runs (s)", "stage / alone", "before the first run (s)"],
        overheads.map(({method, overhead: o}) => [
          method,
          String(o!.batches),
          o!.imagesPerRun.toFixed(1),
          o!.stageSeconds.toFixed(1),
          o!.busySeconds.toFixed(1),
          o!.ortAloneSeconds.toFixed(1),
          `${(o!.stageSeconds / o!.ortAloneSeconds).toFixed(2)}x`,
          o!.beforeFirstBatchSeconds.toFixed(1)
        ])
      )
    );
    const sise = methods.find((m) => m.method === "sise" && m.engine === "ONNX Runtime");
    if (sise) {
      const resnetFlops = rows.find((r) => r.model === "ResNet-50")!.flopsPerImage;
      const floor = (Number.parseInt(sise.passes, 10) * resnetFlops) / (peak.gflops * 1e9);
      console.log(
        `SISE on ResNet-50: ${sise.seconds.toFixed(1)} s per image with ONNX Runtime forward passes (goal: 40 s). Its ${sise.passes} at 100% of this machine's fp32 peak would take ${floor.toFixed(0)} s.`
      );
    }
  }
  if (!methods.some((m) => m.engine === "ONNX Runtime")) console.log("onnxruntime-node is not installed here: no ONNX Runtime rows.");
  else await threadsOrWorkers();
  console.log(
    "Seeded (untrained) weights: SISE's and Ada-SISE's mask counts depend on the gradients, so they differ from a trained ResNet-50's (about 1900 for SISE in the paper)."
  );
  console.log(`load average at end ${load()}`);
}

await main();
