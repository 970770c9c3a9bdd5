// Throughput of the wasm gradient kernels against the forward convolution.
//   npx tsx bench/kernels.ts            (all shapes)
//   npx tsx bench/kernels.ts --quick    (fewer repetitions)
//   npx tsx bench/kernels.ts --xnnpack  (filter and input gradients without the SIMD loops, for comparison)
//   npx tsx bench/kernels.ts --only dw  (only the layers whose name contains "dw"; repeatable)
//
// Times are CPU time of this process (see cpuNow), averaged over interleaved rounds.
// GFLOP/s counts the useful multiply-adds of the layer (2·N·oH·oW·kh·kw·Cin·Cout,
// depthwise: 2·N·oH·oW·kh·kw·C·m) for every kernel, so the numbers compare
// directly. "dx/fwd", "dW/fwd" = backward GFLOP/s / forward GFLOP/s; "builtin dx"
// is the wasm backend's own Conv2DBackpropInput (one call). At the end: time of
// forward + tf.grads through batchNorm with the built-in vs the fast gradient.

import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import {registerFastBatchNormGradient} from "../src/lib/kernels/batchnorm-gradient.js";
import {filterGradientStrategyOverride} from "../src/lib/kernels/conv-backprop-filter.js";
import {inputGradientStrategyOverride} from "../src/lib/kernels/conv-backprop-input.js";
import {registerWasmGradientKernels} from "../src/lib/kernels/wasm-gradients.js";

const quick = process.argv.includes("--quick");
const xnnpackOnly = process.argv.includes("--xnnpack");
if (xnnpackOnly) {
  filterGradientStrategyOverride.simd = false;
  inputGradientStrategyOverride.simd = false;
}
const onlyNames = process.argv.flatMap((arg, i) => (arg === "--only" && i + 1 < process.argv.length ? [process.argv[i + 1]] : []));

interface Layer {
  name: string;
  batch: number;
  size: number;
  inChannels: number;
  outChannels: number; // depthwise: channel multiplier
  kernel: number;
  stride: number;
  depthwise?: boolean;
}

const layers: Layer[] = [
  {name: "b32 64²x16→32 3x3", batch: 32, size: 64, inChannels: 16, outChannels: 32, kernel: 3, stride: 1},
  {name: "b32 32²x32→64 3x3", batch: 32, size: 32, inChannels: 32, outChannels: 64, kernel: 3, stride: 1},
  {name: "b32 16²x64→128 3x3", batch: 32, size: 16, inChannels: 64, outChannels: 128, kernel: 3, stride: 1},
  {name: "b32 8²x128→128 3x3", batch: 32, size: 8, inChannels: 128, outChannels: 128, kernel: 3, stride: 1},
  {name: "b1 56²x128→128 3x3", batch: 1, size: 56, inChannels: 128, outChannels: 128, kernel: 3, stride: 1},
  {name: "b1 28²x256→256 3x3", batch: 1, size: 28, inChannels: 256, outChannels: 256, kernel: 3, stride: 1},
  {name: "b32 32²x64→64 1x1", batch: 32, size: 32, inChannels: 64, outChannels: 64, kernel: 1, stride: 1},
  {name: "b32 64²x16→32 3x3 s2", batch: 32, size: 64, inChannels: 16, outChannels: 32, kernel: 3, stride: 2},
  {name: "b32 32²x64→128 3x3 s2", batch: 32, size: 32, inChannels: 64, outChannels: 128, kernel: 3, stride: 2},
  {name: "b32 32²x64→128 1x1 s2", batch: 32, size: 32, inChannels: 64, outChannels: 128, kernel: 1, stride: 2},
  {name: "b1 112²x64→128 3x3 s2", batch: 1, size: 112, inChannels: 64, outChannels: 128, kernel: 3, stride: 2},
  {name: "b4 224²x3→64 7x7 s2", batch: 4, size: 224, inChannels: 3, outChannels: 64, kernel: 7, stride: 2},
  {name: "dw b32 64²x32 3x3", batch: 32, size: 64, inChannels: 32, outChannels: 1, kernel: 3, stride: 1, depthwise: true},
  {name: "dw b32 32²x64 3x3 s2", batch: 32, size: 32, inChannels: 64, outChannels: 1, kernel: 3, stride: 2, depthwise: true},
  {name: "dw b1 112²x32 3x3", batch: 1, size: 112, inChannels: 32, outChannels: 1, kernel: 3, stride: 1, depthwise: true},
  {name: "dw b8 32²x32x2 5x5", batch: 8, size: 32, inChannels: 32, outChannels: 2, kernel: 5, stride: 1, depthwise: true}
];

