// Typed access to the parts of the tfjs 4.22 wasm backend that the gradient
// kernels need: heap memory, tensor ids, its registered kernels and three of
// its exported C functions. No Node or DOM API is used, so this runs in the
// browser as well.
//
// The C functions are called directly (instead of through the registered
// kernels) where the output has to land inside a larger buffer or the input is
// a window into a larger buffer: such windows are registered with the C side
// as "heap views" (an extra tensor id pointing into existing memory), which
// costs nothing, while a copy costs a pass over the data.

import * as tf from "@tensorflow/tfjs";

export type DataId = object;

export interface WasmTensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: tf.DataType;
  refCount: number;
}

export interface WasmModule {
  HEAPU8: Uint8Array;
  tfjs: {
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
  };
}

/** The subset of `BackendWasm` (tfjs-backend-wasm 4.22) used here. */
export interface WasmBackend {
  wasm: WasmModule;
  dataIdNextNumber: number;
  dataIdMap: {get(dataId: DataId): WasmTensorData | undefined};
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number): tf.TensorInfo;
  disposeData(dataId: DataId, force?: boolean): boolean;
}

export function asWasmBackend(backend: unknown): WasmBackend {
  const candidate = backend as Partial<WasmBackend> | null;
  if (candidate == null || candidate.wasm == null || candidate.dataIdMap == null || typeof candidate.makeOutput !== "function") {
    throw new Error("wasm gradient kernels: expected the tfjs wasm backend");
  }
  return candidate as WasmBackend;
}

