/** Binary mask helpers for the generators: tight boxes and areas (the RLE codec is src/lib/metrics/masks.ts). */

/** Tight box [x0, y0, x1, y1) around the set pixels; null when the mask is empty. */
export function boxOfMask(mask: Uint8Array, width: number, height: number): [number, number, number, number] | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (mask[y * width + x]) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  return x1 < 0 ? null : [x0, y0, x1 + 1, y1 + 1];
}

// The annotation encoding lives with the engine's masks: pages and Node decode it the same way.
export {decodeRle, encodeRle} from "../../src/lib/metrics/masks.js";
