// Depthwise input gradient (channel multiplier 1) with the generated gather
// loop of simd-input-gradient-kernels.ts, written straight into dx:
//
//   dx[n, s*q + a, s*r + b, c] = sum over taps (jh, jw) of phase (a, b) of
//       dyPadded[n, q + .., r + jw + .., c] * w[tapsH[jh], tapsW[jw], c]
//
// (sub-pixel phases as in conv-geometry.ts). dy is copied image by image into
// one zero-padded buffer with room for the taps of every phase, so the loop has
// no bounds checks; the buffer is reused by the next image while in cache.

import * as tf from "@tensorflow/tfjs";
import {inputGradPhases, type InputGradPhase} from "./conv-geometry.js";
import {depthwiseGather, MAX_GATHER_TAPS} from "./simd-input-gradient-kernels.js";
import {simdKernelsAvailable} from "./simd-kernels.js";
import {byteOffsetOf, type KernelScope} from "./wasm-backend-internals.js";

/** Floats read past the last dy pixel by the last (partial) channel vector. */
const VECTOR_SLACK = 4;

function phasesOf(convInfo: tf.backend_util.Conv2DInfo) {
  return {
    phasesH: inputGradPhases(convInfo.inHeight, convInfo.outHeight, convInfo.filterHeight, convInfo.strideHeight, convInfo.padInfo.top),
    phasesW: inputGradPhases(convInfo.inWidth, convInfo.outWidth, convInfo.filterWidth, convInfo.strideWidth, convInfo.padInfo.left)
  };
}

/** Whether depthwiseInputGradientSimd handles this convolution on this backend. */
export function depthwiseGatherApplies(scope: KernelScope, convInfo: tf.backend_util.Conv2DInfo): boolean {
  if (convInfo.outChannels !== convInfo.inChannels) return false; // multiplier > 1: lanes would not pair up
  const {phasesH, phasesW} = phasesOf(convInfo);
  const most = (phases: InputGradPhase[]) => Math.max(...phases.map((p) => p.taps.length));
  return most(phasesH) * most(phasesW) <= MAX_GATHER_TAPS && simdKernelsAvailable(scope.backend);
}

/** Zero rows (or columns) of dy needed before and after it so that every phase reads inside. */
function dyPadding(phases: InputGradPhase[], outSize: number) {
  let before = 0;
  let after = 0;
  for (const p of phases) {
    if (p.taps.length === 0) continue;
    // Phase index u of dyPadded is dy index u - p.padBefore.
    before = Math.max(before, p.padBefore - p.offset);
    after = Math.max(after, p.offset + p.count - 1 + p.taps.length - p.padBefore - outSize);
  }
  return {before, after};
}

/** First padded-dy index read by a phase (its first position, first tap). */
const firstRead = (p: InputGradPhase, padBefore: number) => p.offset - p.padBefore + padBefore;

export function depthwiseInputGradientSimd(scope: KernelScope, dy: tf.TensorInfo, filter: tf.TensorInfo, convInfo: tf.backend_util.Conv2DInfo): tf.TensorInfo {
  const {batchSize, inHeight, inWidth, inChannels: channels, outHeight, outWidth, filterWidth} = convInfo;
  const {strideHeight, strideWidth} = convInfo;
  const {phasesH, phasesW} = phasesOf(convInfo);
  const activeH = phasesH.filter((p) => p.taps.length > 0);
  const activeW = phasesW.filter((p) => p.taps.length > 0);
  const padH = dyPadding(phasesH, outHeight);
  const padW = dyPadding(phasesW, outWidth);
  const paddedWidth = padW.before + outWidth + padW.after;
  const paddedRowFloats = paddedWidth * channels;
  const paddedFloats = (padH.before + outHeight + padH.after) * paddedRowFloats;
  const pixelBytes = 4 * channels;
  const vectorFloats = 4 * Math.ceil(channels / 4);

  const dx = scope.alloc([batchSize, inHeight, inWidth, channels]);
  const paddedDy = scope.alloc([paddedFloats + VECTOR_SLACK]);
  // Sub-kernels of all phase pairs, [pair][jh][jw][vectorFloats] (lanes past the channels zero).
  let weightFloats = 0;
  for (const h of activeH) for (const w of activeW) weightFloats += h.taps.length * w.taps.length * vectorFloats;
  const weights = scope.alloc([Math.max(1, weightFloats)]);

  const heap = new Float32Array(scope.backend.wasm.HEAPU8.buffer); // after the last allocation
  const filterStart = byteOffsetOf(scope.backend, filter) / 4;
  const weightsStart = byteOffsetOf(scope.backend, weights) / 4;
  heap.fill(0, weightsStart, weightsStart + weightFloats);
  const calls: {phaseH: InputGradPhase; phaseW: InputGradPhase; weightsAddress: number}[] = [];
  let w = weightsStart;
  for (const phaseH of activeH) {
    for (const phaseW of activeW) {
      calls.push({phaseH, phaseW, weightsAddress: 4 * w});
      for (const kh of phaseH.taps) {
        for (const kw of phaseW.taps) {
          const from = filterStart + (kh * filterWidth + kw) * channels;
          heap.copyWithin(w, from, from + channels);
          w += vectorFloats;
        }
      }
    }
  }
  // Positions no tap reaches (stride larger than the kernel) get zero.
  const complete = activeH.length === phasesH.filter((p) => p.count > 0).length && activeW.length === phasesW.filter((p) => p.count > 0).length;
  const dxStart = byteOffsetOf(scope.backend, dx) / 4;
  if (!complete) heap.fill(0, dxStart, dxStart + batchSize * inHeight * inWidth * channels);

  const paddedStart = byteOffsetOf(scope.backend, paddedDy) / 4;
  heap.fill(0, paddedStart, paddedStart + paddedFloats + VECTOR_SLACK); // the padding stays zero
  const dyStart = byteOffsetOf(scope.backend, dy) / 4;
  const dyRowFloats = outWidth * channels;
  const kernels = calls.map(({phaseH, phaseW}) =>
    depthwiseGather(scope.backend, {
      channels,
      dxStep: strideWidth * pixelBytes,
      dyRowBytes: 4 * paddedRowFloats,
      tapsHeight: phaseH.taps.length,
      tapsWidth: phaseW.taps.length
    })
  );
  for (let n = 0; n < batchSize; n++) {
    for (let oh = 0; oh < outHeight; oh++) {
      const from = dyStart + (n * outHeight + oh) * dyRowFloats;
      heap.copyWithin(paddedStart + (padH.before + oh) * paddedRowFloats + padW.before * channels, from, from + dyRowFloats);
    }
    calls.forEach(({phaseH, phaseW, weightsAddress}, i) => {
      const dyAddress = 4 * (paddedStart + firstRead(phaseH, padH.before) * paddedRowFloats + firstRead(phaseW, padW.before) * channels);
      const dxAddress = 4 * (dxStart + ((n * inHeight + phaseH.phase) * inWidth + phaseW.phase) * channels);
      kernels[i](dyAddress, 4 * paddedRowFloats, dxAddress, strideHeight * inWidth * pixelBytes, phaseH.count, phaseW.count, weightsAddress);
    });
  }
  return scope.keep(dx);
}
