// Filter gradients of Conv2D and DepthwiseConv2dNative for the wasm backend.
// Where WebAssembly SIMD can be linked to the backend's memory they run as the
// generated loops of conv-backprop-filter-simd.ts; otherwise, as here, with
// XNNPACK matrix products (the backend's BatchMatMul):
//
// dW[kh, kw, ci, co] = sum over (n, oh, ow) of
//     xPadded[n, s*oh + kh, s*ow + kw, ci] * dy[n, oh, ow, co]
//
// x is zero padded and split into stride*stride phase images; dy is embedded
// in the same image geometry (zeros elsewhere). With positions p running over
// (n, i, j) of that geometry, kernel tap (kh, kw) pairs dy at p with its phase
// of x at p + shift(kh, kw): a flat shift. Laid out channel-major, the shifted
// operand of one tap is then a contiguous window of its buffer, so
//     dW[kh, kw] = X[phase, :, p + shift] · D[p, :]       (Ci x P)·(P x Co)
// is one matrix product whose left operand is a view (no im2col copy), written
// straight into dW. Either x is shifted forward (X channel-major, D as is) or dy
// backward (D channel-major, X as is): XNNPACK copies ("packs") the right
// operand, at several ns per element, so the operand with fewer channels goes
// right. It is packed once per chunk and reused by all taps.
//
// Depthwise: dW[kh, kw, c, q] needs only the "diagonal" of such products.
// Channels are taken in blocks of g; each block is a (g x P)·(P x g*m)
// product of which the block-diagonal part is kept (g-fold extra multiplies,
// but at matrix-product speed).

import * as tf from "@tensorflow/tfjs";
import {convFilterGradientSimd, depthwiseFilterGradientSimd} from "./conv-backprop-filter-simd.js";
import {assertChannelsLast, assertOutputMatches, assertUnitDilations} from "./conv-checks.js";
import {filterGradGeometry, type FilterGradGeometry} from "./conv-geometry.js";
import {simdKernelsAvailable} from "./simd-kernels.js";
import {f32View, type HeapView, KernelScope, withKernelScope} from "./wasm-backend-internals.js";

type Shape4D = [number, number, number, number];

/**
 * The products run over all positions, hundreds of thousands for a batch of
 * images: far too long for the packed right operand to stay in cache. The
 * positions are therefore split into chunks of whole images (a chunk ends where
 * an image ends, so the flat-shift argument holds inside it), sized so that a
 * chunk's slices of both operands stay in the L2 cache while all kernel taps
 * use them. Partial products of the chunks are summed at the end.
 */
const CHUNK_CACHE_FLOATS = 64 * 1024; // 256 KiB per operand slice
const MIN_CHUNK_LENGTH = 1024;

/** Which operand is shifted per tap (and laid out channel-major as the left operand). */
type Shifted = "input" | "outputGradient";

interface Plan {
  shifted: Shifted;
  geometryH: FilterGradGeometry;
  geometryW: FilterGradGeometry;
  chunks: number;
  imagesPerChunk: number;
  /** Positions per chunk: imagesPerChunk * extentH * extentW. */
  chunkLength: number;
}

function planChunks(batch: number, imageSize: number, leftRows: number, rightColumns: number) {
  const wanted = Math.max(MIN_CHUNK_LENGTH, Math.floor(CHUNK_CACHE_FLOATS / Math.max(leftRows, rightColumns, 1)));
  const imagesWanted = Math.max(1, Math.min(batch, Math.floor(wanted / imageSize)));
  const chunks = Math.ceil(batch / imagesWanted);
  const imagesPerChunk = Math.ceil(batch / chunks); // pads the batch with at most chunks-1 zero images
  return {chunks, imagesPerChunk, chunkLength: imagesPerChunk * imageSize};
}

function makePlan(convInfo: tf.backend_util.Conv2DInfo, shifted: Shifted, leftRows: number, rightColumns: number): Plan {
  const shared = shifted === "input";
  const geometryH = filterGradGeometry(convInfo.inHeight, convInfo.outHeight, convInfo.filterHeight, convInfo.strideHeight, convInfo.padInfo.top, shared);
  const geometryW = filterGradGeometry(convInfo.inWidth, convInfo.outWidth, convInfo.filterWidth, convInfo.strideWidth, convInfo.padInfo.left, shared);
  const chunking = planChunks(convInfo.batchSize, geometryH.extent * geometryW.extent, leftRows, rightColumns);
  return {shifted, geometryH, geometryW, ...chunking};
}

