// The wasm gradient kernels (src/lib/kernels) against the cpu backend.
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import {beforeAll, describe, expect, it} from "vitest";
import {filterGradGeometry, inputGradPhases} from "../src/lib/kernels/conv-geometry.js";
import {convInputGradStrategy, fastDepthwiseKernelSize, inputGradientStrategyOverride} from "../src/lib/kernels/conv-backprop-input.js";
import {filterGradientStrategyOverride} from "../src/lib/kernels/conv-backprop-filter.js";
import {asWasmBackend, simplifyTranspose} from "../src/lib/kernels/wasm-backend-internals.js";
import {depthwiseAccumulateModule, outerAccumulateModule, simdKernelsAvailable} from "../src/lib/kernels/simd-kernels.js";
import {registerWasmGradientKernels, wasmGradientKernelNames} from "../src/lib/kernels/wasm-gradients.js";
import {columnsAccumulateModule, depthwiseGatherModule} from "../src/lib/kernels/simd-input-gradient-kernels.js";
import {registerFastBatchNormGradient} from "../src/lib/kernels/batchnorm-gradient.js";

type Pad = "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
type Shape4 = [number, number, number, number];

/** Deterministic values in [-0.5, 0.5). */
function values(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let state = seed >>> 0;
  for (let i = 0; i < size; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state / 4294967296 - 0.5;
  }
  return out;
}

const sizeOf = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Runs `compute` on a backend and returns the result's values and shape (inputs are created inside). */
async function on(backend: "cpu" | "wasm", compute: () => tf.Tensor): Promise<{data: Float32Array; shape: number[]}> {
  await tf.setBackend(backend);
  const result = tf.tidy(compute);
  const data = Float32Array.from(await result.data());
  const shape = result.shape;
  result.dispose();
  return {data, shape};
}

/** max |actual - expected| / max |expected| */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  let scale = 0;
  let error = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    error = Math.max(error, Math.abs(actual[i] - expected[i]));
  }
  return error / Math.max(scale, 1e-30);
}

async function expectSameOnBothBackends(compute: () => tf.Tensor, tolerance = 1e-4, wasmVariants: (() => void)[] = [() => {}]): Promise<void> {
  const expected = await on("cpu", compute);
  expect(sizeOf(expected.shape)).toBeGreaterThan(0);
  for (const prepare of wasmVariants) {
    prepare();
    const actual = await on("wasm", compute);
    expect(actual.shape).toEqual(expected.shape);
    expect(relativeError(actual.data, expected.data)).toBeLessThan(tolerance);
  }
}

function forwardOutputShape(xShape: Shape4, filterShape: Shape4, stride: number, pad: Pad, depthwise: boolean): Shape4 {
  const info = tf.backend_util.computeConv2DInfo(xShape, filterShape, stride, 1, pad, undefined, depthwise);
  return info.outShape as Shape4;
}

interface ConvCase {
  batch: number;
  height: number;
  width: number;
  inChannels: number;
  outChannels: number; // channel multiplier for depthwise cases
  kernel: number;
  stride: number;
  pad: Pad;
}

