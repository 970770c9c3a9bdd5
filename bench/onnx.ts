// Forward passes on tfjs wasm (the project's setup) against ONNX Runtime (loaders/onnx/):
//   npx tsx bench/onnx.ts [--quick] [--threads N] [--out FILE]   (default FILE results/bench-onnx.txt;
//   --quick: one round, small batches, nothing written unless --out is given)
// VGG16 and ResNet-50 at 224² with seeded weights (loaders/models/paper-scale.ts), 1000 classes,
// logits of pixel batches exactly as the engine's scoring phases compute them (preprocessing
// included). tfjs runs with batch norm folded (src/lib/model/fold-batchnorm.ts), as bench/paper-scale.ts
// does; ONNX Runtime gets the model as built (it folds batch norm itself). Rows: tfjs in this thread
// and over the project's worker pool; ONNX Runtime with 1 intra-op thread, with N (spin-waiting
// off, our default, and on), a pool of N worker threads with a single-thread session each, and
// the same session called through onnxruntime-node directly (our overhead on top of it).
// GFLOP/s = the network's direct-convolution + dense FLOPs (loaders/bench/flops.ts) / time.
import {mkdirSync, renameSync, writeFileSync} from "node:fs";
import {availableParallelism, loadavg} from "node:os";
import {dirname} from "node:path";
import * as tf from "@tensorflow/tfjs";
import {selectNodeBackend} from "../loaders/backend.js";
import {median} from "../loaders/bench/aggregate.js";
import {forwardFlops} from "../loaders/bench/flops.js";
import {fp32Peak, machineInfo} from "../loaders/bench/machine.js";
import {formatTable} from "../loaders/bench/table.js";
import {buildResnet50, buildVgg16} from "../loaders/models/paper-scale.js";
import {OnnxWorkerPool} from "../loaders/onnx/pool.js";
import {explainableModelToOnnx} from "../loaders/onnx/convert.js";
import {loadOnnxRuntime, OnnxModelSession} from "../loaders/onnx/session.js";
import {WorkerPool} from "../loaders/pool/pool.js";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {foldBatchNorm} from "../src/lib/model/fold-batchnorm.js";
import {seededRandom} from "../src/lib/random.js";

