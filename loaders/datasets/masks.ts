/** Binary mask helpers: tight boxes, areas and the run-length encoding used in annotations.json. */

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

export function maskArea(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i]) n++;
  return n;
}

/**
 * Run lengths over the row-major mask, alternating 0-runs and 1-runs and always starting with a
 * 0-run (which may be 0 long). The runs sum to width*height.
 */
export function encodeRle(mask: Uint8Array): number[] {
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

export function decodeRle(runs: readonly number[], length: number): Uint8Array {
  const mask = new Uint8Array(length);
  let offset = 0;
  let bit = 0;
  for (const run of runs) {
    if (!Number.isInteger(run) || run < 0) throw new Error(`bad RLE run ${run}`);
    if (bit) mask.fill(1, offset, offset + run);
    offset += run;
    bit ^= 1;
  }
  if (offset !== length) throw new Error(`RLE runs cover ${offset} pixels, expected ${length}`);
  return mask;
}
