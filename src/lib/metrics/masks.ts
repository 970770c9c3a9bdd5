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
