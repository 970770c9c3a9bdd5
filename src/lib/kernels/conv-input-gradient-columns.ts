// Conv2D input gradient as one matrix product and a scatter-add ("col2im"):
//
//   columns[p, (kh, kw, ci)] = sum over co of dy[p, co] * w[kh, kw, ci, co]
//   dxPadded[n, s*oh + kh, s*ow + kw, ci] += columns[(n, oh, ow), (kh, kw, ci)]
//
// The product does exactly the useful multiplies, with kh*kw*ci (e.g. 147 for a
// 7x7 RGB stem) as its column count, where XNNPACK's tiles of 8 output channels
// waste little. The sub-pixel formulation of conv-backprop-input.ts instead
// computes ci (or phases * ci) output channels per tap: with 3 input channels
// most of each tile is wasted. For a fixed kh the (kw, ci) run of a column is
// consecutive in a row of dxPadded, so the scatter-add is a few vector adds per
// kernel row (the generated loop of simd-input-gradient-kernels.ts).
//
// dy is taken in blocks of whole rows of one image, so that the block's columns
// stay in cache between the product and the scatter-add; each image is
// accumulated in one zero-padded buffer and then copied (without the padding)
// into dx.

import * as tf from "@tensorflow/tfjs";
import {columnsAccumulate, columnsLoopFits} from "./simd-input-gradient-kernels.js";
import {byteOffsetOf, type KernelScope} from "./wasm-backend-internals.js";

/** Floats of columns per block of dy rows (256 KiB: within a typical L2 cache next to dxPadded's rows). */
const COLUMNS_BLOCK_FLOATS = 64 * 1024;

/** Whether convInputGradientColumns handles this convolution (on a backend with the SIMD loops). */
export function columnsFit(convInfo: tf.backend_util.Conv2DInfo): boolean {
  return columnsLoopFits(convInfo.filterHeight, convInfo.filterWidth * convInfo.inChannels);
}

/** Padded dx extent of one dimension: every tap of every output lands inside, and so does all of dx. */
function paddedExtent(inSize: number, outSize: number, kernel: number, stride: number, padBefore: number): number {
  return Math.max(stride * (outSize - 1) + kernel, padBefore + inSize);
}

export function convInputGradientColumns(scope: KernelScope, dy: tf.TensorInfo, filter: tf.TensorInfo, convInfo: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const {batchSize, inHeight, inWidth, inChannels, outChannels, outHeight, outWidth} = convInfo;
  const {filterHeight, filterWidth, strideHeight, strideWidth} = convInfo;
  const {top, left} = convInfo.padInfo;
  const columnFloats = filterHeight * filterWidth * inChannels;

  // wᵀ: [co, (kh, kw, ci)], the right operand of the product.
  const transposed = scope.alloc([outChannels, columnFloats]);
  scope.transpose(scope.whole(filter), [columnFloats, outChannels], [1, 0], scope.whole(transposed));
  const paddedHeight = paddedExtent(inHeight, outHeight, filterHeight, strideHeight, top);
  const paddedWidth = paddedExtent(inWidth, outWidth, filterWidth, strideWidth, left);
  const paddedRowFloats = paddedWidth * inChannels;
  const paddedFloats = paddedHeight * paddedRowFloats;
  const padded = scope.alloc([paddedFloats]);
  const blockRows = Math.max(1, Math.min(outHeight, Math.floor(COLUMNS_BLOCK_FLOATS / (outWidth * columnFloats))));
  const columns = scope.alloc([blockRows * outWidth * columnFloats]);
  const dx = scope.alloc([batchSize, inHeight, inWidth, inChannels]);

  const kernel = columnsAccumulate(scope.backend, {
    runFloats: filterWidth * inChannels,
    kernelHeight: filterHeight,
    dxStep: 4 * strideWidth * inChannels,
    dxRowBytes: 4 * paddedRowFloats
  });
  const columnsView = scope.whole(columns);
  const right = scope.whole(transposed);
  const paddedAddress = byteOffsetOf(scope.backend, padded);
  const columnsAddress = byteOffsetOf(scope.backend, columns);
  const dyImageFloats = outHeight * outWidth * outChannels;
  const dxRowFloats = inWidth * inChannels;
  for (let n = 0; n < batchSize; n++) {
    const heap = new Float32Array(scope.backend.wasm.HEAPU8.buffer); // the product may grow the memory
    heap.fill(0, paddedAddress / 4, paddedAddress / 4 + paddedFloats);
    for (let oh = 0; oh < outHeight; oh += blockRows) {
      const rows = Math.min(blockRows, outHeight - oh);
      const positions = rows * outWidth;
      const dyBlock = scope.view(dy, n * dyImageFloats + oh * outWidth * outChannels, positions * outChannels);
      scope.matMul(dyBlock, positions, outChannels, right, columnFloats, columnsView);
      kernel(columnsAddress, paddedAddress + 4 * strideHeight * oh * paddedRowFloats, 4 * strideHeight * paddedRowFloats, rows, outWidth);
    }
    const heapAfter = new Float32Array(scope.backend.wasm.HEAPU8.buffer);
    const dxStart = byteOffsetOf(scope.backend, dx) / 4 + n * inHeight * dxRowFloats;
    for (let ih = 0; ih < inHeight; ih++) {
      const from = paddedAddress / 4 + (top + ih) * paddedRowFloats + left * inChannels;
      heapAfter.copyWithin(dxStart + ih * dxRowFloats, from, from + dxRowFloats);
    }
  }
  return scope.keep(dx);
}
