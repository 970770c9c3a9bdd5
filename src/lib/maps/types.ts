/**
 * The one map type of the engine: a single-channel float image, row-major
 * (index = y * width + x). Every map operation takes and returns this shape.
 */
export interface SaliencyMap {
  width: number;
  height: number;
  data: Float32Array;
}

/** Build a map, checking the size; without `data` the map is all zeros. */
export function createMap(width: number, height: number, data?: Float32Array | ArrayLike<number>): SaliencyMap {
  assertSize(width, height);
  const size = width * height;
  if (data === undefined) return {width, height, data: new Float32Array(size)};
  if (data.length !== size) {
    throw new Error(`map data has length ${data.length}, expected ${width}x${height} = ${size}`);
  }
  // Keep a Float32Array as given (no copy); convert anything else.
  return {width, height, data: data instanceof Float32Array ? data : Float32Array.from(data)};
}

/** A copy that shares nothing with the original. */
export function cloneMap(map: SaliencyMap): SaliencyMap {
  return {width: map.width, height: map.height, data: map.data.slice()};
}

/** Throw unless both maps have the same width and height. */
export function assertSameSize(a: SaliencyMap, b: SaliencyMap, what = "maps"): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`${what} differ in size: ${a.width}x${a.height} vs ${b.width}x${b.height}`);
  }
}

export function assertSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`map size must be positive integers, got ${width}x${height}`);
  }
}