/**
 * CPU time (user + system) of this process in milliseconds. The wasm backend
 * runs on one thread, so on an idle machine this equals wall time; on a shared
 * machine it leaves out the time other processes hold the CPU. It may be
 * accounted in scheduler ticks (~4 ms), so each measurement below spans many
 * calls.
 */
function cpuNow(): number {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
}

/** Warm-up calls per function: XNNPACK operator creation, heap growth, V8 tiering up generated wasm. */
const WARM_UP_CALLS = 4;

/**
 * Average CPU milliseconds per call of each function: after warm-up calls,
 * `rounds` interleaved rounds, each running every function for ~`windowMs`.
 * (The SIMD filter-gradient loops are compiled on first use and run unoptimised
 * until V8 has compiled them again in the background: a few calls.)
 */
function timeInterleaved(runs: (() => void)[], rounds: number, windowMs = 60): number[] {
  const callsPerRound = runs.map((run) => {
    let last = 0;
    for (let call = 0; call < WARM_UP_CALLS; call++) {
      const start = performance.now();
      run();
      last = performance.now() - start;
    }
    return Math.max(1, Math.ceil(windowMs / Math.max(last, 0.01)));
  });
  const total = runs.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    runs.forEach((run, i) => {
      const start = cpuNow();
      for (let call = 0; call < callsPerRound[i]; call++) run();
      total[i] += cpuNow() - start;
    });
  }
  return total.map((ms, i) => ms / (rounds * callsPerRound[i]));
}

function randomTensor(shape: number[]): tf.Tensor4D {
  return tf.randomUniform(shape, -1, 1, "float32") as tf.Tensor as tf.Tensor4D;
}

