// Input-gradient inner loops as WebAssembly SIMD, generated per layout at run
// time and linked to the tfjs wasm backend's memory (see simd-kernels.ts).
//
// depthwiseGather: the depthwise input gradient of one sub-pixel phase, read
// straight from a zero-padded dy (channels are the contiguous axis, so one
// f32x4 covers four channels of one pixel, and a tap is a constant offset).
// It replaces per-phase XNNPACK convolutions whose results had to be
// interleaved into dx in JavaScript, pixel by pixel.
//
// columnsAccumulate: the "col2im" half of a Conv2D input gradient computed as
// columns = dy · Wᵀ (one matrix product, see conv-input-gradient-columns.ts):
// every dy pixel's column holds, per kernel row kh, the (kw, ci) run of values
// that lands on consecutive floats of one row of the padded dx.

import {encodeModule, FunctionBody, I32, V128} from "./wasm-module-builder.js";
import {specialisedKernel} from "./simd-kernels.js";
import type {WasmBackend} from "./wasm-backend-internals.js";

/**
 * For run < runs, k < count, channel c < channels (byte addresses):
 *   dx[dx0 + run*dxRowStep + k*dxStep + 4c] =
 *     sum over jh < tapsHeight, jw < tapsWidth of
 *       dy[dy0 + run*dyRowStep + jh*dyRowBytes + (k + jw)*pixelBytes + 4c] * w[weights + (jh*tapsWidth + jw)*weightTapBytes + 4c]
 * with weightTapBytes = 16 * ceil(channels / 4). Whole vectors are stored only
 * inside a pixel; the last partial vector lane by lane (its loads read past the
 * pixel, into lanes that are dropped).
 */
export type DepthwiseGather = (dy0: number, dyRowStep: number, dx0: number, dxRowStep: number, runs: number, count: number, weights: number) => void;

export interface DepthwiseGatherLayout {
  channels: number;
  /** Bytes between dx pixels of one phase (stride * channels * 4). */
  dxStep: number;
  /** Bytes between rows of the padded dy. */
  dyRowBytes: number;
  tapsHeight: number;
  tapsWidth: number;
}

function depthwiseGatherBody(layout: DepthwiseGatherLayout): FunctionBody {
  const {channels, dxStep, dyRowBytes, tapsHeight, tapsWidth} = layout;
  const pixelBytes = 4 * channels;
  const fullVectors = Math.floor(channels / 4);
  const tailLanes = channels % 4;
  const weightTapBytes = 16 * Math.ceil(channels / 4);
  const f = new FunctionBody(new Array(7).fill(I32));
  const [dy0, dyRowStep, dx0, dxRowStep, runs, count, weights] = [0, 1, 2, 3, 4, 5, 6];
  const [run, k, dyRun, dxRun, pd, px, vectors, pdv, pxv, pw] = Array.from({length: 10}, () => f.local(I32));
  const acc = f.local(V128);

  /** acc = sum over taps of dy * w for the vector at pdv / pw. */
  const gather = () => {
    for (let jh = 0; jh < tapsHeight; jh++) {
      for (let jw = 0; jw < tapsWidth; jw++) {
        const t = jh * tapsWidth + jw;
        f.get(pdv)
          .load(jh * dyRowBytes + jw * pixelBytes)
          .get(pw)
          .load(t * weightTapBytes)
          .f32x4Mul();
        if (t > 0) f.get(acc).f32x4Add();
        f.set(acc);
      }
    }
  };

  // One vector per iteration: unrolling 4 vectors (for the 1-4 taps of a
  // stride-2 phase) measured 25% slower; the loop is bound by dx's stores.
  f.get(dy0).set(dyRun).get(dx0).set(dxRun).get(runs).set(run);
  f.countdown(run, () => {
    f.get(dyRun).set(pd).get(dxRun).set(px).get(count).set(k);
    f.countdown(k, () => {
      f.get(pd).set(pdv).get(px).set(pxv).get(weights).set(pw);
      if (fullVectors > 0) {
        f.i32(fullVectors).set(vectors);
        f.countdown(vectors, () => {
          gather();
          f.get(pxv).get(acc).store(0);
          f.addTo(pdv, 16).addTo(pxv, 16).addTo(pw, 16);
        });
      }
      if (tailLanes > 0) {
        gather();
        for (let lane = 0; lane < tailLanes; lane++)
          f.get(pxv)
            .get(acc)
            .extractLane(lane)
            .storeF32(4 * lane);
      }
      f.addTo(pd, pixelBytes).addTo(px, dxStep);
    });
    f.addTo(dyRun, {local: dyRowStep}).addTo(dxRun, {local: dxRowStep});
  });
  return f;
}