const roundUp = (value: number, multiple: number) => Math.ceil(value / multiple) * multiple;

/**
 * Rough cost in ns per position (measured orders of magnitude on tfjs-wasm
 * 4.22): packing the right operand ~6-10 ns per element, padding and
 * transposing ~1 ns per element and pass, the product ~0.1 ns per
 * multiply-add with XNNPACK's 4x8 tiles.
 */
function planCost(plan: Plan, convInfo: tf.backend_util.Conv2DInfo): number {
  const {inChannels: ci, outChannels: co, strideHeight, strideWidth, filterHeight, filterWidth} = convInfo;
  const phases = strideHeight * strideWidth;
  const usedPhases = Math.min(strideHeight, filterHeight) * Math.min(strideWidth, filterWidth);
  const taps = filterHeight * filterWidth;
  const positions = plan.chunks * plan.chunkLength;
  const perPosition =
    plan.shifted === "input"
      ? phases * 2 * ci + 10 * co + 0.1 * taps * roundUp(ci, 4) * roundUp(co, 8)
      : phases * (phases > 1 ? 3 : 1) * ci + usedPhases * 10 * ci + 2 * co + 0.1 * taps * roundUp(co, 4) * roundUp(ci, 8);
  return positions * perPosition;
}

/**
 * Lets tests and benchmarks run every formulation on every case: `simd` true
 * or false forces (or rules out) the SIMD loops, `shifted` picks the XNNPACK
 * layout; `undefined` = choose.
 */
export const filterGradientStrategyOverride: {shifted?: Shifted; simd?: boolean} = {};

/**
 * The SIMD loops of conv-backprop-filter-simd.ts measured faster than the
 * XNNPACK formulation below on every shape of bench/kernels.ts (Conv2D
 * 1.1-2.8x, most on 1x1 and strided; depthwise 3-10x); the latter remains for
 * backends without them.
 */
function useSimd(scope: KernelScope): boolean {
  if (filterGradientStrategyOverride.simd === false || filterGradientStrategyOverride.shifted != null) return false;
  return simdKernelsAvailable(scope.backend);
}

function choosePlan(convInfo: tf.backend_util.Conv2DInfo): Plan {
  const shiftInput = makePlan(convInfo, "input", convInfo.inChannels, convInfo.outChannels);
  const shiftOutput = makePlan(convInfo, "outputGradient", convInfo.outChannels, convInfo.inChannels);
  if (filterGradientStrategyOverride.shifted === "input") return shiftInput;
  if (filterGradientStrategyOverride.shifted === "outputGradient") return shiftOutput;
  return planCost(shiftInput, convInfo) <= planCost(shiftOutput, convInfo) ? shiftInput : shiftOutput;
}

/** x zero padded (and the batch padded to whole chunks): [chunks*imagesPerChunk, sh*extentH, sw*extentW, Ci]. */
function padInput(scope: KernelScope, x: tf.TensorInfo, plan: Plan): tf.TensorInfo {
  const {geometryH: gh, geometryW: gw} = plan;
  const paddedBatch = plan.chunks * plan.imagesPerChunk;
  const stridedH = gh.padBefore + x.shape[1] + gh.padAfter;
  const stridedW = gw.padBefore + x.shape[2] + gw.padAfter;
  if (paddedBatch === x.shape[0] && stridedH === x.shape[1] && stridedW === x.shape[2]) return x;
  const padded = scope.alloc([paddedBatch, stridedH, stridedW, x.shape[3]]);
  scope.pad(scope.whole(x), x.shape, [0, gh.padBefore, gw.padBefore, 0], [paddedBatch - x.shape[0], gh.padAfter, gw.padAfter, 0], scope.whole(padded));
  return padded;
}

/** dy placed at the start of each (extentH, extentW) image, zeros elsewhere: [chunks*imagesPerChunk, eH, eW, Co]. */
function embedOutputGradient(scope: KernelScope, dy: tf.TensorInfo, plan: Plan): tf.TensorInfo {
  const [batch, outHeight, outWidth, channels] = dy.shape;
  const extentH = plan.geometryH.extent;
  const extentW = plan.geometryW.extent;
  const paddedBatch = plan.chunks * plan.imagesPerChunk;
  if (extentH === outHeight && extentW === outWidth && paddedBatch === batch) return dy;
  const embedded = scope.alloc([paddedBatch, extentH, extentW, channels]);
  scope.pad(scope.whole(dy), dy.shape, [0, 0, 0, 0], [paddedBatch - batch, extentH - outHeight, extentW - outWidth, 0], scope.whole(embedded));
  return embedded;
}

