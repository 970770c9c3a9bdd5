// Filter gradients of Conv2D and DepthwiseConv2dNative with the generated SIMD
// loops of simd-kernels.ts, on x (zero padded where needed) and dy as they lie
// (channels last):
//
//   dW[kh, kw, ci, co] = sum over (n, oh, ow) of
//       xPadded[n, s*oh + kh, s*ow + kw, ci] * dy[n, oh, ow, co]
//
// For a fixed kh, the values (kw, ci) of one output position are KW*Ci
// consecutive floats of xPadded, so dW[kh] = sum over positions of the outer
// product of that run with dy's pixel: one "outer accumulate" call per kh and
// block of positions, with no im2col, transpose or packing. Strides only change
// the step between positions. Depthwise filters need one product per channel
// instead of an outer product; their loop keeps all taps of a channel vector in
// registers and loads each dy vector once.
//
// Positions are taken in blocks whose x and dy data fit in the L1 cache, so
// that all tiles (and all kh) of a block reread them from there.

import * as tf from "@tensorflow/tfjs";
import {depthwiseAccumulate, outerAccumulate} from "./simd-kernels.js";
import {byteOffsetOf, f32View, type KernelScope} from "./wasm-backend-internals.js";

/** Floats of x and dy per block of positions (32 KiB: measured best on 1x1 64->64, 48-64 KiB ~10% slower). */
const BLOCK_FLOATS = 8192;

const roundUp = (value: number, multiple: number) => Math.ceil(value / multiple) * multiple;

/** Zero padding of one spatial dimension so that every tap of every output position reads inside. */
function paddedExtent(inSize: number, outSize: number, kernel: number, stride: number, padBefore: number) {
  const padAfter = Math.max(0, stride * (outSize - 1) + kernel - padBefore - inSize);
  return {padBefore, padAfter, size: padBefore + inSize + padAfter};
}

/**
 * Byte address of `info`'s data, readable `slack` floats past its end: the
 * SIMD loops read up to a vector beyond the last row (into ignored lanes),
 * which must not run past the end of the wasm memory.
 */
function addressWithSlack(scope: KernelScope, info: tf.TensorInfo, slack: number): number {
  const size = tf.util.sizeFromShape(info.shape);
  const address = byteOffsetOf(scope.backend, info);
  if (slack === 0 || address + 4 * (size + slack) <= scope.backend.wasm.HEAPU8.byteLength) return address;
  const copy = scope.alloc([size + slack]);
  const view = f32View(scope.backend, copy);
  view.set(f32View(scope.backend, info));
  view.fill(0, size);
  return byteOffsetOf(scope.backend, copy);
}

/**
 * x zero padded to [N, padded H, padded W, C] (or x itself when nothing is
 * padded), readable `slack` floats past its end. Returns its byte address.
 */
function paddedInput(scope: KernelScope, x: tf.TensorInfo, convInfo: tf.backend_util.Conv2DInfo, slack: number) {
  const [batch, height, width, channels] = x.shape;
  const rows = paddedExtent(height, convInfo.outHeight, convInfo.filterHeight, convInfo.strideHeight, convInfo.padInfo.top);
  const columns = paddedExtent(width, convInfo.outWidth, convInfo.filterWidth, convInfo.strideWidth, convInfo.padInfo.left);
  if (rows.size === height && columns.size === width) {
    return {address: addressWithSlack(scope, x, slack), height, width};
  }
  const size = batch * rows.size * columns.size * channels;
  const padded = scope.alloc([size + slack]);
  scope.pad(scope.whole(x), x.shape, [0, rows.padBefore, columns.padBefore, 0], [0, rows.padAfter, columns.padAfter, 0], scope.view(padded, 0, size));
  if (slack > 0) f32View(scope.backend, padded).fill(0, size);
  return {address: byteOffsetOf(scope.backend, padded), height: rows.size, width: columns.size};
}

/**
 * Fewest positions per block: each call reloads and stores every 4x8 tile's
 * accumulators once, which must stay small next to the positions' work.
 */
const MIN_BLOCK_POSITIONS = 32;

/** Output rows x columns per block so that its x and dy data stay within BLOCK_FLOATS. */
function positionBlock(convInfo: tf.backend_util.Conv2DInfo, xChannels: number, dyChannels: number) {
  const {outHeight, outWidth, filterHeight, filterWidth, strideHeight, strideWidth} = convInfo;
  const footprint = (rows: number, columns: number) =>
    (strideHeight * (rows - 1) + filterHeight) * (strideWidth * (columns - 1) + filterWidth) * xChannels + rows * columns * dyChannels;
  let columns = outWidth;
  while (columns > 8 && footprint(1, columns) > BLOCK_FLOATS) columns = Math.ceil(columns / 2);
  let rows = 1;
  while (rows < outHeight && (footprint(rows + 1, columns) <= BLOCK_FLOATS || rows * columns < MIN_BLOCK_POSITIONS)) rows++;
  return {rows, columns};
}