const convCases: ConvCase[] = [
  {batch: 1, height: 5, width: 5, inChannels: 1, outChannels: 1, kernel: 3, stride: 1, pad: "same"},
  {batch: 2, height: 7, width: 6, inChannels: 3, outChannels: 5, kernel: 3, stride: 1, pad: "same"},
  {batch: 2, height: 7, width: 6, inChannels: 3, outChannels: 5, kernel: 3, stride: 1, pad: "valid"},
  {batch: 2, height: 8, width: 8, inChannels: 4, outChannels: 6, kernel: 3, stride: 2, pad: "same"},
  {batch: 2, height: 9, width: 7, inChannels: 4, outChannels: 6, kernel: 3, stride: 2, pad: "same"},
  {batch: 2, height: 9, width: 7, inChannels: 4, outChannels: 6, kernel: 3, stride: 2, pad: "valid"},
  {batch: 3, height: 8, width: 9, inChannels: 3, outChannels: 4, kernel: 1, stride: 1, pad: "same"},
  {batch: 2, height: 8, width: 9, inChannels: 5, outChannels: 4, kernel: 1, stride: 2, pad: "same"},
  {batch: 2, height: 9, width: 9, inChannels: 3, outChannels: 4, kernel: 1, stride: 2, pad: "valid"},
  {batch: 1, height: 11, width: 10, inChannels: 2, outChannels: 3, kernel: 5, stride: 1, pad: "same"},
  {batch: 2, height: 11, width: 10, inChannels: 2, outChannels: 3, kernel: 5, stride: 2, pad: "same"},
  {batch: 1, height: 12, width: 13, inChannels: 3, outChannels: 4, kernel: 7, stride: 2, pad: "same"},
  {batch: 2, height: 15, width: 14, inChannels: 3, outChannels: 8, kernel: 7, stride: 2, pad: "valid"},
  {batch: 2, height: 9, width: 9, inChannels: 2, outChannels: 3, kernel: 7, stride: 1, pad: "same"},
  {
    batch: 2,
    height: 8,
    width: 7,
    inChannels: 3,
    outChannels: 4,
    kernel: 3,
    stride: 1,
    pad: [
      [0, 0],
      [1, 2],
      [0, 3],
      [0, 0]
    ]
  },
  {
    batch: 2,
    height: 9,
    width: 8,
    inChannels: 3,
    outChannels: 4,
    kernel: 3,
    stride: 2,
    pad: [
      [0, 0],
      [2, 0],
      [1, 1],
      [0, 0]
    ]
  },
  // Padding larger than the kernel: leading correlation outputs are skipped.
  {
    batch: 1,
    height: 6,
    width: 6,
    inChannels: 2,
    outChannels: 2,
    kernel: 3,
    stride: 1,
    pad: [
      [0, 0],
      [3, 3],
      [4, 0],
      [0, 0]
    ]
  },
  {batch: 1, height: 10, width: 11, inChannels: 2, outChannels: 3, kernel: 4, stride: 2, pad: "same"},
  {batch: 1, height: 11, width: 10, inChannels: 2, outChannels: 3, kernel: 2, stride: 3, pad: "valid"},
  // Stride larger than the kernel: some dx positions get no gradient at all.
  {batch: 2, height: 10, width: 10, inChannels: 2, outChannels: 3, kernel: 3, stride: 4, pad: "valid"},
  // Batches split into several chunks (with batch padding) in the filter gradient.
  {batch: 5, height: 24, width: 24, inChannels: 24, outChannels: 20, kernel: 3, stride: 1, pad: "same"},
  {batch: 6, height: 60, width: 58, inChannels: 16, outChannels: 8, kernel: 3, stride: 2, pad: "same"},
  {batch: 3, height: 12, width: 11, inChannels: 96, outChannels: 80, kernel: 3, stride: 2, pad: "same"},
  {batch: 6, height: 32, width: 32, inChannels: 8, outChannels: 16, kernel: 1, stride: 1, pad: "valid"},
  // 1x1 with stride 2 on odd sizes; channel counts that are no multiple of the 4x8 SIMD tiles.
  {batch: 3, height: 9, width: 11, inChannels: 6, outChannels: 10, kernel: 1, stride: 2, pad: "valid"},
  {batch: 2, height: 11, width: 7, inChannels: 7, outChannels: 13, kernel: 1, stride: 2, pad: "same"},
  {batch: 2, height: 13, width: 9, inChannels: 5, outChannels: 6, kernel: 3, stride: 2, pad: "same"},
  // Wide rows with many channels: the SIMD filter gradient splits rows into column blocks.
  {batch: 2, height: 5, width: 70, inChannels: 40, outChannels: 12, kernel: 3, stride: 2, pad: "same"},
  {batch: 1, height: 6, width: 45, inChannels: 72, outChannels: 16, kernel: 3, stride: 1, pad: "same"},
  // Few input channels (the input gradient's matrix product + scatter-add): odd sizes, padding on all sides,
  // several blocks of dy rows per image, runs of kernel width * channels that are no multiple of 4.
  {batch: 3, height: 23, width: 21, inChannels: 3, outChannels: 16, kernel: 7, stride: 2, pad: "same"},
  {
    batch: 2,
    height: 13,
    width: 17,
    inChannels: 1,
    outChannels: 9,
    kernel: 5,
    stride: 2,
    pad: [
      [0, 0],
      [1, 3],
      [2, 0],
      [0, 0]
    ]
  },
  {batch: 2, height: 10, width: 9, inChannels: 6, outChannels: 12, kernel: 3, stride: 3, pad: "same"},
  {batch: 2, height: 40, width: 300, inChannels: 3, outChannels: 24, kernel: 3, stride: 1, pad: "same"}
];

