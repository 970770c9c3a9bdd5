// Input gradients of Conv2D and DepthwiseConv2dNative for the wasm backend,
// computed with the backend's fast (XNNPACK) forward convolutions.
//
// dx is a forward, stride-1 correlation of dy with the spatially flipped kernel
// (input/output channels swapped for Conv2D). For stride s > 1 the positions of
// dx split into s*s sub-pixel phases; each phase is such a correlation with
// the subset of kernel taps that reaches it, so no multiply is spent on the
// zeros a "zero-inserted dy" formulation would carry. The phase results are
// interleaved into dx afterwards.
//
// Where WebAssembly SIMD loops can be linked to the backend's memory, two
// shapes go another way: depthwise convolutions with multiplier 1 gather dx
// directly from dy (depthwise-input-gradient-simd.ts; no per-phase results to
// interleave), and convolutions with few input channels run as one matrix
// product plus a scatter-add (conv-input-gradient-columns.ts; no XNNPACK tiles
// wasted on 3 output channels).

import * as tf from "@tensorflow/tfjs";
import {assertChannelsLast, assertOutputMatches, assertUnitDilations} from "./conv-checks.js";
import {alignInputGradPhases, inputGradPhases, type InputGradPhase} from "./conv-geometry.js";
import {columnsFit, convInputGradientColumns} from "./conv-input-gradient-columns.js";
import {depthwiseGatherApplies, depthwiseInputGradientSimd} from "./depthwise-input-gradient-simd.js";
import {simdKernelsAvailable} from "./simd-kernels.js";
import {byteOffsetOf, f32View, KernelScope, runWasmKernel, withKernelScope} from "./wasm-backend-internals.js";

type Shape4D = [number, number, number, number];
type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

/**
 * Lets tests and benchmarks run every formulation: `simd` true forces the SIMD
 * paths wherever they apply, false rules them out; `undefined` = choose.
 */
export const inputGradientStrategyOverride: {simd?: boolean} = {};

interface InputGradProblem {
  dy: tf.TensorInfo;
  filter: tf.TensorInfo;
  convInfo: tf.backend_util.Conv2DInfo;
  depthwise: boolean;
}

/**
 * XNNPACK's depthwise convolution has fast paths only for some kernel sizes
 * (measured with tfjs-wasm 4.22: 1, 3, 4, 9 and 25 taps; 2 or 16 taps are
 * ~10x slower). Sub-kernels of strided gradients (e.g. 2x1 for a 3x3 kernel
 * with stride 2) are padded with zero taps to the nearest fast size.
 */
const FAST_DEPTHWISE_TAPS = [1, 3, 4, 9, 25];

export function fastDepthwiseKernelSize(height: number, width: number): [number, number] {
  let best: [number, number] = [height, width];
  for (let h = height; h <= 25; h++) {
    for (let w = width; w * h <= 25; w++) {
      if (!FAST_DEPTHWISE_TAPS.includes(h * w)) continue;
      if (!FAST_DEPTHWISE_TAPS.includes(best[0] * best[1]) || h * w < best[0] * best[1]) best = [h, w];
    }
  }
  return best;
}

/** Appends zero taps (index -1) at the end; the extra correlation outputs fall into padAfter. */
function withZeroTaps(phase: InputGradPhase, size: number): InputGradPhase {
  const extra = size - phase.taps.length;
  if (extra <= 0) return phase;
  return {...phase, taps: [...phase.taps, ...new Array<number>(extra).fill(-1)], padAfter: phase.padAfter + extra};
}

/**
 * Stride-1 sub-kernel for one phase pair, laid out for the forward kernel:
 * Conv2D: [tapsH, tapsW, outChannels, inChannels]  (w transposed as `filterT`)
 * depthwise: [tapsH, tapsW, inChannels * multiplier, 1]
 * Each tap is one contiguous block of the (transposed) filter.
 */
