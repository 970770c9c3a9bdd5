/**
 * A map as a file, compactly. Two forms, both documented on the Playground and in the README:
 *
 * - JSON (`saliency-explorer-map/1`): the result's metadata (method, class, score, options,
 *   timings, model, image) and the map as base64 of little-endian float16 values, row-major,
 *   `shape` [height, width]. A 768×576 map is about 1.2 MB (4 MB as a JSON number list). In
 *   Python: `np.frombuffer(base64.b64decode(m["data"]), "<f2").reshape(m["shape"])`.
 * - `.npy` (NumPy format 1.0): the exact float32 map, shape (height, width), for `np.load`.
 *
 * float16 keeps 11 significant bits: on [0, 1] maps the error is at most 2⁻¹² (0.00024). No DOM.
 */
import type {Explanation} from "../lib/explain/types.js";
import type {SaliencyMap} from "../lib/maps/types.js";

export const MAP_FORMAT = "saliency-explorer-map/1";

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** IEEE 754 half-precision bits of a number, rounded to nearest, ties to even. */
export function float16Bits(value: number): number {
  scratch[0] = value;
  const x = scratchBits[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero).
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const middle = 1 << (shift - 1);
    if (rest > middle || (rest === middle && half & 1)) half++;
    return sign | half;
  }
  let half = sign | (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa rolls into the exponent, which is the right result.
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return half;
}

/** The number a half-precision bit pattern stands for. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

export function base64(bytes: Uint8Array): string {
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out.push(BASE64[(n >> 18) & 63]!, BASE64[(n >> 12) & 63]!, b === undefined ? "=" : BASE64[(n >> 6) & 63]!, c === undefined ? "=" : BASE64[n & 63]!);
  }
  return out.join("");
}

export function fromBase64(text: string): Uint8Array {
  const clean = text.replace(/=+$/, "");
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let count = 0;
  let j = 0;
  for (const ch of clean) {
    const v = BASE64.indexOf(ch);
    if (v < 0) throw new Error(`not base64: "${ch}"`);
    bits = (bits << 6) | v;
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[j++] = (bits >> count) & 0xff;
    }
  }
  return out;
}

/** The map's values as little-endian float16 bytes, row-major. */
export function float16Bytes(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length * 2);
  for (let i = 0; i < values.length; i++) {
    const h = float16Bits(values[i]!);
    bytes[2 * i] = h & 0xff;
    bytes[2 * i + 1] = h >>> 8;
  }
  return bytes;
}

export interface EncodedMap {
  dtype: "float16";
  byteOrder: "little";
  /** [height, width], row-major. */
  shape: [number, number];
  encoding: "base64";
  data: string;
}

export function encodeMap(map: SaliencyMap): EncodedMap {
  return {dtype: "float16", byteOrder: "little", shape: [map.height, map.width], encoding: "base64", data: base64(float16Bytes(map.data))};
}

export function decodeMap(encoded: EncodedMap): SaliencyMap {
  if (encoded.dtype !== "float16" || encoded.encoding !== "base64") throw new Error(`unsupported map encoding ${encoded.dtype}/${encoded.encoding}`);
  const [height, width] = encoded.shape;
  const bytes = fromBase64(encoded.data);
  if (bytes.length !== width * height * 2) throw new Error(`map data has ${bytes.length} bytes; ${width}×${height} float16 needs ${width * height * 2}`);
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = float16Value(bytes[2 * i]! | (bytes[2 * i + 1]! << 8));
  return {width, height, data};
}

/** The JSON record of an explanation (intermediates left out: they are the page's, and large). */
export function mapRecord(explanation: Explanation, context: {model: string; image: string; url?: string}): Record<string, unknown> {
  return {
    format: MAP_FORMAT,
    method: explanation.method,
    classIndex: explanation.classIndex,
    className: explanation.className,
    score: explanation.score,
    layer: explanation.layer,
    options: explanation.options,
    backend: explanation.backend,
    timings: explanation.timings,
    passes: explanation.passes,
    model: context.model,
    image: context.image,
    ...(context.url ? {url: context.url} : {}),
    width: explanation.map.width,
    height: explanation.map.height,
    map: encodeMap(explanation.map)
  };
}

/** The map as a NumPy .npy file (format 1.0, little-endian float32, shape (height, width)). */
export function npyBytes(map: SaliencyMap): Uint8Array {
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${map.height}, ${map.width}), }`;
  // Magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending in \n.
  const unpadded = 10 + dict.length + 1;
  const header = dict + " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  const out = new Uint8Array(10 + header.length + map.data.length * 4);
  out.set([0x93, ...Array.from("NUMPY", (c) => c.charCodeAt(0)), 1, 0, header.length & 0xff, header.length >>> 8]);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const view = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < map.data.length; i++) view.setFloat32(4 * i, map.data[i]!, true);
  return out;
}