const inputGradientStrategies = [true, false, undefined].map((simd) => () => {
  inputGradientStrategyOverride.simd = simd;
});

const describeCase = (c: ConvCase) => `n${c.batch} ${c.height}x${c.width} ${c.inChannels}->${c.outChannels} k${c.kernel} s${c.stride} ${JSON.stringify(c.pad)}`;

beforeAll(async () => {
  await tf.setBackend("wasm");
  await tf.ready();
  registerWasmGradientKernels();
});

describe("pure geometry", () => {
  it("splits the input gradient of stride 2 into two phases with the right taps", () => {
    // 3x3, stride 2, SAME on 8 positions: pad before 0.
    const phases = inputGradPhases(8, 4, 3, 2, 0);
    expect(phases.map((p) => p.taps)).toEqual([[2, 0], [1]]);
    expect(phases.map((p) => p.count)).toEqual([4, 4]);
  });

  it("is a flipped full kernel for stride 1", () => {
    const [phase] = inputGradPhases(7, 7, 5, 1, 2);
    expect(phase.taps).toEqual([4, 3, 2, 1, 0]);
    expect([phase.padBefore, phase.padAfter, phase.offset]).toEqual([2, 2, 0]);
  });

  it("shares padding between neighbouring images in the filter gradient", () => {
    const geometry = filterGradGeometry(7, 7, 3, 1, 1); // 3x3 SAME on 7
    expect(geometry.extent).toBe(8); // 7 + one shared zero row, not 7 + 2
    expect(geometry.padBefore + 7 + geometry.padAfter).toBe(8);
  });

  it("merges transpose axes and avoids the slow strided 2-D case", () => {
    expect(simplifyTranspose([2, 1, 3, 4], [0, 3, 1, 2])).toEqual({shape: [2, 3, 4], perm: [0, 2, 1]});
    expect(simplifyTranspose([5, 1024, 8], [0, 2, 1])).toEqual({shape: [5, 2, 512, 8], perm: [0, 3, 1, 2]});
  });

  it("computes input gradients with few input channels as one product, others as phase correlations", () => {
    const strategy = (xShape: Shape4, filterShape: Shape4, stride: number, pad: Pad = "same") =>
      convInputGradStrategy(tf.backend_util.computeConv2DInfo(xShape, filterShape, stride, 1, pad), true);
    expect(strategy([4, 224, 224, 3], [7, 7, 3, 64], 2)).toBe("columns"); // RGB stem
    expect(strategy([2, 224, 224, 3], [3, 3, 3, 64], 1)).toBe("columns");
    expect(strategy([32, 64, 64, 16], [3, 3, 16, 32], 2)).toBe("columns"); // 4 phases to interleave, equal tiles
    expect(strategy([32, 64, 64, 16], [3, 3, 16, 32], 1)).toBe("separate"); // one correlation, equal tiles
    expect(strategy([32, 32, 32, 64], [1, 1, 64, 128], 2)).toBe("separate"); // one phase
    expect(strategy([32, 32, 32, 64], [3, 3, 64, 128], 2)).toBe("separate"); // columns too long for the loop
    expect(convInputGradStrategy(tf.backend_util.computeConv2DInfo([4, 224, 224, 3], [7, 7, 3, 64], 2, 1, "same"), false)).toBe("combined"); // without the SIMD loop
  });

  it("pads depthwise sub-kernels to sizes XNNPACK runs fast", () => {
    expect(fastDepthwiseKernelSize(2, 1)).toEqual([3, 1]);
    expect(fastDepthwiseKernelSize(2, 2)).toEqual([2, 2]);
    expect(fastDepthwiseKernelSize(4, 4)).toEqual([5, 5]);
  });
});