/** Calls `body(oh, rows, ow, columns)` for every block of output positions of one image. */
function forEachBlock(
  outHeight: number,
  outWidth: number,
  block: {rows: number; columns: number},
  body: (oh: number, rows: number, ow: number, columns: number) => void
): void {
  for (let oh = 0; oh < outHeight; oh += block.rows) {
    const rows = Math.min(block.rows, outHeight - oh);
    for (let ow = 0; ow < outWidth; ow += block.columns) body(oh, rows, ow, Math.min(block.columns, outWidth - ow));
  }
}

export function convFilterGradientSimd(scope: KernelScope, x: tf.TensorInfo, dy: tf.TensorInfo, convInfo: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const {batchSize, inChannels, outChannels, outHeight, outWidth, filterHeight, filterWidth} = convInfo;
  const {strideHeight, strideWidth} = convInfo;
  const kernel = outerAccumulate(scope.backend);
  // Rows of one kh's product: (kw, ci); tiles are 4 rows x 8 columns.
  const rows = filterWidth * inChannels;
  const tileRows = roundUp(rows, 4);
  const tileColumns = roundUp(outChannels, 8);
  const input = paddedInput(scope, x, convInfo, tileRows - rows);
  const dyAddress = addressWithSlack(scope, dy, tileColumns - outChannels);
  const direct = tileRows === rows && tileColumns === outChannels;
  const sums = scope.alloc(direct ? [filterHeight, filterWidth, inChannels, outChannels] : [filterHeight * tileRows * tileColumns]);
  f32View(scope.backend, sums).fill(0);
  const sumsAddress = byteOffsetOf(scope.backend, sums);
  const khBytes = 4 * tileRows * tileColumns;

  const pixel = 4 * inChannels;
  const xRowBytes = input.width * pixel;
  const dyPixel = 4 * outChannels;
  const block = positionBlock(convInfo, inChannels, outChannels);
  for (let n = 0; n < batchSize; n++) {
    const xImage = input.address + n * input.height * xRowBytes;
    const dyImage = dyAddress + n * outHeight * outWidth * dyPixel;
    forEachBlock(outHeight, outWidth, block, (oh, blockRows, ow, columns) => {
      const a = xImage + strideHeight * oh * xRowBytes + strideWidth * ow * pixel;
      const d = dyImage + (oh * outWidth + ow) * dyPixel;
      for (let kh = 0; kh < filterHeight; kh++) {
        kernel(
          a + kh * xRowBytes,
          strideWidth * pixel,
          strideHeight * xRowBytes,
          d,
          dyPixel,
          outWidth * dyPixel,
          blockRows,
          columns,
          tileRows / 4,
          tileColumns / 8,
          sumsAddress + kh * khBytes,
          4 * tileColumns
        );
      }
    });
  }
  if (direct) return scope.keep(sums);

  const dW = scope.alloc([filterHeight, filterWidth, inChannels, outChannels]);
  const src = f32View(scope.backend, sums);
  const dst = f32View(scope.backend, dW);
  for (let kh = 0; kh < filterHeight; kh++) {
    for (let r = 0; r < rows; r++) {
      const from = (kh * tileRows + r) * tileColumns;
      dst.set(src.subarray(from, from + outChannels), (kh * rows + r) * outChannels);
    }
  }
  return scope.keep(dW);
}

/**
 * Floats between band rows: at least `floats`, and an odd number of 64-byte
 * cache lines. Rows of a power-of-two number of lines (e.g. 33 pixels of 64
 * channels, 132 lines) map the pixels that one tap window reads onto the same
 * few sets of the L1 cache, and a stride-2 loop, which also steps a power of
 * two between pixels, keeps evicting its own data (measured 10-20% faster with
 * odd rows on 3x3 s2, 64 channels; the same on stride 1).
 */
function bandRowFloats(floats: number): number {
  const lines = Math.ceil(floats / 16);
  return 16 * (lines % 2 === 1 ? lines : lines + 1);
}

/** Bytes of zero-padded x rows per band of the depthwise gradient: a quarter of a typical L2 cache. */
const BAND_BYTES = 256 * 1024;

