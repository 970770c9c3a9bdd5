/**
 * One file for a JSON header plus binary payloads: how the site ships models (model.json, card
 * and weight shards) and precomputed maps (index + quantised maps) as single file attachments.
 *
 * Layout: "SXP1" (4 bytes) · header length n (uint32, little endian) · header JSON (n bytes,
 * UTF-8) · zero padding to a multiple of 8 · payloads back to back, each starting at a multiple
 * of 8. The header lists each payload's byte offset (from the start of the payload area) and
 * length, so typed-array views over the payloads need no copy.
 *
 * Pure: no DOM, no Node APIs; written by loaders/site and read by the pages.
 */
const MAGIC = [0x53, 0x58, 0x50, 0x31]; // "SXP1"

export interface PackedPart {
  name: string;
  offset: number;
  byteLength: number;
}

export interface PackHeader<M> {
  meta: M;
  parts: PackedPart[];
}

export interface Unpacked<M> {
  meta: M;
  /** Payload bytes by name (views into the packed buffer). */
  parts: Map<string, Uint8Array>;
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

export function pack<M>(meta: M, payloads: ReadonlyArray<{name: string; bytes: Uint8Array}>): Uint8Array {
  const parts: PackedPart[] = [];
  let offset = 0;
  for (const {name, bytes} of payloads) {
    if (parts.some((p) => p.name === name)) throw new Error(`pack: duplicate part name "${name}"`);
    parts.push({name, offset, byteLength: bytes.byteLength});
    offset = align8(offset + bytes.byteLength);
  }
  const header = new TextEncoder().encode(JSON.stringify({meta, parts} satisfies PackHeader<M>));
  const dataStart = align8(8 + header.byteLength);
  const out = new Uint8Array(dataStart + offset);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, header.byteLength, true);
  out.set(header, 8);
  payloads.forEach(({bytes}, i) => out.set(bytes, dataStart + parts[i]!.offset));
  return out;
}

export function unpack<M>(buffer: ArrayBuffer | Uint8Array, source = "packed file"): Unpacked<M> {
  const bytes = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  if (bytes.byteLength < 8 || MAGIC.some((b, i) => bytes[i] !== b)) {
    throw new Error(`${source} is not a packed site file (bad signature)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > bytes.byteLength) throw new Error(`${source} is truncated (header)`);
  let header: PackHeader<M>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as PackHeader<M>;
  } catch (error) {
    throw new Error(`${source} has a malformed header: ${(error as Error).message}`);
  }
  const dataStart = align8(8 + headerLength);
  const parts = new Map<string, Uint8Array>();
  for (const part of header.parts) {
    const start = dataStart + part.offset;
    if (start + part.byteLength > bytes.byteLength) throw new Error(`${source} is truncated (part "${part.name}")`);
    parts.set(part.name, bytes.subarray(start, start + part.byteLength));
  }
  return {meta: header.meta, parts};
}

/** An aligned copy of a part as an ArrayBuffer (tfjs wants whole ArrayBuffers for weights). */
export function partBuffer(part: Uint8Array): ArrayBuffer {
  return part.slice().buffer as ArrayBuffer;
}