describe("generated SIMD loops", () => {
  it("are available on the Node wasm backend (so the tests above exercise them)", async () => {
    await tf.setBackend("wasm");
    expect(simdKernelsAvailable(asWasmBackend(tf.backend()))).toBe(true);
  });

  it("stay under the 4 KB browsers compile synchronously, for any kernel size", () => {
    expect(outerAccumulateModule().length).toBeLessThan(4096);
    // Worst cases the input-gradient paths generate: 49 taps with a partial vector; 96 unrolled additions.
    expect(depthwiseGatherModule({channels: 1023, dxStep: 8 * 4092, dyRowBytes: 4 * 1023 * 600, tapsHeight: 7, tapsWidth: 7}).length).toBeLessThan(4096);
    expect(() => depthwiseGatherModule({channels: 8, dxStep: 32, dyRowBytes: 320, tapsHeight: 8, tapsWidth: 7})).toThrow(/taps/);
    for (const [kernelHeight, runFloats] of [
      [32, 3],
      [3, 124],
      [7, 21],
      [8, 35]
    ]) {
      expect(columnsAccumulateModule({runFloats, kernelHeight, dxStep: 4 * runFloats, dxRowBytes: 4 * 1024 * 1024}).length).toBeLessThan(4096);
    }
    expect(() => columnsAccumulateModule({runFloats: 7, kernelHeight: 33, dxStep: 4, dxRowBytes: 4096})).toThrow(/column/);
    for (const size of [1, 3, 5, 7, 11, 15]) {
      const layout = {pixelBytes: 4 * 1024, vectors: 256, xStep: 8 * 1024, xKhStep: 4 * 1024 * 512, kernelHeight: size, kernelWidth: size};
      expect(depthwiseAccumulateModule(layout).length).toBeLessThan(4096);
    }
  });
});

describe("registration", () => {
  it("registers all kernels for wasm and is idempotent", () => {
    const before = wasmGradientKernelNames.map((name) => tf.getKernel(name, "wasm")?.kernelFunc);
    registerWasmGradientKernels();
    const after = wasmGradientKernelNames.map((name) => tf.getKernel(name, "wasm")?.kernelFunc);
    expect(before.every((fn) => typeof fn === "function")).toBe(true);
    expect(after).toEqual(before);
  });
});

describe("Conv2DBackpropInput and Conv2DBackpropFilter", () => {
  for (const c of convCases) {
    it(describeCase(c), async () => {
      const xShape: Shape4 = [c.batch, c.height, c.width, c.inChannels];
      const filterShape: Shape4 = [c.kernel, c.kernel, c.inChannels, c.outChannels];
      const dyShape = forwardOutputShape(xShape, filterShape, c.stride, c.pad, false);
      const xValues = values(sizeOf(xShape), 1);
      const filterValues = values(sizeOf(filterShape), 2);
      const dyValues = values(sizeOf(dyShape), 3);
      // The SIMD input-gradient paths where they apply, the XNNPACK sub-pixel formulation, then the automatic choice.
      await expectSameOnBothBackends(
        () => tf.conv2dTranspose(tf.tensor4d(dyValues, dyShape), tf.tensor4d(filterValues, filterShape), xShape, c.stride, c.pad),
        1e-4,
        inputGradientStrategies
      );
      // The SIMD loops, both XNNPACK layouts (x shifted / dy shifted), then the automatic choice.
      const strategies = (
        [
          [true, undefined],
          [false, "input"],
          [false, "outputGradient"],
          [undefined, undefined]
        ] as const
      ).map(([simd, shifted]) => () => {
        filterGradientStrategyOverride.simd = simd;
        filterGradientStrategyOverride.shifted = shifted;
      });
      await expectSameOnBothBackends(
        () =>
          tf
            .engine()
            .runKernel(
              "Conv2DBackpropFilter",
              {x: tf.tensor4d(xValues, xShape), dy: tf.tensor4d(dyValues, dyShape)},
              {strides: [c.stride, c.stride], pad: c.pad, dataFormat: "NHWC", filterShape}
            ) as tf.Tensor,
        1e-4,
        strategies
      );
    });
  }
});