const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const threads = Number(option("--threads") ?? availableParallelism());
if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads must be a positive integer, got ${option("--threads")}`);
const out = option("--out") ?? (quick ? undefined : "results/bench-onnx.txt");
const rounds = quick ? 1 : 3;
const peak = fp32Peak();
const lines: string[] = [];
const print = (line = "") => {
  lines.push(line);
  console.log(line);
};
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
const progress = (line: string) => process.stderr.write(`${line} (load ${load()})\n`);

function randomPixels(count: number, size: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({length: count * size * size * 3}, () => random.int(0, 256));
}

/** Median wall ms per call over `rounds` interleaved rounds, after one warm-up call of each. */
async function timedInterleaved(runs: Array<() => Promise<unknown>>): Promise<number[]> {
  for (const run of runs) await run();
  const times = runs.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    for (const [i, run] of runs.entries()) {
      const t0 = performance.now();
      await run();
      times[i]!.push(performance.now() - t0);
    }
  }
  return times.map(median);
}

interface Row {
  model: string;
  engine: string;
  threads: number;
  batch: number;
  msPerImage: number;
  flops: number;
}

const rows: Row[] = [];
const notes: string[] = [];

/** max |a − b| / max |b| over the logits. */
function relativeError(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

async function benchModel(name: string, build: () => tf.LayersModel, batch: number): Promise<void> {
  progress(`${name}: building`);
  const layers = build();
  const flops = forwardFlops(layers);
  const asBuilt = new ExplainableModel(layers, {name});
  const folded = new ExplainableModel(foldBatchNorm(layers), {name});
  const size = asBuilt.inputWidth;
  const pixels = randomPixels(batch, size, 1);
  const add = (engine: string, n: number, b: number, ms: number) => rows.push({model: name, engine, threads: n, batch: b, msPerImage: ms / b, flops});

  // tfjs wasm in this thread (one thread: the wasm backend runs single-threaded in Node).
  progress(`${name}: tfjs wasm, this thread, batch ${batch}`);
  const x = tf.tensor4d(pixels, [batch, size, size, 3]);
  const tfjsRun = async () => {
    const logits = tf.tidy(() => folded.logits(x));
    const data = (await logits.data()) as Float32Array;
    logits.dispose();
    return data;
  };
  const reference = await tfjsRun();
  const [tfjsMs] = await timedInterleaved([tfjsRun]);
  add("tfjs wasm (BN folded)", 1, batch, tfjsMs!);
  x.dispose();

  // tfjs over the project's worker pool: one batch per worker at once (its throughput).
  progress(`${name}: tfjs wasm, pool of ${threads} workers`);
  const pool = await WorkerPool.create(folded, {size: threads});
  try {
    const [poolMs] = await timedInterleaved([() => Promise.all(Array.from({length: threads}, () => pool.scoreBatch(pixels.slice(), batch, 0, "logit")))]);
    add(`tfjs wasm (BN folded), pool of ${threads} workers`, threads, batch * threads, poolMs!);
  } finally {
    await pool.close();
  }

  progress(`${name}: converting to ONNX`);
  const t0 = performance.now();
  const onnx = explainableModelToOnnx(asBuilt);
  const convertMs = performance.now() - t0;
  const sessions = {
    one: await OnnxModelSession.create(onnx, {intraOpThreads: 1}),
    many: await OnnxModelSession.create(onnx, {intraOpThreads: threads}),
    spinning: await OnnxModelSession.create(onnx, {intraOpThreads: threads, spinning: true})
  };
  const sessionMs = performance.now() - t0 - convertMs;
  notes.push(
    `${name}: conversion ${convertMs.toFixed(0)} ms (${(onnx.bytes.byteLength / 2 ** 20).toFixed(0)} MiB of ONNX), three sessions created in ${sessionMs.toFixed(0)} ms`
  );
  // The same bytes through onnxruntime-node alone: what our wrapper adds on top.
  const ort = loadOnnxRuntime();
  const raw = await ort.InferenceSession.create(onnx.bytes, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    extra: {session: {intra_op: {allow_spinning: "0"}}}
  });
  try {
    const check = await sessions.many.forward(pixels, batch);
    notes.push(`${name}: ONNX Runtime logits vs tfjs: max relative difference ${relativeError(check, reference).toExponential(1)} (batch ${batch})`);
    progress(`${name}: ONNX Runtime, batch ${batch}, 1 / ${threads} threads`);
    const rawRun = async () => {
      const input = new ort.Tensor("float32", pixels, [batch, size, size, 3]);
      const result = await raw.run({[onnx.inputName]: input});
      return result[onnx.outputs[0]!.name]!.data;
    };
    const [oneMs, manyMs, spinMs, rawMs] = await timedInterleaved([
      () => sessions.one.forward(pixels, batch),
      () => sessions.many.forward(pixels, batch),
      () => sessions.spinning.forward(pixels, batch),
      rawRun
    ]);
    add("ONNX Runtime", 1, batch, oneMs!);
    add("ONNX Runtime", threads, batch, manyMs!);
    add("ONNX Runtime, threads spin-wait", threads, batch, spinMs!);
    add("onnxruntime-node called directly (no wrapper)", threads, batch, rawMs!);
    notes.push(`${name}: our session wrapper vs onnxruntime-node directly, ${threads} threads: ${(manyMs! / rawMs!).toFixed(2)}x the time`);
  } finally {
    await Promise.all([sessions.one.release(), sessions.many.release(), sessions.spinning.release(), raw.release()]);
  }

  // A pool of single-thread sessions in worker threads: the batch split between them.
  progress(`${name}: ONNX Runtime, ${threads} workers x 1 thread`);
  const onnxPool = await OnnxWorkerPool.create(asBuilt, {workers: threads});
  try {
    const big = randomPixels(batch * threads, size, 2);
    const [poolMs] = await timedInterleaved([() => onnxPool.forward(big, batch * threads)]);
    add(`ONNX Runtime, pool of ${threads} workers x 1 thread`, threads, batch * threads, poolMs!);
  } finally {
    await onnxPool.close();
  }
  folded.dispose();
  asBuilt.dispose();
}

async function main(): Promise<void> {
  const backend = await selectNodeBackend("wasm");
  const machine = machineInfo();
  const ort = loadOnnxRuntime();
  print("## Forward passes: tfjs wasm against ONNX Runtime (seeded VGG16 and ResNet-50 at 224x224, 1000 classes)");
  print(
    `tfjs backend ${backend.backend}; onnxruntime-node ${ort.env.versions.node ?? "?"}; ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; Node ${machine.node}`
  );
  print(`fp32 peak: ${peak.formula}`);
  print(
    `medians of ${rounds} interleaved rounds after a warm-up; load average ${load()} at start (the machine's cores are shared with other work, which inflates every row alike within a round)`
  );
  print(
    "GFLOP/s = the network's direct-convolution + dense FLOPs (loaders/bench/flops.ts) / time; input pixels 0..255 with the model's preprocessing, output logits\n"
  );
  await benchModel("VGG16", () => buildVgg16(), quick ? 1 : 4);
  await benchModel("ResNet-50", () => buildResnet50(), quick ? 2 : 8);
  const baseline = (model: string) => rows.find((r) => r.model === model && r.threads === 1 && r.engine.startsWith("tfjs"))!.msPerImage;
  print(
    formatTable(
      ["model", "engine", "threads", "images / call", "ms / image", "GFLOP/s", "% of peak", "speed-up vs tfjs 1 thread"],
      rows.map((r) => {
        const rate = r.flops / r.msPerImage / 1e6;
        return [
          r.model,
          r.engine,
          String(r.threads),
          String(r.batch),
          r.msPerImage.toFixed(1),
          rate.toFixed(1),
          `${((rate / peak.gflops) * 100).toFixed(0)}%`,
          `${(baseline(r.model) / r.msPerImage).toFixed(2)}x`
        ];
      })
    )
  );
  print();
  for (const model of ["VGG16", "ResNet-50"]) {
    const many = rows.find((r) => r.model === model && r.engine === "ONNX Runtime" && r.threads === threads)!;
    const workers = rows.find((r) => r.model === model && r.engine.startsWith("ONNX Runtime, pool"))!;
    const faster = many.msPerImage <= workers.msPerImage ? `one session with ${threads} intra-op threads` : `the pool of ${threads} single-thread sessions`;
    print(
      `${model}: ${threads} intra-op threads ${many.msPerImage.toFixed(1)} ms/image vs ${threads} workers x 1 thread ${workers.msPerImage.toFixed(1)} ms/image: ${faster} is faster`
    );
  }
  for (const note of notes) print(note);
  print(`load average at end ${load()}`);
  if (out) {
    mkdirSync(dirname(out), {recursive: true});
    const temporary = `${out}.tmp-${process.pid}`;
    writeFileSync(temporary, `${lines.join("\n")}\n`);
    renameSync(temporary, out);
    process.stderr.write(`written to ${out}\n`);
  }
}

await main();
