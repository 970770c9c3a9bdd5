/**
 * NumPy .npy files (format version 1.0) holding one float32 array, little-endian, C order: what
 * `numpy.load` reads. The header is padded with spaces so that the data starts at a multiple of
 * 64 bytes, as numpy writes it.
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function npyHeader(shape: readonly number[]): string {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // magic (6) + version (2) + header length (2) + header, ending in "\n", padded to 64.
  const unpadded = 10 + dict.length + 1;
  return dict + " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
}

/** Size in bytes of the .npy file encodeNpy writes for `shape`. */
export function npyByteLength(shape: readonly number[]): number {
  return 10 + npyHeader(shape).length + 4 * shape.reduce((a, b) => a * b, 1);
}

/** The bytes of a .npy file holding `data` with `shape` as float32 ('<f4'). */
export function encodeNpy(data: Float32Array, shape: readonly number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) throw new Error(`shape [${shape.join(", ")}] holds ${count} values, the array has ${data.length}`);
  const header = npyHeader(shape);
  const out = new Uint8Array(10 + header.length + data.length * 4);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const view = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return out;
}

/** Reads a float32 .npy file written by encodeNpy (or numpy: '<f4', C order, version 1.0 or 2.0). */
export function decodeNpy(bytes: Uint8Array, source = "npy file"): {data: Float32Array; shape: number[]} {
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error(`${source} is not a .npy file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = (major === 1 ? 10 : 12) + headerLength;
  if (start > bytes.length) throw new Error(`${source} is truncated (header)`);
  const header = new TextDecoder().decode(bytes.subarray(major === 1 ? 10 : 12, start));
  if (!/'descr':\s*'<f4'/.test(header)) throw new Error(`${source} does not hold little-endian float32 ('<f4')`);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${source} is in Fortran order`);
  const shapeMatch = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!shapeMatch) throw new Error(`${source} has no shape in its header`);
  const shape = shapeMatch[1]!
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length - start !== count * 4) throw new Error(`${source} holds ${bytes.length - start} data bytes, its shape needs ${count * 4}`);
  const data = new Float32Array(count);
  const dataView = new DataView(bytes.buffer, bytes.byteOffset + start, count * 4);
  for (let i = 0; i < count; i++) data[i] = dataView.getFloat32(i * 4, true);
  return {data, shape};
}