/** Largest flat shift of any tap. */
function maxShift(plan: Plan): number {
  return (plan.geometryH.maxTaps - 1) * plan.geometryW.extent + plan.geometryW.maxTaps - 1;
}

function tapShift(plan: Plan, kh: number, kw: number): number {
  return plan.geometryH.tapShift[kh] * plan.geometryW.extent + plan.geometryW.tapShift[kw];
}

function tapPhase(plan: Plan, kh: number, kw: number, strideW: number): number {
  return plan.geometryH.tapPhase[kh] * strideW + plan.geometryW.tapPhase[kw];
}

/**
 * Shifted-input layout: [chunk][phaseH][phaseW][channel][chunkLength] followed
 * by zeros for the reads of the last windows.
 */
function channelMajorInput(scope: KernelScope, padded: tf.TensorInfo, plan: Plan, strideH: number, strideW: number): tf.TensorInfo {
  const channels = padded.shape[3];
  const extentH = plan.geometryH.extent;
  const dataSize = strideH * strideW * channels * plan.chunks * plan.chunkLength;
  const slack = maxShift(plan);
  const buffer = scope.alloc([dataSize + slack]);
  // padded [chunk, n*i, a, j, b*ci] -> [chunk, a, b*ci, n*i, j]
  scope.transpose(
    scope.whole(padded),
    [plan.chunks, plan.imagesPerChunk * extentH, strideH, plan.geometryW.extent, strideW * channels],
    [0, 2, 4, 1, 3],
    scope.view(buffer, 0, dataSize)
  );
  if (slack > 0) f32View(scope.backend, buffer).fill(0, dataSize);
  return buffer;
}

/** Shifted-output-gradient right operand: [phaseH*chunks + chunk][phaseW][chunkLength][channel]. */
function positionMajorInput(scope: KernelScope, padded: tf.TensorInfo, plan: Plan, strideH: number, strideW: number): tf.TensorInfo {
  if (strideH === 1 && strideW === 1) return padded;
  const channels = padded.shape[3];
  const extentW = plan.geometryW.extent;
  const rowsPerPhase = plan.chunks * plan.imagesPerChunk * plan.geometryH.extent;
  let rowsSplit = padded;
  if (strideH > 1) {
    // [chunk*n*i, a, j*b*ci] -> [a, chunk*n*i, j*b*ci]
    rowsSplit = scope.alloc(padded.shape);
    scope.transpose(scope.whole(padded), [rowsPerPhase, strideH, extentW * strideW * channels], [1, 0, 2], scope.whole(rowsSplit));
  }
  if (strideW === 1) return rowsSplit;
  // [a*chunk, n*i*j, b, ci] -> [a*chunk, b, n*i*j, ci]
  const split = scope.alloc(padded.shape);
  scope.transpose(scope.whole(rowsSplit), [strideH * plan.chunks, plan.chunkLength, strideW, channels], [0, 2, 1, 3], scope.whole(split));
  if (rowsSplit !== padded) scope.release(rowsSplit);
  return split;
}

/**
 * Shifted-output-gradient left operand: `maxShift` zeros, then
 * [chunk][channel][chunkLength]. Windows start up to maxShift before a row.
 */
function channelMajorOutputGradient(scope: KernelScope, embedded: tf.TensorInfo, plan: Plan): tf.TensorInfo {
  const channels = embedded.shape[3];
  const lead = maxShift(plan);
  const dataSize = plan.chunks * plan.chunkLength * channels;
  const buffer = scope.alloc([lead + dataSize]);
  if (lead > 0) f32View(scope.backend, buffer).fill(0, 0, lead);
  scope.transpose(scope.whole(embedded), [plan.chunks, plan.chunkLength, channels], [0, 2, 1], scope.view(buffer, lead, dataSize));
  return buffer;
}

/** Adds the per-chunk partial products [chunks, size] into `out` [size]. */
function sumChunks(scope: KernelScope, partials: tf.TensorInfo, chunks: number, out: tf.TensorInfo): void {
  const src = f32View(scope.backend, partials);
  const dst = f32View(scope.backend, out);
  const size = dst.length;
  dst.set(src.subarray(0, size));
  for (let chunk = 1; chunk < chunks; chunk++) {
    const offset = chunk * size;
    for (let i = 0; i < size; i++) dst[i] += src[offset + i];
  }
}

