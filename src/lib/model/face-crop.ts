/**
 * Face crops for a classifier with a square input (the face-expression model: 112×112), and the
 * geometry that takes a map made on the crop back onto the whole photograph.
 *
 * Coordinates are image pixels with edges at integers: pixel (i, j) covers [i, i+1) × [j, j+1)
 * and has its centre at (i + 0.5, j + 0.5). A crop is an integer square inside the image; the
 * crop image is that square resized with bilinear sampling at half-pixel centres (the engine's
 * `Up`, src/lib/maps/resize.ts), so crop pixel (u, v) has its centre at image point
 * (x + (u + 0.5)·s, y + (v + 0.5)·s) with s = size / outSize, and a map on the crop goes back by
 * the same rule in reverse. No DOM, no Node APIs: the pages and the Node tools share it.
 */
import {resizeBilinearArray} from "../maps/resize.js";

/** A detected face (or any axis-aligned box) in image pixels; may be fractional. */
export interface FaceBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The square region of the photo that becomes the model input, and the size it is resized to. */
export interface FaceCrop {
  /** Left and top edge of the square in image pixels (integers, inside the image). */
  x: number;
  y: number;
  /** Side of the square in image pixels (an integer ≥ 1). */
  size: number;
  /** Side of the resized crop (the model's input size). */
  outSize: number;
  /** The face box the crop was made for, in image pixels. */
  box: FaceBox;
  /** Size of the whole image. */
  imageWidth: number;
  imageHeight: number;
  /** True when the wanted square did not fit and was shrunk to the image's short side. */
  shrunk: boolean;
}

export interface CropOptions {
  /** Margin added on every side, as a fraction of the box's longer side (default 0.25). */
  margin?: number;
  /** Side of the crop image (default 112, the face-expression input). */
  outSize?: number;
}

export const DEFAULT_FACE_MARGIN = 0.25;
export const FACE_INPUT_SIZE = 112;
/** Faces whose box is shorter than this (image pixels) are upsampled a lot: callers should warn. */
export const SMALL_FACE_PIXELS = 48;

function assertImageSize(width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`image size must be positive integers, got ${width}x${height}`);
  }
}

function assertBox(box: FaceBox): void {
  const values = [box.x, box.y, box.width, box.height];
  if (!values.every(Number.isFinite) || box.width <= 0 || box.height <= 0) {
    throw new Error(`face box must have finite coordinates and a positive size, got ${JSON.stringify(box)}`);
  }
}

/**
 * The square crop for `box`: centred on the box, side = longer box side × (1 + 2·margin),
 * rounded to whole pixels, then moved (not cut) to lie inside the image. A square larger than
 * the image's short side cannot lie inside it and is shrunk to that side (`shrunk`), so the crop
 * never needs padding.
 */
export function squareCrop(box: FaceBox, imageWidth: number, imageHeight: number, options: CropOptions = {}): FaceCrop {
  assertImageSize(imageWidth, imageHeight);
  assertBox(box);
  const margin = options.margin ?? DEFAULT_FACE_MARGIN;
  const outSize = options.outSize ?? FACE_INPUT_SIZE;
  if (!Number.isFinite(margin) || margin < 0) throw new Error(`crop margin must be a finite number >= 0, got ${margin}`);
  if (!Number.isInteger(outSize) || outSize < 1) throw new Error(`crop output size must be a positive integer, got ${outSize}`);
  if (box.x + box.width <= 0 || box.y + box.height <= 0 || box.x >= imageWidth || box.y >= imageHeight) {
    throw new Error(`face box ${JSON.stringify(box)} lies outside the ${imageWidth}x${imageHeight} image`);
  }
  const wanted = Math.max(1, Math.round(Math.max(box.width, box.height) * (1 + 2 * margin)));
  const size = Math.min(wanted, imageWidth, imageHeight);
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  return {
    x: clamp(Math.round(cx - size / 2), imageWidth - size),
    y: clamp(Math.round(cy - size / 2), imageHeight - size),
    size,
    outSize,
    box: {...box},
    imageWidth,
    imageHeight,
    shrunk: size < wanted
  };
}

/** An interleaved RGB image (3 values per pixel, row-major), 0..255. */
export interface RgbPixels {
  width: number;
  height: number;
  rgb: ArrayLike<number>;
}