/**
 * Depthwise filters do only 9 multiply-adds per x element (3x3, stride 1) or
 * 2.25 (stride 2), so x must be read from memory once: it is copied, image by
 * image and band of rows by band of rows, into a zero-padded buffer that stays
 * in cache while the loop reads it (a padded copy of all of x would be written
 * to and read back from memory). For channel multipliers m > 1 the copy repeats
 * each channel m times ([.., C, m] like dy's channels), so that lanes pair one
 * to one.
 */
export function depthwiseFilterGradientSimd(scope: KernelScope, x: tf.TensorInfo, dy: tf.TensorInfo, convInfo: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const {batchSize, inHeight, inWidth, inChannels, outChannels, outHeight, outWidth} = convInfo;
  const {filterHeight, filterWidth, strideHeight, strideWidth} = convInfo;
  const multiplier = outChannels / inChannels;
  const vectors = Math.ceil(outChannels / 4);
  const slack = 4 * vectors - outChannels;
  const pixel = 4 * outChannels;
  const dyAddress = addressWithSlack(scope, dy, slack);
  const taps = filterHeight * filterWidth;
  const direct = slack === 0;
  // [tap][4 * vectors] = [kh, kw, C, m] when no lanes are padded.
  const sums = scope.alloc(direct ? [filterHeight, filterWidth, inChannels, multiplier] : [taps * 4 * vectors]);
  f32View(scope.backend, sums).fill(0);
  const sumsAddress = byteOffsetOf(scope.backend, sums);

  const rows = paddedExtent(inHeight, outHeight, filterHeight, strideHeight, convInfo.padInfo.top);
  const columns = paddedExtent(inWidth, outWidth, filterWidth, strideWidth, convInfo.padInfo.left);
  const rowFloats = bandRowFloats(columns.size * outChannels);
  const block = positionBlock(convInfo, outChannels, outChannels);
  const rowsFitting = Math.floor((BAND_BYTES / (4 * rowFloats) - filterHeight) / strideHeight) + 1;
  const bandRows = Math.min(outHeight, Math.max(block.rows, rowsFitting - (rowsFitting % block.rows)));
  const bandHeight = strideHeight * (bandRows - 1) + filterHeight;
  const band = scope.alloc([bandHeight * rowFloats + slack]);
  const kernel = depthwiseAccumulate(scope.backend, {
    pixelBytes: pixel,
    vectors,
    xStep: strideWidth * pixel,
    xKhStep: 4 * rowFloats,
    kernelHeight: filterHeight,
    kernelWidth: filterWidth
  });

  const heap = new Float32Array(scope.backend.wasm.HEAPU8.buffer); // after the last allocation
  const bandStart = byteOffsetOf(scope.backend, band) / 4;
  const xStart = byteOffsetOf(scope.backend, x) / 4;
  const xRowFloats = inWidth * inChannels;
  heap.fill(0, bandStart, bandStart + bandHeight * rowFloats + slack); // padding columns stay zero
  for (let n = 0; n < batchSize; n++) {
    for (let oh0 = 0; oh0 < outHeight; oh0 += bandRows) {
      const count = Math.min(bandRows, outHeight - oh0);
      const firstRow = strideHeight * oh0 - rows.padBefore;
      for (let i = 0; i < strideHeight * (count - 1) + filterHeight; i++) {
        const row = firstRow + i;
        const to = bandStart + i * rowFloats;
        if (row < 0 || row >= inHeight) {
          heap.fill(0, to, to + rowFloats);
          continue;
        }
        const from = xStart + (n * inHeight + row) * xRowFloats;
        let d = to + columns.padBefore * outChannels;
        if (multiplier === 1) {
          heap.copyWithin(d, from, from + xRowFloats);
        } else {
          for (let j = from; j < from + xRowFloats; j++) {
            const value = heap[j];
            for (let q = 0; q < multiplier; q++) heap[d++] = value;
          }
        }
      }
      forEachBlock(count, outWidth, block, (oh, blockRows, ow, blockColumns) => {
        kernel(
          4 * bandStart + (strideHeight * oh * rowFloats + strideWidth * ow * outChannels) * 4,
          strideHeight * 4 * rowFloats,
          dyAddress + ((n * outHeight + oh0 + oh) * outWidth + ow) * pixel,
          outWidth * pixel,
          blockRows,
          blockColumns,
          sumsAddress
        );
      });
    }
  }
  if (direct) return scope.keep(sums);

  const dW = scope.alloc([filterHeight, filterWidth, inChannels, multiplier]);
  const src = f32View(scope.backend, sums);
  const dst = f32View(scope.backend, dW);
  for (let t = 0; t < taps; t++) dst.set(src.subarray(t * 4 * vectors, t * 4 * vectors + outChannels), t * outChannels);
  return scope.keep(dW);
}
