// Filter-gradient inner loops as WebAssembly SIMD, generated at run time and
// linked to the tfjs wasm backend's own memory (so they read tensors in place).
//
// XNNPACK can only reduce over positions in a matrix product whose right
// operand it first packs, and that operand then has one row per position: for
// 1x1 and strided convolutions (few taps to share the packing) and for
// depthwise filters (block-diagonal products) packing, transposes and wasted
// multiplies cost as much as the product. These loops read x and dy as they lie
// (channels last) and accumulate outer products directly.
//
// The input-gradient loops (simd-input-gradient-kernels.ts) are linked here
// too, through specialisedKernel.
//
// simdKernelsAvailable is false where this is not possible (no WebAssembly
// SIMD, or a backend whose memory is not reachable or is shared between
// threads); callers then use the XNNPACK formulation.

import {encodeModule, FunctionBody, I32, V128} from "./wasm-module-builder.js";
import type {WasmBackend} from "./wasm-backend-internals.js";

/**
 * Outer-product accumulation over a set of positions, in tiles of 4 rows x 8
 * columns (4 x 2 vector accumulators: what the 16 SIMD registers of x86-64
 * hold besides the operands):
 *
 *   C[r, j] += sum over run < runs, k < count of
 *              A[a + run*aRowStep + k*aStep + 4r] * D[d + run*dRowStep + k*dStep + 4j]
 *
 * for r < 4*tilesR, j < 8*tilesC; C rows are cRowStride bytes apart. All
 * addresses and steps are in bytes. Rows past the real ones read whatever
 * follows (results discarded by the caller).
 */
export type OuterAccumulate = (
  a: number,
  aStep: number,
  aRowStep: number,
  d: number,
  dStep: number,
  dRowStep: number,
  runs: number,
  count: number,
  tilesR: number,
  tilesC: number,
  c: number,
  cRowStride: number
) => void;

/**
 * Depthwise filter gradient over one block of output positions, for a fixed
 * layout (see DepthwiseLayout): for every tap t = (kh, kw) and channel ch,
 *   acc[t*4*vectors + ch] += sum over run < runs, k < count of
 *     x[x0 + run*xRowStep + kh*xKhStep + k*xStep + kw*pixelBytes + 4ch] * dy[d0 + run*dRowStep + k*pixelBytes + 4ch]
 * (byte addresses). Channels go four at a time; lanes past the last channel
 * read whatever follows and land in accumulator lanes the caller ignores.
 */
export type DepthwiseAccumulate = (x0: number, xRowStep: number, d0: number, dRowStep: number, runs: number, count: number, acc: number) => void;

export interface DepthwiseLayout {
  /** Bytes per pixel of x and dy (channels * 4). */
  pixelBytes: number;
  /** Channel vectors (channels / 4 rounded up); accumulator rows are 16 * vectors bytes apart. */
  vectors: number;
  /** Bytes between the x pixels of neighbouring output positions (stride * pixelBytes). */
  xStep: number;
  /** Bytes between x rows (padded width * pixelBytes). */
  xKhStep: number;
  kernelHeight: number;
  kernelWidth: number;
}

const OUTER_PARAMS = 12;