export function tensorData(backend: WasmBackend, info: tf.TensorInfo): WasmTensorData {
  const data = backend.dataIdMap.get(info.dataId);
  if (data == null) throw new Error("wasm gradient kernels: tensor is not on the wasm backend");
  return data;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function byteOffsetOf(backend: WasmBackend, info: tf.TensorInfo): number {
  return tensorData(backend, info).memoryOffset;
}

/**
 * Float32 view of a tensor's data. Create it right before use: any allocation
 * on the wasm heap may grow the memory and detach earlier views.
 */
export function f32View(backend: WasmBackend, info: tf.TensorInfo): Float32Array {
  const size = tf.util.sizeFromShape(info.shape);
  return new Float32Array(backend.wasm.HEAPU8.buffer, byteOffsetOf(backend, info), size);
}

export function int32View(backend: WasmBackend, info: tf.TensorInfo): Int32Array {
  const size = tf.util.sizeFromShape(info.shape);
  return new Int32Array(backend.wasm.HEAPU8.buffer, byteOffsetOf(backend, info), size);
}

/** Runs a kernel registered for the wasm backend (no engine bookkeeping, no tape). */
export function runWasmKernel(name: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap, backend: WasmBackend): tf.TensorInfo {
  const kernel = tf.getKernel(name, "wasm");
  if (kernel == null) throw new Error(`wasm gradient kernels: kernel ${name} is not registered for wasm`);
  const result = kernel.kernelFunc({inputs, attrs, backend});
  if (Array.isArray(result)) throw new Error(`wasm gradient kernels: ${name} returned several outputs`);
  return result;
}

const FLOAT32_DTYPE_CODE = 0; // CppDType.float32 in tfjs-backend-wasm

type ExportedFunction = (...args: number[]) => void;

/**
 * Direct calls of exported C functions. Going through `cwrap` with "array"
 * arguments costs tens of microseconds per call (fresh ArrayBuffers), which
 * adds up over the thousands of small products of a depthwise filter
 * gradient; instead the int arrays are written to a small buffer allocated once
 * per wasm module.
 */
class RawCalls {
  private static readonly ARGUMENT_INTS = 64;
  private readonly argumentOffset: number;
  private argumentView: Int32Array;
  private readonly batchMatMulFn: ExportedFunction;
  private readonly transposeFn: ExportedFunction;
  private readonly padV2Fn: ExportedFunction;

  constructor(private readonly wasm: WasmModule) {
    const exports = wasm as unknown as Record<string, unknown>;
    const exported = (name: string): ExportedFunction => {
      const fn = exports[`_${name}`];
      if (typeof fn !== "function") throw new Error(`wasm gradient kernels: ${name} is not exported`);
      return fn as ExportedFunction;
    };
    this.batchMatMulFn = exported("BatchMatMul");
    this.transposeFn = exported("Transpose");
    this.padV2Fn = exported("PadV2");
    this.argumentOffset = (exported("malloc") as unknown as (bytes: number) => number)(4 * RawCalls.ARGUMENT_INTS) >>> 0;
    this.argumentView = this.freshArgumentView();
  }

  /** The argument buffer; growing the wasm memory replaces its buffer (and detaches old views). */
  private arguments(): Int32Array {
    if (this.argumentView.buffer !== this.wasm.HEAPU8.buffer) this.argumentView = this.freshArgumentView();
    return this.argumentView;
  }

  private freshArgumentView(): Int32Array {
    return new Int32Array(this.wasm.HEAPU8.buffer, this.argumentOffset, RawCalls.ARGUMENT_INTS);
  }

  /** Writes `values` at int position `position` of the argument buffer; returns its byte offset. */
  private ints(values: number[], position = 0): number {
    if (position + values.length > RawCalls.ARGUMENT_INTS) {
      throw new Error("wasm gradient kernels: too many raw arguments");
    }
    this.arguments().set(values, position);
    return this.argumentOffset + 4 * position;
  }

  batchMatMul(aId: number, m: number, k: number, bId: number, n: number, outId: number): void {
    const view = this.arguments();
    view[0] = 1;
    view[1] = m;
    view[2] = k; // a: [1, m, k]
    view[3] = 1;
    view[4] = k;
    view[5] = n; // b: [1, k, n]
    this.batchMatMulFn(aId, this.argumentOffset, 3, bId, this.argumentOffset + 12, 3, 0, 0, outId);
  }

  transpose(xId: number, shape: number[], perm: number[], outId: number): void {
    const shapeOffset = this.ints(shape);
    const permOffset = this.ints(perm, shape.length);
    this.transposeFn(xId, shapeOffset, shape.length, FLOAT32_DTYPE_CODE, outId, permOffset, perm.length);
  }

  padV2(xId: number, shape: number[], before: number[], after: number[], outId: number): void {
    const shapeOffset = this.ints(shape);
    const beforeOffset = this.ints(before, shape.length);
    const afterOffset = this.ints(after, 2 * shape.length);
    this.padV2Fn(xId, shapeOffset, shape.length, FLOAT32_DTYPE_CODE, beforeOffset, afterOffset, 0, outId);
  }
}

const rawCallsByModule = new WeakMap<WasmModule, RawCalls>();

function rawCalls(backend: WasmBackend): RawCalls {
  let calls = rawCallsByModule.get(backend.wasm);
  if (calls == null) {
    calls = new RawCalls(backend.wasm);
    rawCallsByModule.set(backend.wasm, calls);
  }
  return calls;
}

/**
 * Drops size-1 axes and merges axes that stay adjacent under `perm`, so the
 * backend runs its 2-D/3-D/4-D transpose loops rather than the generic one.
 */
export function simplifyTranspose(shape: number[], perm: number[]): {shape: number[]; perm: number[]} {
  const kept = shape.map((_, axis) => axis).filter((axis) => shape[axis] !== 1);
  if (kept.length === 0) return {shape: [1], perm: [0]};
  const position = new Map(kept.map((axis, index) => [axis, index] as const));
  const reducedShape = kept.map((axis) => shape[axis]);
  const order = perm.filter((axis) => shape[axis] !== 1).map((axis) => position.get(axis)!);
  const runs: number[][] = [];
  for (const axis of order) {
    const last = runs[runs.length - 1];
    if (last != null && last[last.length - 1] + 1 === axis) last.push(axis);
    else runs.push([axis]);
  }
  const runsInInputOrder = [...runs].sort((a, b) => a[0] - b[0]);
  const simpleShape = runsInInputOrder.map((run) => run.reduce((size, axis) => size * reducedShape[axis], 1));
  const simplePerm = runs.map((run) => runsInInputOrder.indexOf(run));
  return avoidStridedWriteAliasing(simpleShape, simplePerm);
}

/**
 * The backend's 2-D transpose loop reads sequentially and writes with a
 * stride of `rows` elements; when that stride is a multiple of 1 KiB the
 * writes keep hitting the same cache sets and it runs ~5x slower (seen with
 * 32x32 images: 4.2 ns instead of 0.6 ns per element). Splitting the rows axis
 * turns it into the 3-D loop, which writes sequentially (~1 ns per element).
 */
function avoidStridedWriteAliasing(shape: number[], perm: number[]): {shape: number[]; perm: number[]} {
  let lead = 0; // the backend loops over leading axes that stay in place
  while (lead < perm.length && perm[lead] === lead) lead++;
  if (perm.length - lead !== 2) return {shape, perm};
  const rows = shape[lead];
  if (rows % 256 !== 0) return {shape, perm};
  let factor = 2;
  while (rows % factor !== 0) factor++;
  return {
    shape: [...shape.slice(0, lead), factor, rows / factor, shape[lead + 1]],
    perm: [...perm.slice(0, lead), lead + 2, lead, lead + 1]
  };
}

/** A float32 range of the wasm heap known to the C side under `id`. */
export interface HeapView {
  id: number;
  byteOffset: number;
  size: number;
}

/**
 * Scope for one kernel invocation: allocates scratch tensors and heap views
 * and releases all of them (except the kernel's result) in `dispose`.
 */
export class KernelScope {
  private readonly scratch: tf.TensorInfo[] = [];
  private readonly viewIds: number[] = [];

  constructor(readonly backend: WasmBackend) {}

  /** Uninitialised float32 scratch tensor, disposed with the scope. */
  alloc(shape: number[]): tf.TensorInfo {
    return this.track(this.backend.makeOutput(shape, "float32"));
  }

  /** Makes an intermediate result (e.g. of runWasmKernel) scratch. */
  track(info: tf.TensorInfo): tf.TensorInfo {
    this.scratch.push(info);
    return info;
  }

  /** Removes `info` from the scratch list so that it survives the scope. */
  keep(info: tf.TensorInfo): tf.TensorInfo {
    const index = this.scratch.indexOf(info);
    if (index >= 0) this.scratch.splice(index, 1);
    return info;
  }

  /** Disposes a scratch tensor now instead of at the end of the scope. */
  release(info: tf.TensorInfo): void {
    const index = this.scratch.indexOf(info);
    if (index >= 0) {
      this.scratch.splice(index, 1);
      this.backend.disposeData(info.dataId);
    }
  }

  /**
   * Registers `size` float32 elements starting `elementOffset` elements into
   * `base` under a new tensor id of the C side (no copy). Only for raw C calls.
   */
  view(base: tf.TensorInfo, elementOffset: number, size: number): HeapView {
    const id = this.backend.dataIdNextNumber++;
    const byteOffset = byteOffsetOf(this.backend, base) + 4 * elementOffset;
    this.backend.wasm.tfjs.registerTensor(id, size, byteOffset);
    this.viewIds.push(id);
    return {id, byteOffset, size};
  }

  /** A whole tensor as a heap view (its own id). */
  whole(info: tf.TensorInfo): HeapView {
    const data = tensorData(this.backend, info);
    return {id: data.id, byteOffset: data.memoryOffset, size: tf.util.sizeFromShape(info.shape)};
  }

  dispose(): void {
    // Disposing a view id also deletes XNNPACK operators cached on it.
    for (const id of this.viewIds) this.backend.wasm.tfjs.disposeData(id);
    this.viewIds.length = 0;
    for (const info of this.scratch) this.backend.disposeData(info.dataId);
    this.scratch.length = 0;
  }

  /**
   * out[m, n] = a[m, k] · b[k, n] via XNNPACK's fully connected operator. The
   * operator (holding b packed) is cached on b's id, so repeated products with
   * the same b view pack it once.
   */
  matMul(a: HeapView, m: number, k: number, b: HeapView, n: number, out: HeapView): void {
    rawCalls(this.backend).batchMatMul(a.id, m, k, b.id, n, out.id);
  }

  /** Writes the float32 transpose of `x` (viewed with `shape`) into `out`. */
  transpose(x: HeapView, shape: number[], perm: number[], out: HeapView): void {
    const simple = simplifyTranspose(shape, perm);
    if (simple.perm.every((axis, index) => axis === index)) {
      const heap = this.backend.wasm.HEAPU8;
      heap.copyWithin(out.byteOffset, x.byteOffset, x.byteOffset + 4 * x.size);
      return;
    }
    rawCalls(this.backend).transpose(x.id, simple.shape, simple.perm, out.id);
  }

  /** Writes `x` (viewed with `shape`) zero-padded by `before`/`after` per axis into `out`. */
  pad(x: HeapView, shape: number[], before: number[], after: number[], out: HeapView): void {
    rawCalls(this.backend).padV2(x.id, shape, before, after, out.id);
  }
}

/** Runs `body` with a fresh scope; everything not kept is released afterwards, also on error. */
export function withKernelScope<T>(backend: unknown, body: (scope: KernelScope) => T): T {
  const scope = new KernelScope(asWasmBackend(backend));
  try {
    return body(scope);
  } finally {
    scope.dispose();
  }
}
