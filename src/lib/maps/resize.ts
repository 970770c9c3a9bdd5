/**
 * `Up` of algorithms.md: bilinear resize with half-pixel centres,
 * `src = (dst + 0.5)·in/out − 0.5`, clamped at the edges. The arithmetic follows the
 * tfjs cpu kernel of `tf.image.resizeBilinear(x, size, false, true)` step by step, so
 * results agree with TF2 to the last float32 bit. Nearest-neighbour is for binary masks.
 */
import {assertSize, type SaliencyMap} from "./types.js";

interface AxisSampling {
  lower: Int32Array;
  upper: Int32Array;
  frac: Float64Array;
}

/** Source positions of every output row (or column) along one axis. */
function bilinearAxis(inSize: number, outSize: number): AxisSampling {
  const ratio = inSize / outSize;
  const lower = new Int32Array(outSize);
  const upper = new Int32Array(outSize);
  const frac = new Float64Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const src = ratio * (i + 0.5) - 0.5;
    const lo = Math.max(0, Math.floor(src));
    lower[i] = lo;
    upper[i] = Math.min(inSize - 1, Math.ceil(src));
    // Negative below the first centre; harmless there because lower === upper.
    frac[i] = src - lo;
  }
  return {lower, upper, frac};
}

/**
 * Bilinear resize of an interleaved row-major array with `channels` values per pixel.
 * Returns a new Float32Array of length outWidth·outHeight·channels.
 */
export function resizeBilinearArray(
  data: ArrayLike<number>,
  inWidth: number,
  inHeight: number,
  outWidth: number,
  outHeight: number,
  channels = 1
): Float32Array {
  assertSize(inWidth, inHeight);
  assertSize(outWidth, outHeight);
  if (data.length !== inWidth * inHeight * channels) {
    throw new Error(`resize input has length ${data.length}, expected ${inWidth}x${inHeight}x${channels}`);
  }
  const rows = bilinearAxis(inHeight, outHeight);
  const cols = bilinearAxis(inWidth, outWidth);
  const out = new Float32Array(outWidth * outHeight * channels);
  const rowStride = inWidth * channels;
  let o = 0;
  for (let r = 0; r < outHeight; r++) {
    const top = rows.lower[r]! * rowStride;
    const bottom = rows.upper[r]! * rowStride;
    const rowFrac = rows.frac[r]!;
    for (let c = 0; c < outWidth; c++) {
      const left = cols.lower[c]! * channels;
      const right = cols.upper[c]! * channels;
      const colFrac = cols.frac[c]!;
      for (let d = 0; d < channels; d++) {
        const topLeft = data[top + left + d]!;
        const topRight = data[top + right + d]!;
        const bottomLeft = data[bottom + left + d]!;
        const bottomRight = data[bottom + right + d]!;
        const upperValue = topLeft + (topRight - topLeft) * colFrac;
        const lowerValue = bottomLeft + (bottomRight - bottomLeft) * colFrac;
        out[o++] = upperValue + (lowerValue - upperValue) * rowFrac;
      }
    }
  }
  return out;
}

/** `Up`: bilinear, half-pixel centres (TF2 / PyTorch align_corners=False / OpenCV INTER_LINEAR). */
export function resizeBilinear(map: SaliencyMap, width: number, height: number): SaliencyMap {
  if (map.width === width && map.height === height) return {width, height, data: map.data.slice()};
  return {width, height, data: resizeBilinearArray(map.data, map.width, map.height, width, height, 1)};
}

/** Nearest source index with half-pixel centres: `floor((dst + 0.5)·in/out)`, clamped (TF2, PyTorch "nearest-exact"). */
function nearestAxis(inSize: number, outSize: number): Int32Array {
  const ratio = inSize / outSize;
  const index = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) index[i] = Math.min(inSize - 1, Math.floor((i + 0.5) * ratio));
  return index;
}

/** Nearest-neighbour resize of any single-channel row-major array; keeps the array type. */
export function resizeNearestArray<T extends Float32Array | Uint8Array>(data: T, inWidth: number, inHeight: number, outWidth: number, outHeight: number): T {
  assertSize(inWidth, inHeight);
  assertSize(outWidth, outHeight);
  if (data.length !== inWidth * inHeight) {
    throw new Error(`resize input has length ${data.length}, expected ${inWidth}x${inHeight}`);
  }
  const rows = nearestAxis(inHeight, outHeight);
  const cols = nearestAxis(inWidth, outWidth);
  const out = (data instanceof Uint8Array ? new Uint8Array(outWidth * outHeight) : new Float32Array(outWidth * outHeight)) as T;
  for (let r = 0; r < outHeight; r++) {
    const src = rows[r]! * inWidth;
    for (let c = 0; c < outWidth; c++) out[r * outWidth + c] = data[src + cols[c]!]!;
  }
  return out;
}

/** Nearest-neighbour resize of a map (values are copied, never blended). */
export function resizeNearest(map: SaliencyMap, width: number, height: number): SaliencyMap {
  return {width, height, data: resizeNearestArray(map.data, map.width, map.height, width, height)};
}

/** Nearest-neighbour resize of a binary mask (e.g. ground truth G to map resolution). */
export function resizeMaskNearest(mask: Uint8Array, inWidth: number, inHeight: number, outWidth: number, outHeight: number): Uint8Array {
  return resizeNearestArray(mask, inWidth, inHeight, outWidth, outHeight);
}