function gatherSubKernel(
  scope: KernelScope,
  source: tf.TensorInfo,
  kernelWidth: number,
  blockSize: number,
  tapsH: number[],
  tapsW: number[],
  shape: Shape4D
): tf.TensorInfo {
  const sub = scope.alloc(shape);
  const src = f32View(scope.backend, source);
  const dst = f32View(scope.backend, sub);
  let block = 0;
  for (const kh of tapsH) {
    for (const kw of tapsW) {
      if (kh < 0 || kw < 0) {
        dst.fill(0, block * blockSize, (block + 1) * blockSize);
      } else {
        const from = (kh * kernelWidth + kw) * blockSize;
        dst.set(src.subarray(from, from + blockSize), block * blockSize);
      }
      block++;
    }
  }
  return sub;
}

/** Copies (and for depthwise multipliers > 1 sums groups of) one phase result into dx. */
function interleavePhase(
  scope: KernelScope,
  result: tf.TensorInfo,
  dx: tf.TensorInfo,
  phaseH: InputGradPhase,
  phaseW: InputGradPhase,
  strideH: number,
  strideW: number,
  group: number,
  channelOffset = 0
): void {
  const [batch, height, width, channels] = dx.shape;
  const [, resultHeight, resultWidth, resultChannels] = result.shape;
  // One view of the whole heap, element indices: copyWithin is the fastest
  // copy for runs of >= 32 floats, a plain loop for shorter ones.
  const heap = new Float32Array(scope.backend.wasm.HEAPU8.buffer);
  const srcBase = byteOffsetOf(scope.backend, result) / 4 + channelOffset;
  const dstBase = byteOffsetOf(scope.backend, dx) / 4;
  const srcPixel = resultChannels;
  const dstPixel = strideW * channels;
  const count = phaseW.count;
  for (let n = 0; n < batch; n++) {
    for (let q = 0; q < phaseH.count; q++) {
      const d = dstBase + ((n * height + strideH * q + phaseH.phase) * width + phaseW.phase) * channels;
      const s = srcBase + ((n * resultHeight + phaseH.offset + q) * resultWidth + phaseW.offset) * srcPixel;
      if (group > 1) {
        for (let x = 0; x < count; x++) {
          for (let c = 0, sc = s + x * srcPixel, dc = d + x * dstPixel; c < channels; c++, dc++) {
            let sum = 0;
            for (let g = 0; g < group; g++, sc++) sum += heap[sc];
            heap[dc] = sum;
          }
        }
      } else if (strideW === 1 && srcPixel === channels) {
        heap.copyWithin(d, s, s + count * channels);
      } else if (channels >= 32) {
        for (let x = 0; x < count; x++) heap.copyWithin(d + x * dstPixel, s + x * srcPixel, s + x * srcPixel + channels);
      } else {
        for (let x = 0; x < count; x++) {
          const dc = d + x * dstPixel;
          const sc = s + x * srcPixel;
          for (let c = 0; c < channels; c++) heap[dc + c] = heap[sc + c];
        }
      }
    }
  }
}

/**
 * XNNPACK computes output channels in tiles of 8: with few input channels
 * (e.g. 3 for an RGB image) every phase's correlation wastes most of its
 * tiles. Costs below count taps x tiles of 8 output channels per dy position.
 */
const tiles = (outChannels: number) => Math.ceil(outChannels / 8);

/** Phase pairs that some kernel tap reaches (each one correlation to interleave into dx). */
function activePairs(phasesH: InputGradPhase[], phasesW: InputGradPhase[]): number {
  return phasesH.filter((p) => p.taps.length > 0).length * phasesW.filter((p) => p.taps.length > 0).length;
}

function separatePhasesCost(phasesH: InputGradPhase[], phasesW: InputGradPhase[], channels: number): number {
  let cost = 0;
  for (const h of phasesH) for (const w of phasesW) cost += h.taps.length * w.taps.length * tiles(channels);
  return cost;
}