describe("DepthwiseConv2dNativeBackpropInput and DepthwiseConv2dNativeBackpropFilter", () => {
  const depthwiseCases = convCases.filter((c) => c.inChannels <= 8).flatMap((c) => [1, 2].map((multiplier) => ({...c, outChannels: multiplier})));
  depthwiseCases.push({batch: 3, height: 16, width: 16, inChannels: 40, outChannels: 1, kernel: 3, stride: 1, pad: "same"});
  depthwiseCases.push({batch: 2, height: 14, width: 14, inChannels: 24, outChannels: 3, kernel: 5, stride: 2, pad: "same"});
  // Padding on all four sides, odd channel counts, multipliers 3 and 4, 7x7 (one kernel row per pass).
  depthwiseCases.push({batch: 2, height: 13, width: 11, inChannels: 36, outChannels: 1, kernel: 3, stride: 2, pad: "same"});
  depthwiseCases.push({batch: 2, height: 12, width: 10, inChannels: 13, outChannels: 1, kernel: 5, stride: 1, pad: "same"});
  depthwiseCases.push({batch: 1, height: 9, width: 10, inChannels: 5, outChannels: 3, kernel: 3, stride: 1, pad: "valid"});
  depthwiseCases.push({batch: 2, height: 11, width: 12, inChannels: 6, outChannels: 4, kernel: 7, stride: 2, pad: "same"});
  depthwiseCases.push({
    batch: 2,
    height: 10,
    width: 9,
    inChannels: 9,
    outChannels: 1,
    kernel: 3,
    stride: 2,
    pad: [
      [0, 0],
      [2, 3],
      [0, 1],
      [0, 0]
    ]
  });
  // The input gradient's SIMD gather: channel counts with 1-3 lanes left over, stride 3, 7x7 at stride 1
  // (49 taps, the most it unrolls), 9x9 at stride 1 (too many taps: the XNNPACK path).
  depthwiseCases.push({batch: 3, height: 15, width: 13, inChannels: 30, outChannels: 1, kernel: 3, stride: 2, pad: "same"});
  depthwiseCases.push({batch: 2, height: 14, width: 17, inChannels: 11, outChannels: 1, kernel: 5, stride: 3, pad: "valid"});
  depthwiseCases.push({batch: 2, height: 12, width: 9, inChannels: 7, outChannels: 1, kernel: 7, stride: 1, pad: "same"});
  depthwiseCases.push({batch: 1, height: 11, width: 12, inChannels: 6, outChannels: 1, kernel: 9, stride: 1, pad: "same"});
  depthwiseCases.push({
    batch: 2,
    height: 16,
    width: 15,
    inChannels: 20,
    outChannels: 1,
    kernel: 4,
    stride: 2,
    pad: [
      [0, 0],
      [0, 3],
      [2, 1],
      [0, 0]
    ]
  });
  // Wide rows: the SIMD filter gradient copies x in several bands of rows per image, in column blocks.
  depthwiseCases.push({batch: 2, height: 27, width: 70, inChannels: 64, outChannels: 1, kernel: 3, stride: 1, pad: "same"});
  for (const c of depthwiseCases) {
    it(`${describeCase(c)} (multiplier ${c.outChannels})`, async () => {
      const xShape: Shape4 = [c.batch, c.height, c.width, c.inChannels];
      const filterShape: Shape4 = [c.kernel, c.kernel, c.inChannels, c.outChannels];
      const dyShape = forwardOutputShape(xShape, filterShape, c.stride, c.pad, true);
      const xValues = values(sizeOf(xShape), 4);
      const filterValues = values(sizeOf(filterShape), 5);
      const dyValues = values(sizeOf(dyShape), 6);
      const attrs = {strides: [c.stride, c.stride], pad: c.pad, dilations: [1, 1]};
      await expectSameOnBothBackends(
        () =>
          tf
            .engine()
            .runKernel(
              "DepthwiseConv2dNativeBackpropInput",
              {dy: tf.tensor4d(dyValues, dyShape), filter: tf.tensor4d(filterValues, filterShape)},
              {...attrs, inputShape: xShape}
            ) as tf.Tensor,
        1e-4,
        inputGradientStrategies
      );
      // The SIMD loops, the XNNPACK formulation, then the automatic choice.
      const strategies = [true, false, undefined].map((simd) => () => {
        filterGradientStrategyOverride.simd = simd;
        filterGradientStrategyOverride.shifted = undefined;
      });
      await expectSameOnBothBackends(
        () =>
          tf
            .engine()
            .runKernel(
              "DepthwiseConv2dNativeBackpropFilter",
              {x: tf.tensor4d(xValues, xShape), dy: tf.tensor4d(dyValues, dyShape)},
              {...attrs, filterShape}
            ) as tf.Tensor,
        1e-4,
        strategies
      );
    });
  }
});