function outerAccumulateBody(): FunctionBody {
  const f = new FunctionBody(new Array(OUTER_PARAMS).fill(I32));
  const [a, aStep, aRowStep, d, dStep, dRowStep, runs, count, tilesR, tilesC, c, cRowStride] = Array.from({length: OUTER_PARAMS}, (_, i) => i);
  const [tr, tc, run, k, aTile, dTile, cTile, paRun, pdRun, pa, pd] = Array.from({length: 11}, () => f.local(I32));
  const cRow = Array.from({length: 4}, () => f.local(I32));
  const acc = Array.from({length: 8}, () => f.local(V128));
  const [d0, d1, av] = [f.local(V128), f.local(V128), f.local(V128)];

  f.get(a).set(aTile).get(c).set(cTile).get(tilesR).set(tr);
  f.countdown(tr, () => {
    f.get(d).set(dTile).get(tilesC).set(tc);
    f.get(cTile).set(cRow[0]);
    for (let i = 1; i < 4; i++)
      f.get(cRow[i - 1])
        .get(cRowStride)
        .add()
        .set(cRow[i]);
    f.countdown(tc, () => {
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 2; j++)
          f.get(cRow[i])
            .load(16 * j)
            .set(acc[2 * i + j]);
      f.get(aTile).set(paRun).get(dTile).set(pdRun).get(runs).set(run);
      f.countdown(run, () => {
        f.get(paRun).set(pa).get(pdRun).set(pd).get(count).set(k);
        f.countdown(k, () => {
          f.get(pd).load(0).set(d0).get(pd).load(16).set(d1);
          for (let i = 0; i < 4; i++) {
            f.get(pa)
              .loadSplat(4 * i)
              .set(av);
            for (let j = 0; j < 2; j++) {
              f.get(acc[2 * i + j])
                .get(av)
                .get(j === 0 ? d0 : d1)
                .f32x4Mul()
                .f32x4Add()
                .set(acc[2 * i + j]);
            }
          }
          f.addTo(pa, {local: aStep}).addTo(pd, {local: dStep});
        });
        f.addTo(paRun, {local: aRowStep}).addTo(pdRun, {local: dRowStep});
      });
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 2; j++)
          f.get(cRow[i])
            .get(acc[2 * i + j])
            .store(16 * j);
        f.addTo(cRow[i], 32);
      }
      f.addTo(dTile, 32);
    });
    f.addTo(aTile, 16);
    for (let i = 0; i < 4; i++) f.get(cTile).get(cRowStride).add().set(cTile);
  });
  return f;
}

/** Most accumulators one pass keeps in registers (plus dy and one x vector). */
const MAX_TAPS_PER_PASS = 12;

function depthwiseAccumulateBody(layout: DepthwiseLayout): FunctionBody {
  const {pixelBytes, vectors: vectorCount, xStep, xKhStep, kernelHeight, kernelWidth} = layout;
  const accRowBytes = 16 * vectorCount;
  const f = new FunctionBody(new Array(7).fill(I32));
  const [x0, xRowStep, d0, dRowStep, runs, count, accBase] = [0, 1, 2, 3, 4, 5, 6];
  const [vectors, channel, passes, passAcc, passX, run, k, xRun, dRun, px, pd] = Array.from({length: 11}, () => f.local(I32));
  const dv = f.local(V128);
  // Kernel rows per pass; passes are a loop (not unrolled) so that the module
  // stays small for any kernel size (browsers compile at most 4 KB synchronously).
  const rowsPerPass = Math.max(1, Math.min(kernelHeight, Math.floor(MAX_TAPS_PER_PASS / kernelWidth)));
  const acc = Array.from({length: rowsPerPass * kernelWidth}, () => f.local(V128));

  /** One pass over the positions for `rows` kernel rows starting at passX / passAcc. */
  const pass = (rows: number) => {
    const taps = rows * kernelWidth;
    for (let t = 0; t < taps; t++)
      f.get(passAcc)
        .load(t * accRowBytes)
        .set(acc[t]);
    f.get(passX).set(xRun).get(d0).get(channel).add().set(dRun).get(runs).set(run);
    f.countdown(run, () => {
      f.get(xRun).set(px).get(dRun).set(pd).get(count).set(k);
      f.countdown(k, () => {
        f.get(pd).load(0).set(dv);
        for (let t = 0; t < taps; t++) {
          const offset = Math.floor(t / kernelWidth) * xKhStep + (t % kernelWidth) * pixelBytes;
          f.get(acc[t]).get(px).load(offset).get(dv).f32x4Mul().f32x4Add().set(acc[t]);
        }
        f.addTo(px, xStep).addTo(pd, pixelBytes);
      });
      f.addTo(xRun, {local: xRowStep}).addTo(dRun, {local: dRowStep});
    });
    for (let t = 0; t < taps; t++)
      f.get(passAcc)
        .get(acc[t])
        .store(t * accRowBytes);
  };

  const fullPasses = Math.floor(kernelHeight / rowsPerPass);
  const lastRows = kernelHeight % rowsPerPass;
  f.i32(vectorCount).set(vectors).i32(0).set(channel);
  f.countdown(vectors, () => {
    f.get(accBase).get(channel).add().set(passAcc).get(x0).get(channel).add().set(passX);
    f.i32(fullPasses).set(passes);
    f.countdown(passes, () => {
      pass(rowsPerPass);
      f.addTo(passAcc, rowsPerPass * kernelWidth * accRowBytes).addTo(passX, rowsPerPass * xKhStep);
    });
    if (lastRows > 0) pass(lastRows);
    f.addTo(channel, 16);
  });
  return f;
}