/**
 * All phases as one correlation over a common window of dy (more, partly
 * zero, taps) with phases as blocks of output channels; Infinity if there is
 * only one phase pair.
 */
function combinedPhasesCost(phasesH: InputGradPhase[], phasesW: InputGradPhase[], channels: number): number {
  const pairs = activePairs(phasesH, phasesW);
  if (pairs < 2) return Infinity;
  const windowH = alignInputGradPhases(phasesH, 0).find((p) => p.taps.length > 0)!.taps.length;
  const windowW = alignInputGradPhases(phasesW, 0).find((p) => p.taps.length > 0)!.taps.length;
  return windowH * windowW * tiles(pairs * channels);
}

/**
 * The matrix product of conv-input-gradient-columns.ts has one output channel
 * per (kh, kw, ci). Against a single correlation (stride 1, or a 1x1 kernel
 * with one phase) it is chosen when it saves a fifth of the tiles (its
 * scatter-add and the columns' memory traffic cost the rest; measured 5-15%
 * slower on equal tiles); against several phases, whose interleaving into dx
 * costs as much, already on equal tiles (measured 20% faster on 3x3 s2 16->32).
 */
const COLUMNS_MARGIN_ONE_PHASE = 0.8;
const COLUMNS_MARGIN_PHASES = 1;

export type ConvInputGradStrategy = "separate" | "combined" | "columns";

/**
 * How the Conv2D input gradient is computed: separate phase correlations, all
 * phases combined in one, or the columns product (only with the SIMD loops).
 * Exported for tests.
 */
export function convInputGradStrategy(convInfo: tf.backend_util.Conv2DInfo, simdAvailable: boolean): ConvInputGradStrategy {
  const {inChannels, filterHeight, filterWidth} = convInfo;
  const phasesH = inputGradPhases(convInfo.inHeight, convInfo.outHeight, filterHeight, convInfo.strideHeight, convInfo.padInfo.top);
  const phasesW = inputGradPhases(convInfo.inWidth, convInfo.outWidth, filterWidth, convInfo.strideWidth, convInfo.padInfo.left);
  const separate = separatePhasesCost(phasesH, phasesW, inChannels);
  const combined = combinedPhasesCost(phasesH, phasesW, inChannels);
  const subPixel: ConvInputGradStrategy = combined < separate ? "combined" : "separate";
  if (inputGradientStrategyOverride.simd === false || !simdAvailable || !columnsFit(convInfo)) return subPixel;
  if (inputGradientStrategyOverride.simd === true) return "columns";
  const columns = tiles(filterHeight * filterWidth * inChannels);
  const margin = activePairs(phasesH, phasesW) > 1 ? COLUMNS_MARGIN_PHASES : COLUMNS_MARGIN_ONE_PHASE;
  return columns <= margin * Math.min(separate, combined) ? "columns" : subPixel;
}

/** Depthwise: the SIMD gather wherever it applies (measured faster at every stride; see bench/kernels.ts). */
function useDepthwiseGather(scope: KernelScope, convInfo: tf.backend_util.Conv2DInfo): boolean {
  if (inputGradientStrategyOverride.simd === false) return false;
  return depthwiseGatherApplies(scope, convInfo);
}