describe("UnsortedSegmentSum", () => {
  it("drops negative and out-of-range ids like the cpu backend", async () => {
    const ids = [0, 2, -1, 1, 4, 2, 0, 3, -5, 7];
    await expectSameOnBothBackends(() => tf.unsortedSegmentSum(tf.tensor2d(values(30, 7), [10, 3]), tf.tensor1d(ids, "int32"), 5));
    await expectSameOnBothBackends(() => tf.unsortedSegmentSum(tf.tensor1d(values(10, 8)), tf.tensor1d(ids, "int32"), 3));
  });

  it("handles int32 data and segment ids shaped like x", async () => {
    // cpu semantics: ids pair element-wise with x and only axis 0 is summed.
    const x = [
      [1, 2, 3],
      [4, 5, 6]
    ];
    await expectSameOnBothBackends(() =>
      tf.unsortedSegmentSum(
        tf.tensor2d(x),
        tf.tensor2d(
          [
            [0, 1, -1],
            [1, 1, 2]
          ],
          [2, 3],
          "int32"
        ) as tf.Tensor as tf.Tensor1D,
        3
      )
    );
    await tf.setBackend("wasm");
    const summed = tf.unsortedSegmentSum(
      tf.tensor2d(
        [
          [1, 2],
          [3, 4],
          [5, 6]
        ],
        [3, 2],
        "int32"
      ),
      tf.tensor1d([1, 1, 0], "int32"),
      2
    );
    expect(summed.dtype).toBe("int32");
    expect(await summed.array()).toEqual([
      [5, 6],
      [4, 6]
    ]);
    summed.dispose();
  });

  it("gives the gradient of gather", async () => {
    await expectSameOnBothBackends(() => {
      const params = tf.tensor2d(values(24, 9), [6, 4]);
      const indices = tf.tensor1d([5, 0, 0, 3, 5, 5], "int32");
      return tf.grad((p: tf.Tensor) => tf.gather(p, indices).square().sum())(params);
    });
  });
});