/** The crop's pixels resized to outSize × outSize (bilinear, half-pixel centres), rounded to bytes. */
export function cropPixels(image: RgbPixels, crop: FaceCrop): {width: number; height: number; rgb: Uint8Array} {
  assertImageSize(image.width, image.height);
  if (image.width !== crop.imageWidth || image.height !== crop.imageHeight) {
    throw new Error(`crop was made for a ${crop.imageWidth}x${crop.imageHeight} image, got ${image.width}x${image.height}`);
  }
  if (image.rgb.length !== image.width * image.height * 3) {
    throw new Error(`image data has length ${image.rgb.length}, expected ${image.width}x${image.height}x3`);
  }
  const {x, y, size, outSize} = crop;
  const square = new Float32Array(size * size * 3);
  for (let row = 0; row < size; row++) {
    const from = ((y + row) * image.width + x) * 3;
    for (let i = 0; i < size * 3; i++) square[row * size * 3 + i] = image.rgb[from + i]!;
  }
  const resized = size === outSize ? square : resizeBilinearArray(square, size, size, outSize, outSize, 3);
  const rgb = new Uint8Array(outSize * outSize * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = Math.min(255, Math.max(0, Math.round(resized[i]!)));
  return {width: outSize, height: outSize, rgb};
}

/** Image point (continuous coordinates) → crop-image point. */
export function imageToCrop(crop: FaceCrop, point: {x: number; y: number}): {x: number; y: number} {
  const scale = crop.outSize / crop.size;
  return {x: (point.x - crop.x) * scale, y: (point.y - crop.y) * scale};
}

/** Crop-image point (continuous coordinates) → image point. */
export function cropToImage(crop: FaceCrop, point: {x: number; y: number}): {x: number; y: number} {
  const scale = crop.size / crop.outSize;
  return {x: crop.x + point.x * scale, y: crop.y + point.y * scale};
}

/** A box in image pixels → the same box in crop-image pixels. */
export function boxToCrop(crop: FaceCrop, box: FaceBox): FaceBox {
  const scale = crop.outSize / crop.size;
  const {x, y} = imageToCrop(crop, box);
  return {x, y, width: box.width * scale, height: box.height * scale};
}

/** A box in crop-image pixels → the same box in image pixels. */
export function boxToImage(crop: FaceCrop, box: FaceBox): FaceBox {
  const scale = crop.size / crop.outSize;
  const {x, y} = cropToImage(crop, box);
  return {x, y, width: box.width * scale, height: box.height * scale};
}

/**
 * A map made on the crop (outSize × outSize, row-major) → a map of the whole image: resized to
 * the crop's square with the engine's bilinear `Up` and placed at the crop's position; pixels
 * outside the square get `outside` (default 0: no attribution there).
 */
export function mapToImage(
  crop: FaceCrop,
  map: {width: number; height: number; data: ArrayLike<number>},
  outside = 0
): {width: number; height: number; data: Float32Array} {
  if (map.width !== crop.outSize || map.height !== crop.outSize) {
    throw new Error(`map is ${map.width}x${map.height}; the crop's maps are ${crop.outSize}x${crop.outSize}`);
  }
  const square = crop.size === crop.outSize ? Float32Array.from(map.data) : resizeBilinearArray(map.data, map.width, map.height, crop.size, crop.size, 1);
  const data = new Float32Array(crop.imageWidth * crop.imageHeight).fill(outside);
  for (let row = 0; row < crop.size; row++) {
    data.set(square.subarray(row * crop.size, (row + 1) * crop.size), (crop.y + row) * crop.imageWidth + crop.x);
  }
  return {width: crop.imageWidth, height: crop.imageHeight, data};
}

/** True when the face is small enough that its crop is mostly upsampled detail (warn the reader). */
export function isSmallFace(box: FaceBox, minPixels = SMALL_FACE_PIXELS): boolean {
  return Math.min(box.width, box.height) < minPixels;
}

/** The image mirrored left to right (a face seen in a mirror: still a real face, for augmenting few photos). */
export function mirroredPixels(image: RgbPixels): {width: number; height: number; rgb: Uint8Array} {
  assertImageSize(image.width, image.height);
  if (image.rgb.length !== image.width * image.height * 3) {
    throw new Error(`image data has length ${image.rgb.length}, expected ${image.width}x${image.height}x3`);
  }
  const {width, height} = image;
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const from = (y * width + x) * 3;
      const to = (y * width + width - 1 - x) * 3;
      rgb[to] = image.rgb[from]!;
      rgb[to + 1] = image.rgb[from + 1]!;
      rgb[to + 2] = image.rgb[from + 2]!;
    }
  }
  return {width, height, rgb};
}

/** A face as the detectors report it, in image pixels, with the detector's confidence in 0..1. */
export interface DetectedFace {
  box: FaceBox;
  score: number;
}

/**
 * face-api's detections as plain boxes: empty boxes dropped, most confident first (ties: leftmost
 * first, so the order does not depend on the detector's), the same in the tab and in Node.
 */
export function normaliseDetections(found: readonly {box: FaceBox; score: number}[]): DetectedFace[] {
  return found
    .map((d) => ({box: {x: d.box.x, y: d.box.y, width: d.box.width, height: d.box.height}, score: d.score}))
    .filter((d) => d.box.width > 0 && d.box.height > 0)
    .sort((a, b) => b.score - a.score || a.box.x - b.box.x);
}