function convFilterGradient(scope: KernelScope, x: tf.TensorInfo, dy: tf.TensorInfo, convInfo: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const {inChannels, outChannels, filterHeight, filterWidth, strideHeight, strideWidth} = convInfo;
  const plan = choosePlan(convInfo);
  const {chunks, chunkLength} = plan;
  const taps = filterHeight * filterWidth;
  const tapSize = inChannels * outChannels;

  const padded = padInput(scope, x, plan);
  const embedded = embedOutputGradient(scope, dy, plan);
  let left: tf.TensorInfo;
  let right: tf.TensorInfo;
  let leftRows: number;
  let rightColumns: number;
  if (plan.shifted === "input") {
    left = channelMajorInput(scope, padded, plan, strideHeight, strideWidth);
    right = embedded;
    [leftRows, rightColumns] = [inChannels, outChannels];
  } else {
    left = channelMajorOutputGradient(scope, embedded, plan);
    right = positionMajorInput(scope, padded, plan, strideHeight, strideWidth);
    [leftRows, rightColumns] = [outChannels, inChannels];
  }
  if (padded !== x && padded !== right) scope.release(padded);
  if (embedded !== dy && embedded !== right) scope.release(embedded);

  // Products per tap are [leftRows, rightColumns]; shifted output gradient gives dW transposed.
  const dW = scope.alloc([filterHeight, filterWidth, inChannels, outChannels]);
  const direct = chunks === 1 && plan.shifted === "input";
  const partials = direct ? dW : scope.alloc([chunks, taps * tapSize]);
  const lead = plan.shifted === "input" ? 0 : maxShift(plan);
  for (let chunk = 0; chunk < chunks; chunk++) {
    // Views, so the XNNPACK operators cached on them (right operand packed) die with the scope.
    const rightViews = new Map<number, HeapView>();
    for (let kh = 0; kh < filterHeight; kh++) {
      for (let kw = 0; kw < filterWidth; kw++) {
        const phase = tapPhase(plan, kh, kw, strideWidth);
        const shift = tapShift(plan, kh, kw);
        let leftStart: number;
        let rightStart: number;
        if (plan.shifted === "input") {
          leftStart = (chunk * strideHeight * strideWidth + phase) * inChannels * chunkLength + shift;
          rightStart = chunk * chunkLength * outChannels;
        } else {
          const phaseH = plan.geometryH.tapPhase[kh];
          const phaseW = plan.geometryW.tapPhase[kw];
          leftStart = lead + chunk * outChannels * chunkLength - shift;
          rightStart = ((phaseH * chunks + chunk) * strideWidth + phaseW) * chunkLength * inChannels;
        }
        let rightView = rightViews.get(rightStart);
        if (rightView == null) {
          rightView = scope.view(right, rightStart, chunkLength * rightColumns);
          rightViews.set(rightStart, rightView);
        }
        const leftView = scope.view(left, leftStart, leftRows * chunkLength);
        const out = scope.view(partials, (chunk * taps + kh * filterWidth + kw) * tapSize, tapSize);
        scope.matMul(leftView, leftRows, chunkLength, rightView, rightColumns, out);
      }
    }
  }
  if (direct) return scope.keep(dW);
  if (plan.shifted === "input") {
    sumChunks(scope, partials, chunks, dW);
  } else {
    let summed = partials;
    if (chunks > 1) {
      summed = scope.alloc([taps * tapSize]);
      sumChunks(scope, partials, chunks, summed);
    }
    // [tap][co][ci] -> [tap][ci][co]
    scope.transpose(scope.whole(summed), [taps, outChannels, inChannels], [0, 2, 1], scope.whole(dW));
  }
  return scope.keep(dW);
}

/** Largest divisor of n that is at most limit. */
function largestDivisorAtMost(n: number, limit: number): number {
  for (let d = Math.min(n, limit); d > 1; d--) if (n % d === 0) return d;
  return 1;
}