describe("MaxPoolGrad", () => {
  // The built-in wasm kernel sends every tied window's gradient to element 0.
  it("routes each window to its first maximum, ties and padding included, like cpu", async () => {
    const zeros = () => tf.grad((t: tf.Tensor) => tf.sum(tf.maxPool(t as tf.Tensor4D, 2, 2, "valid")))(tf.zeros([1, 4, 4, 2]));
    await expectSameOnBothBackends(zeros);
    await tf.setBackend("wasm");
    const sum = tf.sum(zeros());
    expect((await sum.data())[0]).toBe(8);
    sum.dispose();
    for (const [size, stride, pad] of [
      [2, 2, "valid"],
      [3, 2, "same"],
      [3, 1, "same"],
      [2, 1, "valid"]
    ] as const) {
      // Quantised values make ties common.
      const x = tf.tensor4d(
        Array.from(values(2 * 7 * 5 * 3, 11 + size), (v) => Math.round(v * 2) / 2),
        [2, 7, 5, 3]
      );
      await expectSameOnBothBackends(() =>
        tf.grad((t: tf.Tensor) => {
          // Distinct weights per output cell, so a gradient routed to the wrong cell shows.
          const pooled = tf.maxPool(t as tf.Tensor4D, size, stride, pad);
          return tf.sum(tf.mul(pooled, tf.range(1, pooled.size + 1).reshape(pooled.shape)));
        })(x)
      );
    }
  });
});

describe("gradients end to end", () => {
  it("matches tf.grads of a small conv net (conv s2, depthwise, conv) on cpu", async () => {
    const xShape: Shape4 = [2, 13, 12, 3];
    const shapes: Shape4[] = [
      [3, 3, 3, 8],
      [3, 3, 8, 2],
      [1, 1, 16, 5]
    ];
    const net = (x: tf.Tensor4D, w1: tf.Tensor4D, w2: tf.Tensor4D, w3: tf.Tensor4D) => {
      const a = tf.relu(tf.conv2d(x, w1, 2, "same"));
      const b = tf.tanh(tf.depthwiseConv2d(a, w2, 1, "same"));
      return tf.conv2d(b, w3, 1, "valid").square().mean();
    };
    const inputs = () => [tf.tensor4d(values(sizeOf(xShape), 10), xShape), ...shapes.map((shape, i) => tf.tensor4d(values(sizeOf(shape), 11 + i), shape))];
    for (let which = 0; which < 4; which++) {
      await expectSameOnBothBackends(() => {
        const grads = tf.grads((x, w1, w2, w3) => net(x as tf.Tensor4D, w1 as tf.Tensor4D, w2 as tf.Tensor4D, w3 as tf.Tensor4D))(inputs());
        return grads[which];
      }, 2e-4);
    }
  });
});

describe("batch-norm gradient", () => {
  /** All gradients of batchNorm w.r.t. [x, mean, variance, offset, scale], concatenated and flattened. */
  const allGradients = (xShape: number[], withScale: boolean, training: boolean) => () => {
    const channels = xShape[xShape.length - 1];
    const x = tf.tensor(values(sizeOf(xShape), 30), xShape);
    const mean = tf.tensor1d(values(channels, 31));
    const variance = tf.tensor1d(values(channels, 32)).abs().add(0.1);
    const offset = tf.tensor1d(values(channels, 33));
    const scale = tf.tensor1d(values(channels, 34)).add(1);
    const weights = tf.tensor(values(sizeOf(xShape), 35), xShape);
    // Differentiate w.r.t. the inputs that reach the output (mean/variance come from x when training).
    const inputs = [x, ...(training ? [] : [mean, variance]), offset, ...(withScale ? [scale] : [])];
    const f = (...args: tf.Tensor[]) => {
      const [xx, ...rest] = args;
      const [m, v] = training ? [] : rest.splice(0, 2);
      const [o, s] = rest;
      const moments = training
        ? tf.moments(
            xx,
            xShape.slice(0, -1).map((_, axis) => axis)
          )
        : null;
      return tf
        .batchNorm(xx, moments?.mean ?? m, moments?.variance ?? v, o, s, 1e-3)
        .mul(weights)
        .sum();
    };
    const grads = tf.grads(f)(inputs);
    return tf.concat(grads.map((g) => g.flatten()));
  };
  // (Without scale, tfjs 4.22 cannot differentiate batchNorm at all: the engine
  // fails saving the missing input for the gradient, built-in or not.)
  const configurations: [number[], boolean, boolean][] = [
    [[2, 5, 4, 3], true, false],
    [[6, 3], true, false],
    [[3, 4, 4, 8], true, true]
  ];

  it("matches the built-in gradient (cpu and wasm)", async () => {
    const builtIn = tf.getGradient(tf.FusedBatchNorm);
    const expected = [];
    for (const [shape, withScale, training] of configurations) expected.push(await on("cpu", allGradients(shape, withScale, training)));
    registerFastBatchNormGradient();
    registerFastBatchNormGradient(); // idempotent
    try {
      expect(tf.getGradient(tf.FusedBatchNorm)).not.toBe(builtIn);
      for (const [i, [shape, withScale, training]] of configurations.entries()) {
        for (const backend of ["cpu", "wasm"] as const) {
          const actual = await on(backend, allGradients(shape, withScale, training));
          expect(actual.shape).toEqual(expected[i].shape);
          expect(relativeError(actual.data, expected[i].data)).toBeLessThan(1e-4);
        }
      }
    } finally {
      tf.registerGradient(builtIn);
    }
  });
});