export function depthwiseGatherModule(layout: DepthwiseGatherLayout): Uint8Array<ArrayBuffer> {
  if (layout.tapsHeight * layout.tapsWidth > MAX_GATHER_TAPS) {
    throw new Error("wasm gradient kernels: too many taps for the unrolled depthwise gather loop");
  }
  return encodeModule([{exportName: "run", body: depthwiseGatherBody(layout)}]);
}

export function depthwiseGather(backend: WasmBackend, layout: DepthwiseGatherLayout): DepthwiseGather {
  const key = ["depthwise gather", layout.channels, layout.dxStep, layout.dyRowBytes, layout.tapsHeight, layout.tapsWidth].join(",");
  return specialisedKernel<DepthwiseGather>(backend, key, () => depthwiseGatherModule(layout));
}

/**
 * For run < runs, k < count, kh < kernelHeight, i < runFloats (byte addresses):
 *   dx[dx0 + run*dxRowStep + k*dxStep + kh*dxRowBytes + 4i] +=
 *     columns[columns0 + ((run*count + k)*kernelHeight + kh)*runFloats*4 + 4i]
 * (columns of consecutive dy pixels are back to back).
 */
export type ColumnsAccumulate = (columns0: number, dx0: number, dxRowStep: number, runs: number, count: number) => void;

export interface ColumnsLayout {
  /** Floats per kernel row of a column: kernel width * input channels. */
  runFloats: number;
  kernelHeight: number;
  /** Bytes between the dx pixels of neighbouring dy pixels (stride * input channels * 4). */
  dxStep: number;
  /** Bytes between rows of the padded dx. */
  dxRowBytes: number;
}

function columnsAccumulateBody(layout: ColumnsLayout): FunctionBody {
  const {runFloats, kernelHeight, dxStep, dxRowBytes} = layout;
  const f = new FunctionBody(new Array(5).fill(I32));
  const [columns0, dx0, dxRowStep, runs, count] = [0, 1, 2, 3, 4];
  const [run, k, dxRun, pc, px] = Array.from({length: 5}, () => f.local(I32));
  const fullVectors = Math.floor(runFloats / 4);

  f.get(columns0).set(pc).get(dx0).set(dxRun).get(runs).set(run);
  f.countdown(run, () => {
    f.get(dxRun).set(px).get(count).set(k);
    f.countdown(k, () => {
      for (let kh = 0; kh < kernelHeight; kh++) {
        const from = kh * runFloats * 4;
        const to = kh * dxRowBytes;
        for (let v = 0; v < fullVectors; v++) {
          f.get(px)
            .get(px)
            .load(to + 16 * v)
            .get(pc)
            .load(from + 16 * v)
            .f32x4Add()
            .store(to + 16 * v);
        }
        for (let i = 4 * fullVectors; i < runFloats; i++) {
          f.get(px)
            .get(px)
            .loadF32(to + 4 * i)
            .get(pc)
            .loadF32(from + 4 * i)
            .f32Add()
            .storeF32(to + 4 * i);
        }
      }
      f.addTo(pc, kernelHeight * runFloats * 4).addTo(px, dxStep);
    });
    f.addTo(dxRun, {local: dxRowStep});
  });
  return f;
}

/**
 * Most unrolled additions (vectors and single floats) per dy pixel: keeps the
 * module well under the 4 KB that browsers compile synchronously.
 */
const MAX_COLUMN_ADDITIONS = 96;

/** Whether columnsAccumulate can be generated for kernel rows of `runFloats` floats. */
export function columnsLoopFits(kernelHeight: number, runFloats: number): boolean {
  return kernelHeight * (Math.floor(runFloats / 4) + (runFloats % 4)) <= MAX_COLUMN_ADDITIONS;
}

/** Most taps per phase of the depthwise gather loop (unrolled; 7x7 at stride 1 stays under 4 KB). */
export const MAX_GATHER_TAPS = 49;

export function columnsAccumulateModule(layout: ColumnsLayout): Uint8Array<ArrayBuffer> {
  if (!columnsLoopFits(layout.kernelHeight, layout.runFloats)) {
    throw new Error("wasm gradient kernels: column too long for the unrolled accumulate loop");
  }
  return encodeModule([{exportName: "run", body: columnsAccumulateBody(layout)}]);
}

export function columnsAccumulate(backend: WasmBackend, layout: ColumnsLayout): ColumnsAccumulate {
  const key = ["columns", layout.runFloats, layout.kernelHeight, layout.dxStep, layout.dxRowBytes].join(",");
  return specialisedKernel<ColumnsAccumulate>(backend, key, () => columnsAccumulateModule(layout));
}