function depthwiseFilterGradient(scope: KernelScope, x: tf.TensorInfo, dy: tf.TensorInfo, convInfo: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const {inChannels, outChannels, filterHeight, filterWidth, strideHeight, strideWidth} = convInfo;
  const multiplier = outChannels / inChannels;
  // XNNPACK's f32 GEMM tiles are 8 output columns wide: blocks narrower than
  // that do not get cheaper, wider ones waste more.
  const blockChannels = largestDivisorAtMost(inChannels, Math.max(1, Math.ceil(8 / multiplier)));
  const blocks = inChannels / blockChannels;
  const blockOut = blockChannels * multiplier;
  const plan = makePlan(convInfo, "input", blockChannels, blockOut);
  const {chunks, chunkLength} = plan;

  const padded = padInput(scope, x, plan);
  const left = channelMajorInput(scope, padded, plan, strideHeight, strideWidth);
  if (padded !== x) scope.release(padded);
  const embedded = embedOutputGradient(scope, dy, plan);
  let grouped = embedded; // [chunk][block][chunkLength][blockOut]
  if (blocks > 1) {
    grouped = scope.alloc([chunks, blocks, chunkLength, blockOut]);
    scope.transpose(scope.whole(embedded), [chunks, chunkLength, blocks, blockOut], [0, 2, 1, 3], scope.whole(grouped));
    if (embedded !== dy) scope.release(embedded);
  }

  const taps = filterHeight * filterWidth;
  const productSize = blockChannels * blockOut;
  // [chunk][block][tap][blockChannels][blockOut]
  const products = scope.alloc([chunks * blocks * taps * productSize]);
  for (let chunk = 0; chunk < chunks; chunk++) {
    for (let block = 0; block < blocks; block++) {
      const right = scope.view(grouped, (chunk * blocks + block) * chunkLength * blockOut, chunkLength * blockOut);
      for (let kh = 0; kh < filterHeight; kh++) {
        for (let kw = 0; kw < filterWidth; kw++) {
          const tap = kh * filterWidth + kw;
          const phase = tapPhase(plan, kh, kw, strideWidth);
          const leftStart = ((chunk * strideHeight * strideWidth + phase) * inChannels + block * blockChannels) * chunkLength + tapShift(plan, kh, kw);
          const leftView = scope.view(left, leftStart, blockChannels * chunkLength);
          const out = scope.view(products, ((chunk * blocks + block) * taps + tap) * productSize, productSize);
          scope.matMul(leftView, blockChannels, chunkLength, right, blockOut, out);
        }
      }
    }
  }
  // Keep the (block-)diagonal: dW[tap, c, q] = sum over chunks of products[chunk, block, tap, local, local*m + q].
  const dW = scope.alloc([filterHeight, filterWidth, inChannels, multiplier]);
  const src = f32View(scope.backend, products);
  const dst = f32View(scope.backend, dW);
  dst.fill(0);
  for (let chunk = 0; chunk < chunks; chunk++) {
    for (let block = 0; block < blocks; block++) {
      for (let tap = 0; tap < taps; tap++) {
        const productStart = ((chunk * blocks + block) * taps + tap) * productSize;
        for (let local = 0; local < blockChannels; local++) {
          const from = productStart + local * blockOut + local * multiplier;
          const to = (tap * inChannels + block * blockChannels + local) * multiplier;
          for (let q = 0; q < multiplier; q++) dst[to + q] += src[from + q];
        }
      }
    }
  }
  return scope.keep(dW);
}

export function conv2dBackpropFilterWasm(args: {inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap}): tf.TensorInfo {
  const {x, dy} = args.inputs as {x: tf.TensorInfo; dy: tf.TensorInfo};
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs;
  assertChannelsLast(attrs.dataFormat, "Conv2DBackpropFilter");
  const convInfo = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4D,
    attrs.filterShape as Shape4D,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast"
  );
  assertOutputMatches(dy, convInfo, "Conv2DBackpropFilter");
  return withKernelScope(args.backend, (scope) =>
    useSimd(scope) ? convFilterGradientSimd(scope, x, dy, convInfo) : convFilterGradient(scope, x, dy, convInfo)
  );
}

export function depthwiseConv2dNativeBackpropFilterWasm(args: {inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap}): tf.TensorInfo {
  const {x, dy} = args.inputs as {x: tf.TensorInfo; dy: tf.TensorInfo};
  const attrs = (args.attrs ?? {}) as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  assertUnitDilations(attrs.dilations, "DepthwiseConv2dNativeBackpropFilter");
  const convInfo = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4D,
    attrs.filterShape as Shape4D,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    true,
    "channelsLast"
  );
  assertOutputMatches(dy, convInfo, "DepthwiseConv2dNativeBackpropFilter");
  return withKernelScope(args.backend, (scope) =>
    useSimd(scope) ? depthwiseFilterGradientSimd(scope, x, dy, convInfo) : depthwiseFilterGradient(scope, x, dy, convInfo)
  );
}

/** Which operand the conv filter gradient shifts for this convolution (for tests and benchmarks). */
export function convFilterGradientStrategy(convInfo: tf.backend_util.Conv2DInfo): Shifted {
  return choosePlan(convInfo).shifted;
}
