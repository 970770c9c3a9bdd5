/**
 * Ground-truth masks G: binary Uint8Array, row-major, 1 = object. Boxes follow the
 * dataset contract `[x0, y0, x1, y1]` with x1/y1 exclusive.
 */

export type Box = readonly [number, number, number, number];

/**
 * Rasterise boxes into one mask. A pixel is inside when its centre (x + 0.5, y + 0.5)
 * lies in [x0, x1) × [y0, y1): for integer coordinates that is exactly x0 ≤ x < x1,
 * and fractional (rescaled) boxes are handled the same way. Parts outside the map are clipped.
 */
export function boxesToMask(boxes: readonly Box[], width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (const [x0, y0, x1, y1] of boxes) {
    const xStart = Math.max(0, Math.ceil(x0 - 0.5));
    const xEnd = Math.min(width, Math.ceil(x1 - 0.5));
    const yStart = Math.max(0, Math.ceil(y0 - 0.5));
    const yEnd = Math.min(height, Math.ceil(y1 - 0.5));
    for (let y = yStart; y < yEnd; y++) mask.fill(1, y * width + xStart, Math.max(y * width + xStart, y * width + xEnd));
  }
  return mask;
}

/** Boxes from one image size to another (e.g. image pixels to map resolution). */
export function scaleBoxes(boxes: readonly Box[], fromWidth: number, fromHeight: number, toWidth: number, toHeight: number): Box[] {
  const sx = toWidth / fromWidth;
  const sy = toHeight / fromHeight;
  return boxes.map(([x0, y0, x1, y1]) => [x0 * sx, y0 * sy, x1 * sx, y1 * sy] as const);
}

/** Pixel-wise OR of masks of equal length (nonzero counts as inside). */
export function unionMasks(masks: readonly ArrayLike<number>[]): Uint8Array {
  if (masks.length === 0) throw new Error("unionMasks needs at least one mask");
  const length = masks[0]!.length;
  const out = new Uint8Array(length);
  for (const mask of masks) {
    if (mask.length !== length) throw new Error(`masks differ in length: ${mask.length} vs ${length}`);
    for (let i = 0; i < length; i++) if (mask[i]) out[i] = 1;
  }
  return out;
}

/** Number of pixels inside a mask (nonzero entries). */
export function maskArea(mask: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  return n;
}

/**
 * Run lengths over a row-major mask (annotations.json's "rle-row-major-zeros-first"):
 * alternating 0-runs and 1-runs, always starting with a 0-run (which may be 0 long). The runs sum
 * to the mask's length.
 */
export function encodeRle(mask: ArrayLike<number>): number[] {
  const runs: number[] = [];
  let current = 0;
  let run = 0;
  for (let i = 0; i < mask.length; i++) {
    const bit = mask[i] ? 1 : 0;
    if (bit === current) {
      run++;
    } else {
      runs.push(run);
      current = bit;
      run = 1;
    }
  }
  runs.push(run);
  return runs;
}

/** The mask of {@link encodeRle}'s runs; runs that are not counts or do not cover `length` pixels are an error. */
export function decodeRle(runs: readonly number[], length: number): Uint8Array {
  const mask = new Uint8Array(length);
  let offset = 0;
  let bit = 0;
  for (const run of runs) {
    if (!Number.isInteger(run) || run < 0) throw new Error(`bad RLE run ${run}`);
    if (offset + run > length) throw new Error(`RLE runs cover more than the ${length} pixels of the mask`);
    if (bit) mask.fill(1, offset, offset + run);
    offset += run;
    bit ^= 1;
  }
  if (offset !== length) throw new Error(`RLE runs cover ${offset} pixels, expected ${length}`);
  return mask;
}

/** One annotated object as ground truth needs it: its class, box and visible pixels (a mask or its runs). */
export interface TruthInstance {
  classIndex: number;
  box: Box;
  mask?: ArrayLike<number>;
  rle?: readonly number[];
}

/**
 * Ground truth G of one class in one image (algorithms.md, Metrics): the union of the class's
 * boxes (the paper's protocol) or of its visible-pixel masks. null when the class is absent (a
 * defect-free `normal` image) or covers no pixel, so localisation is left out for that image.
 */
export function classTruth(instances: readonly TruthInstance[], classIndex: number, width: number, height: number, truth: "box" | "mask"): Uint8Array | null {
  const own = instances.filter((i) => i.classIndex === classIndex);
  if (own.length === 0) return null;
  const pixels = (i: TruthInstance): ArrayLike<number> => {
    if (i.mask) return i.mask;
    if (i.rle) return decodeRle(i.rle, width * height);
    throw new Error(`an instance of class ${classIndex} has neither a mask nor RLE runs`);
  };
  const mask =
    truth === "box"
      ? boxesToMask(
          own.map((i) => i.box),
          width,
          height
        )
      : unionMasks(own.map(pixels));
  return mask.some((v) => v !== 0) ? mask : null;
}
