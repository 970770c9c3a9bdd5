/** Which typed-array buffers may be moved (transferred) to another thread instead of copied. */

/**
 * The buffers of `arrays` that each belong wholly to one array: a view into a larger buffer
 * (a wasm heap, a shared pool) must be copied, or moving it would take the rest away too.
 */
export function transferablesOf(arrays: readonly ArrayBufferView[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const a of arrays) {
    const buffer = a.buffer;
    if (buffer instanceof ArrayBuffer && a.byteOffset === 0 && a.byteLength === buffer.byteLength) buffers.add(buffer);
  }
  return [...buffers];
}

/** `array` itself when it owns its whole buffer, else a copy that does. */
export function ownedCopy(array: Float32Array): Float32Array {
  return transferablesOf([array]).length === 1 ? array : Float32Array.from(array);
}
