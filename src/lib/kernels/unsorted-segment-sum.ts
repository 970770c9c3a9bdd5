// UnsortedSegmentSum for the wasm backend (it has none): used by the gradient
// of gather. Follows the cpu backend: output [numSegments, ...x.shape[1:]];
// segment ids index axis 0 (and, when segmentIds has rank r > 1, pair
// element-wise with x's axes 1..r-1); ids < 0 or >= numSegments are dropped.

import * as tf from "@tensorflow/tfjs";
import {asWasmBackend, f32View, int32View} from "./wasm-backend-internals.js";

export function unsortedSegmentSumWasm(args: {inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap}): tf.TensorInfo {
  const backend = asWasmBackend(args.backend);
  const {x, segmentIds} = args.inputs as {x: tf.TensorInfo; segmentIds: tf.TensorInfo};
  const numSegments = (args.attrs as unknown as tf.UnsortedSegmentSumAttrs).numSegments;
  if (x.dtype !== "float32" && x.dtype !== "int32") {
    throw new Error(`UnsortedSegmentSum (wasm gradient kernels): unsupported dtype ${x.dtype}`);
  }
  if (segmentIds.dtype !== "int32") {
    throw new Error(`UnsortedSegmentSum (wasm gradient kernels): segmentIds must be int32, got ${segmentIds.dtype}`);
  }
  const idRank = segmentIds.shape.length;
  if (idRank < 1 || idRank > x.shape.length || segmentIds.shape.some((size, axis) => size !== x.shape[axis])) {
    throw new Error(`UnsortedSegmentSum (wasm gradient kernels): segmentIds shape ${segmentIds.shape} ` + `must be a prefix of x shape ${x.shape}`);
  }
  const rows = x.shape[0];
  const columns = tf.util.sizeFromShape(x.shape.slice(1, idRank)); // axes paired with ids besides axis 0
  const inner = tf.util.sizeFromShape(x.shape.slice(idRank));
  const outShape = [numSegments, ...x.shape.slice(1)];
  const out = backend.makeOutput(outShape, x.dtype);
  const ids = int32View(backend, segmentIds);
  const src = x.dtype === "float32" ? f32View(backend, x) : int32View(backend, x);
  const dst = x.dtype === "float32" ? f32View(backend, out) : int32View(backend, out);
  dst.fill(0);
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const id = ids[row * columns + column];
      if (id < 0 || id >= numSegments) continue;
      const from = (row * columns + column) * inner;
      const to = (id * columns + column) * inner;
      for (let k = 0; k < inner; k++) dst[to + k] += src[from + k];
    }
  }
  return out;
}