interface ModuleLinks {
  memory: WebAssembly.Memory;
  outer: OuterAccumulate;
  /** Loops specialised for one layout, by kind and layout key. */
  specialised: Map<string, unknown>;
}

const linksByBackend = new WeakMap<object, ModuleLinks | null>();

function backendMemory(backend: WasmBackend): WebAssembly.Memory | null {
  const asm = (backend.wasm as unknown as {asm?: {memory?: unknown}}).asm;
  const memory = asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  // A threaded backend's memory is shared: importing it needs a declared maximum we cannot read.
  if (typeof SharedArrayBuffer !== "undefined" && memory.buffer instanceof SharedArrayBuffer) return null;
  if (memory.buffer !== backend.wasm.HEAPU8.buffer) return null;
  return memory;
}

/** The outer-product loop as a module (exported for a size check in the tests). */
export function outerAccumulateModule(): Uint8Array<ArrayBuffer> {
  return encodeModule([{exportName: "run", body: outerAccumulateBody()}]);
}

/** The depthwise loop for one layout as a module. */
export function depthwiseAccumulateModule(layout: DepthwiseLayout): Uint8Array<ArrayBuffer> {
  return encodeModule([{exportName: "run", body: depthwiseAccumulateBody(layout)}]);
}

function instantiate<T>(memory: WebAssembly.Memory, bytes: Uint8Array<ArrayBuffer>): T {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {env: {memory}});
  return instance.exports.run as unknown as T;
}

function links(backend: WasmBackend): ModuleLinks | null {
  if (linksByBackend.has(backend.wasm)) return linksByBackend.get(backend.wasm)!;
  let result: ModuleLinks | null = null;
  const memory = backendMemory(backend);
  if (memory != null) {
    try {
      result = {memory, outer: instantiate<OuterAccumulate>(memory, outerAccumulateModule()), specialised: new Map()};
    } catch {
      result = null; // no WebAssembly SIMD (or no run-time compilation allowed)
    }
  }
  linksByBackend.set(backend.wasm, result);
  return result;
}

/** Whether the SIMD kernels can run on this backend. */
export function simdKernelsAvailable(backend: WasmBackend): boolean {
  return links(backend) != null;
}

export function outerAccumulate(backend: WasmBackend): OuterAccumulate {
  const linked = links(backend);
  if (linked == null) throw new Error("wasm gradient kernels: SIMD kernels are not available");
  return linked.outer;
}

/** Compiled specialised loops kept per backend; a model has a few layouts, shape sweeps could have many. */
const MAX_SPECIALISED_LOOPS = 64;

/**
 * A loop specialised for one layout, compiled once per backend and `key`
 * (which must name the kind of loop and every layout value `build` uses).
 * Exported for the input-gradient loops (simd-input-gradient-kernels.ts).
 */
export function specialisedKernel<T>(backend: WasmBackend, key: string, build: () => Uint8Array<ArrayBuffer>): T {
  const linked = links(backend);
  if (linked == null) throw new Error("wasm gradient kernels: SIMD kernels are not available");
  let kernel = linked.specialised.get(key) as T | undefined;
  if (kernel == null) {
    kernel = instantiate<T>(linked.memory, build());
    if (linked.specialised.size >= MAX_SPECIALISED_LOOPS) linked.specialised.clear();
    linked.specialised.set(key, kernel);
  }
  return kernel;
}

/** The depthwise loop specialised for one layout (compiled once per layout, a few hundred bytes). */
export function depthwiseAccumulate(backend: WasmBackend, layout: DepthwiseLayout): DepthwiseAccumulate {
  const key = ["depthwise filter", layout.pixelBytes, layout.vectors, layout.xStep, layout.xKhStep, layout.kernelHeight, layout.kernelWidth].join(",");
  return specialisedKernel<DepthwiseAccumulate>(backend, key, () => depthwiseAccumulateModule(layout));
}