async function main(): Promise<void> {
  await tf.setBackend("wasm");
  await tf.ready();
  const builtinBackpropInput = tf.getKernel("Conv2DBackpropInput", "wasm")!.kernelFunc;
  registerWasmGradientKernels();
  const backend = tf.backend() as unknown as {disposeData(dataId: object): void};

  const header = ["layer", "fwd GF/s", "dx GF/s", "dx/fwd", "builtin dx", "dW GF/s", "dW/fwd"];
  const rows: string[][] = [];
  console.log(
    `tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}, simd ${tf.env().getBool("WASM_HAS_SIMD_SUPPORT")}, ` +
      `threads ${tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT")}, filter and input gradients: ` +
      (xnnpackOnly ? "XNNPACK only" : "SIMD loops where available")
  );

  for (const layer of layers) {
    if (onlyNames.length > 0 && !onlyNames.some((name) => layer.name.includes(name))) continue;
    const {batch, size, inChannels, kernel, stride} = layer;
    const outSize = Math.ceil(size / stride);
    const outChannels = layer.depthwise ? inChannels * layer.outChannels : layer.outChannels;
    const filterShape = layer.depthwise ? [kernel, kernel, inChannels, layer.outChannels] : [kernel, kernel, inChannels, outChannels];
    const flops = 2 * batch * outSize * outSize * kernel * kernel * inChannels * (layer.depthwise ? layer.outChannels : outChannels);
    const x = randomTensor([batch, size, size, inChannels]);
    const filter = randomTensor(filterShape);
    const dy = randomTensor([batch, outSize, outSize, outChannels]);
    const rounds = quick ? 1 : 3;
    const attrs = {strides: [stride, stride], pad: "same", dataFormat: "NHWC", dilations: [1, 1]};
    const run = (name: string, inputs: tf.NamedTensorMap, extra: tf.NamedAttrMap) => () => {
      // The wasm backend computes synchronously; reading the result back
      // (dataSync) would add a copy proportional to the output size.
      const out = tf.engine().runKernel(name, inputs, {...attrs, ...extra}) as tf.Tensor;
      out.dispose();
    };
    const forward = layer.depthwise ? run("DepthwiseConv2dNative", {x, filter}, {}) : run("Conv2D", {x, filter}, {});
    const backpropInput = layer.depthwise
      ? run("DepthwiseConv2dNativeBackpropInput", {dy, filter}, {inputShape: x.shape})
      : run("Conv2DBackpropInput", {dy, filter}, {inputShape: x.shape});
    const backpropFilter = layer.depthwise
      ? run("DepthwiseConv2dNativeBackpropFilter", {x, dy}, {filterShape})
      : run("Conv2DBackpropFilter", {x, dy}, {filterShape});

    const gflops = (ms: number) => flops / ms / 1e6;
    const [forwardRate, inputRate, filterRate] = timeInterleaved([forward, backpropInput, backpropFilter], rounds).map(gflops);
    let builtinRate = "-";
    if (!layer.depthwise && flops < 1.5e9) {
      const builtin = () => {
        const out = builtinBackpropInput({inputs: {dy, filter}, backend, attrs: {...attrs, inputShape: x.shape}});
        backend.disposeData((out as tf.TensorInfo).dataId);
      };
      const start = cpuNow();
      builtin();
      builtinRate = gflops(cpuNow() - start).toFixed(2);
    }
    rows.push([
      layer.name,
      forwardRate.toFixed(2),
      inputRate.toFixed(2),
      `${Math.round((100 * inputRate) / forwardRate)}%`,
      builtinRate,
      filterRate.toFixed(2),
      `${Math.round((100 * filterRate) / forwardRate)}%`
    ]);
    console.log(rows[rows.length - 1].join(" | "));
    tf.dispose([x, filter, dy]);
  }

  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join("  ");
  console.log();
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  if (onlyNames.length === 0) benchBatchNormGradient(); // --only: just the layers asked for
  console.log(`\ntensors alive at end: ${tf.memory().numTensors}`);
}

/** tf.grads through batchNorm on a 32x32x32x64 activation: built-in gradient vs registerFastBatchNormGradient. */
function benchBatchNormGradient(): void {
  const shape = [32, 32, 32, 64];
  const x = randomTensor(shape);
  const weights = randomTensor(shape);
  const offset = tf.zeros([64]);
  const scale = tf.ones([64]);
  const gradients = (training: boolean) => () =>
    tf.tidy(() => {
      const loss = (input: tf.Tensor, beta: tf.Tensor, gamma: tf.Tensor) => {
        const moments = training ? tf.moments(input, [0, 1, 2]) : {mean: tf.zeros([64]), variance: tf.ones([64])};
        return tf.batchNorm(input, moments.mean, moments.variance, beta, gamma, 1e-3).mul(weights).sum();
      };
      tf.grads(loss as (...args: tf.Tensor[]) => tf.Tensor)([x, offset, scale]).forEach((g) => g.dispose());
    });
  const builtIn = tf.getGradient(tf.FusedBatchNorm);
  const [builtInTraining, builtInFixed] = timeInterleaved([gradients(true), gradients(false)], quick ? 1 : 3);
  registerFastBatchNormGradient();
  const [fastTraining, fastFixed] = timeInterleaved([gradients(true), gradients(false)], quick ? 1 : 3);
  tf.registerGradient(builtIn);
  console.log(`\nbatchNorm forward+tf.grads on [${shape}] (ms):`);
  console.log(`  batch statistics (tf.moments):  built-in ${builtInTraining.toFixed(1)}  fast ${fastTraining.toFixed(1)}`);
  console.log(`  fixed mean/variance:            built-in ${builtInFixed.toFixed(1)}  fast ${fastFixed.toFixed(1)}`);
  tf.dispose([x, weights, offset, scale]);
}

await main();