describe("memory", () => {
  it("leaks no tensors and no backend buffers", async () => {
    await tf.setBackend("wasm");
    const backend = tf.backend() as unknown as {numDataIds(): number};
    const x = tf.tensor4d(values(5 * 10 * 10 * 16, 20), [5, 10, 10, 16]);
    const w = tf.tensor4d(values(3 * 3 * 16 * 24, 21), [3, 3, 16, 24]);
    const dw = tf.tensor4d(values(3 * 3 * 16 * 2, 22), [3, 3, 16, 2]);
    const dw1 = tf.tensor4d(values(3 * 3 * 16, 23), [3, 3, 16, 1]);
    const rgb = tf.tensor4d(values(2 * 16 * 16 * 3, 24), [2, 16, 16, 3]);
    const stem = tf.tensor4d(values(7 * 7 * 3 * 16, 25), [7, 7, 3, 16]);
    const step = () =>
      tf.tidy(() => {
        const [gx, gw] = tf.grads((a, b) =>
          tf
            .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same")
            .square()
            .sum()
        )([x, w]);
        const [hx, hw] = tf.grads((a, b) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same").sum())([x, dw]);
        // The SIMD input-gradient paths: depthwise gather (multiplier 1), few-channel matrix product.
        const [ix] = tf.grads((a, b) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same").sum())([x, dw1]);
        const [jx] = tf.grads((a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, "same").sum())([rgb, stem]);
        const s = tf.unsortedSegmentSum(x.reshape([5, 1600]), tf.tensor1d([0, 1, 0, -1, 2], "int32"), 3);
        return tf.addN([gx.sum(), gw.sum(), hx.sum(), hw.sum(), ix.sum(), jx.sum(), s.sum()]);
      });
    step().dispose(); // warm-up
    const tensors = tf.memory().numTensors;
    const dataIds = backend.numDataIds();
    for (let i = 0; i < 5; i++) step().dispose();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(dataIds);
    tf.dispose([x, w, dw, dw1, rgb, stem]);
  });
});

describe("unsupported configurations", () => {
  it("throws a clear error for NCHW and for dilations", async () => {
    await tf.setBackend("wasm");
    const dy = tf.zeros([1, 4, 4, 2]);
    const filter = tf.zeros([3, 3, 2, 1]);
    expect(() =>
      tf.engine().runKernel("DepthwiseConv2dNativeBackpropInput", {dy, filter}, {strides: 1, pad: "same", dilations: 2, inputShape: [1, 4, 4, 2]})
    ).toThrow(/dilations/);
    const conv = tf.zeros([3, 3, 2, 2]);
    expect(() =>
      tf.engine().runKernel("Conv2DBackpropInput", {dy, filter: conv}, {strides: 1, pad: "same", dataFormat: "NCHW", inputShape: [1, 2, 4, 4]})
    ).toThrow(/NHWC/);
    tf.dispose([dy, filter, conv]);
  });
});
