/**
 * COCO segmentations as binary masks (row-major, 1 = object): run-length encodings, both the
 * plain `counts` list and the compressed string of the COCO API (its LEB128-like text form),
 * which run down the columns (column-major, starting with zeros); and polygons, filled by
 * pixel centre (a pixel is in when (x + 0.5, y + 0.5) is inside, even-odd rule; the COCO API's
 * own rasteriser can differ on boundary pixels).
 */

export interface CocoRle {
  size: [number, number];
  counts: number[] | string;
}

export type CocoSegmentation = number[][] | CocoRle;

/** The run lengths of a compressed COCO RLE string (the COCO API's rleFrString). */
export function decodeCocoCounts(text: string): number[] {
  const counts: number[] = [];
  let p = 0;
  while (p < text.length) {
    let x = 0;
    let k = 0;
    let more = true;
    while (more) {
      if (p >= text.length) throw new Error("compressed COCO RLE ends in the middle of a number");
      const c = text.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new Error(`compressed COCO RLE has an invalid character "${text[p]}"`);
      if (k > 6) throw new Error("compressed COCO RLE has a number too large");
      x |= (c & 0x1f) << (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x |= -1 << (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2]!;
    counts.push(x);
  }
  return counts;
}

/** The compressed COCO RLE string of run lengths (the COCO API's rleToString). */
export function encodeCocoCounts(counts: readonly number[]): string {
  let text = "";
  counts.forEach((count, i) => {
    let x = i > 2 ? count - counts[i - 2]! : count;
    let more = true;
    while (more) {
      let c = x & 0x1f;
      x >>= 5;
      more = c & 0x10 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      text += String.fromCharCode(c + 48);
    }
  });
  return text;
}

/** A COCO RLE (either form) as a row-major mask of width × height. */
export function cocoRleToMask(rle: CocoRle, width: number, height: number): Uint8Array {
  const [h, w] = rle.size;
  if (h !== height || w !== width) throw new Error(`RLE of size ${w}x${h} on an image of ${width}x${height}`);
  const counts = typeof rle.counts === "string" ? decodeCocoCounts(rle.counts) : rle.counts;
  const mask = new Uint8Array(width * height);
  let position = 0;
  counts.forEach((run, i) => {
    if (!Number.isInteger(run) || run < 0) throw new Error(`bad COCO RLE run ${run}`);
    if (position + run > width * height) throw new Error(`COCO RLE runs cover more than the ${width * height} pixels of the image`);
    if (i % 2 === 1) {
      // Column-major position p is pixel (x = p / h, y = p % h).
      for (let p = position; p < position + run; p++) mask[(p % height) * width + Math.floor(p / height)] = 1;
    }
    position += run;
  });
  if (position !== width * height) throw new Error(`COCO RLE runs cover ${position} pixels, the image has ${width * height}`);
  return mask;
}

/** A row-major mask as a compressed COCO RLE. */
export function maskToCocoRle(mask: ArrayLike<number>, width: number, height: number): CocoRle {
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const bit = mask[y * width + x] ? 1 : 0;
      if (bit === current) run++;
      else {
        counts.push(run);
        current = bit;
        run = 1;
      }
    }
  }
  counts.push(run);
  return {size: [height, width], counts: encodeCocoCounts(counts)};
}

/** Polygons [x1, y1, x2, y2, ...], each filled by pixel centre (even-odd), united into a row-major mask. */
export function polygonsToMask(polygons: readonly (readonly number[])[], width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  for (const polygon of polygons) {
    const own = new Uint8Array(width * height);
    if (polygon.length < 6 || polygon.length % 2 !== 0) throw new Error(`a COCO polygon needs at least 3 (x, y) points, got ${polygon.length} numbers`);
    const points = polygon.length / 2;
    for (let y = 0; y < height; y++) {
      const cy = y + 0.5;
      const crossings: number[] = [];
      for (let i = 0, j = points - 1; i < points; j = i++) {
        const [xi, yi, xj, yj] = [polygon[2 * i]!, polygon[2 * i + 1]!, polygon[2 * j]!, polygon[2 * j + 1]!];
        if (yi > cy !== yj > cy) crossings.push(xi + ((cy - yi) * (xj - xi)) / (yj - yi));
      }
      crossings.sort((a, b) => a - b);
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        // Pixels whose centre x + 0.5 lies in [left, right).
        const from = Math.max(0, Math.ceil(crossings[k]! - 0.5));
        const to = Math.min(width, Math.ceil(crossings[k + 1]! - 0.5));
        for (let x = from; x < to; x++) own[y * width + x] ^= 1;
      }
    }
    for (let i = 0; i < own.length; i++) mask[i] |= own[i]!;
  }
  return mask;
}

/** Any COCO segmentation as a mask. */
export function cocoSegmentationToMask(segmentation: CocoSegmentation, width: number, height: number): Uint8Array {
  if (Array.isArray(segmentation)) return polygonsToMask(segmentation, width, height);
  if (segmentation && typeof segmentation === "object" && "counts" in segmentation) return cocoRleToMask(segmentation, width, height);
  throw new Error("a COCO segmentation must be a list of polygons or an RLE object");
}