function combinedPhases(
  scope: KernelScope,
  dy: tf.TensorInfo,
  filterT: tf.TensorInfo, // [kh, kw, out, in]
  convInfo: tf.backend_util.Conv2DInfo,
  phasesH: InputGradPhase[],
  phasesW: InputGradPhase[],
  dx: tf.TensorInfo
): void {
  const {inChannels, outChannels, filterWidth, outHeight, outWidth, strideHeight, strideWidth} = convInfo;
  const alignedH = alignInputGradPhases(phasesH, outHeight).filter((p) => p.taps.length > 0);
  const alignedW = alignInputGradPhases(phasesW, outWidth).filter((p) => p.taps.length > 0);
  const pairs = alignedH.length * alignedW.length;
  const windowH = alignedH[0].taps.length;
  const windowW = alignedW[0].taps.length;
  // [windowH, windowW, out, pair * in]
  const kernel = scope.alloc([windowH, windowW, outChannels, pairs * inChannels]);
  const src = f32View(scope.backend, filterT);
  const dst = f32View(scope.backend, kernel);
  let d = 0;
  for (let jh = 0; jh < windowH; jh++) {
    for (let jw = 0; jw < windowW; jw++) {
      for (let co = 0; co < outChannels; co++) {
        for (const phaseH of alignedH) {
          for (const phaseW of alignedW) {
            const kh = phaseH.taps[jh];
            const kw = phaseW.taps[jw];
            if (kh < 0 || kw < 0) {
              for (let ci = 0; ci < inChannels; ci++) dst[d++] = 0;
            } else {
              const s = ((kh * filterWidth + kw) * outChannels + co) * inChannels;
              for (let ci = 0; ci < inChannels; ci++) dst[d++] = src[s + ci];
            }
          }
        }
      }
    }
  }
  const {padBefore: top, padAfter: bottom} = alignedH[0];
  const {padBefore: left, padAfter: right} = alignedW[0];
  const result = scope.track(
    runWasmKernel(
      "Conv2D",
      {x: dy, filter: kernel},
      {
        strides: [1, 1],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0]
        ],
        dilations: [1, 1],
        dataFormat: "NHWC"
      },
      scope.backend
    )
  );
  scope.release(kernel);
  let pair = 0;
  for (const phaseH of alignedH) {
    for (const phaseW of alignedW) {
      interleavePhase(scope, result, dx, phaseH, phaseW, strideHeight, strideWidth, 1, pair * inChannels);
      pair++;
    }
  }
  scope.release(result);
}

function inputGradient(scope: KernelScope, problem: InputGradProblem): tf.TensorInfo {
  const {dy, filter, convInfo, depthwise} = problem;
  const {batchSize, inHeight, inWidth, inChannels, outChannels, filterHeight, filterWidth} = convInfo;
  const {strideHeight, strideWidth} = convInfo;
  const multiplier = depthwise ? outChannels / inChannels : 1;
  const phasesH = inputGradPhases(inHeight, convInfo.outHeight, filterHeight, strideHeight, convInfo.padInfo.top);
  const phasesW = inputGradPhases(inWidth, convInfo.outWidth, filterWidth, strideWidth, convInfo.padInfo.left);
  if (depthwise && useDepthwiseGather(scope, convInfo)) {
    return depthwiseInputGradientSimd(scope, dy, filter, convInfo);
  }
  const strategy = depthwise ? "separate" : convInputGradStrategy(convInfo, simdKernelsAvailable(scope.backend));
  if (strategy === "columns") return convInputGradientColumns(scope, dy, filter, convInfo);

  // Conv2D needs the filter as [kh, kw, out, in]; one transpose of the (small) filter.
  // (depthwise filters [kh, kw, in, multiplier] already have the layout needed).
  let kernelSource = filter;
  if (!depthwise) {
    kernelSource = scope.alloc([filterHeight, filterWidth, outChannels, inChannels]);
    scope.transpose(scope.whole(filter), [filterHeight * filterWidth, inChannels, outChannels], [0, 2, 1], scope.whole(kernelSource));
  }
  const blockSize = depthwise ? outChannels : outChannels * inChannels;

  const dxShape: Shape4D = [batchSize, inHeight, inWidth, inChannels];
  let dx: tf.TensorInfo | null = null;
  const needsZeroFill = phasesH.some((p) => p.count > 0 && p.taps.length === 0) || phasesW.some((p) => p.count > 0 && p.taps.length === 0);

  if (!depthwise && strategy === "combined") {
    dx = scope.alloc(dxShape);
    if (needsZeroFill) f32View(scope.backend, dx).fill(0);
    combinedPhases(scope, dy, kernelSource, convInfo, phasesH, phasesW, dx);
    return scope.keep(dx);
  }

  for (const bareH of phasesH) {
    for (const bareW of phasesW) {
      if (bareH.taps.length === 0 || bareW.taps.length === 0) continue;
      let phaseH = bareH;
      let phaseW = bareW;
      if (depthwise) {
        const [height, width] = fastDepthwiseKernelSize(bareH.taps.length, bareW.taps.length);
        phaseH = withZeroTaps(bareH, height);
        phaseW = withZeroTaps(bareW, width);
      }
      const subShape: Shape4D = depthwise
        ? [phaseH.taps.length, phaseW.taps.length, outChannels, 1]
        : [phaseH.taps.length, phaseW.taps.length, outChannels, inChannels];
      const subKernel = gatherSubKernel(scope, kernelSource, filterWidth, blockSize, phaseH.taps, phaseW.taps, subShape);
      const pad: ExplicitPad = [
        [0, 0],
        [phaseH.padBefore, phaseH.padAfter],
        [phaseW.padBefore, phaseW.padAfter],
        [0, 0]
      ];
      const result = scope.track(
        depthwise
          ? runWasmKernel("DepthwiseConv2dNative", {x: dy, filter: subKernel}, {strides: [1, 1], pad, dilations: [1, 1], dataFormat: "NHWC"}, scope.backend)
          : runWasmKernel("Conv2D", {x: dy, filter: subKernel}, {strides: [1, 1], pad, dilations: [1, 1], dataFormat: "NHWC"}, scope.backend)
      );

      const isWholeOutput =
        strideHeight === 1 &&
        strideWidth === 1 &&
        multiplier === 1 &&
        phaseH.offset === 0 &&
        phaseW.offset === 0 &&
        result.shape[1] === inHeight &&
        result.shape[2] === inWidth;
      if (isWholeOutput) return scope.keep(result);

      if (dx == null) {
        dx = scope.alloc(dxShape);
        if (needsZeroFill) f32View(scope.backend, dx).fill(0);
      }
      interleavePhase(scope, result, dx, phaseH, phaseW, strideHeight, strideWidth, multiplier);
      scope.release(result);
      scope.release(subKernel);
    }
  }
  if (dx == null) {
    // No kernel tap reaches any input position (e.g. 1x1 kernel, stride > input).
    dx = scope.alloc(dxShape);
    f32View(scope.backend, dx).fill(0);
  }
  return scope.keep(dx);
}

export function conv2dBackpropInputWasm(args: {inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap}): tf.TensorInfo {
  const {dy, filter} = args.inputs as {dy: tf.TensorInfo; filter: tf.TensorInfo};
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropInputAttrs;
  assertChannelsLast(attrs.dataFormat, "Conv2DBackpropInput");
  const convInfo = tf.backend_util.computeConv2DInfo(
    attrs.inputShape as Shape4D,
    filter.shape as Shape4D,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast"
  );
  assertOutputMatches(dy, convInfo, "Conv2DBackpropInput");
  return withKernelScope(args.backend, (scope) => inputGradient(scope, {dy, filter, convInfo, depthwise: false}));
}

export function depthwiseConv2dNativeBackpropInputWasm(args: {inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap}): tf.TensorInfo {
  const {dy, filter} = args.inputs as {dy: tf.TensorInfo; filter: tf.TensorInfo};
  const attrs = (args.attrs ?? {}) as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  assertUnitDilations(attrs.dilations, "DepthwiseConv2dNativeBackpropInput");
  const convInfo = tf.backend_util.computeConv2DInfo(
    attrs.inputShape as Shape4D,
    filter.shape as Shape4D,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
    "channelsLast"
  );
  assertOutputMatches(dy, convInfo, "DepthwiseConv2dNativeBackpropInput");
  return withKernelScope(args.backend, (scope) => inputGradient(scope, {dy, filter, convInfo, depthwise: true}));
}
