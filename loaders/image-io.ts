/** PNG and JPEG in and out for Node (pngjs, jpeg-js), with errors that say what is wrong. */
import {readFileSync} from "node:fs";
import jpeg from "jpeg-js";
import {PNG} from "pngjs";
import type {RgbImage} from "../src/lib/explain/types.js";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

const startsWith = (bytes: Uint8Array, signature: number[]) => signature.every((b, i) => bytes[i] === b);

export function decodeImage(bytes: Uint8Array, source: string): RgbImage & {rgb: Uint8Array} {
  if (bytes.length === 0) throw new Error(`image ${source} is empty`);
  let width: number;
  let height: number;
  let rgba: Uint8Array;
  if (startsWith(bytes, PNG_SIGNATURE)) {
    try {
      const png = PNG.sync.read(Buffer.from(bytes));
      ({width, height} = png);
      rgba = png.data;
    } catch (error) {
      throw new Error(`image ${source} is a corrupt PNG: ${(error as Error).message}`);
    }
  } else if (startsWith(bytes, JPEG_SIGNATURE)) {
    try {
      const decoded = jpeg.decode(bytes, {useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024});
      ({width, height} = decoded);
      rgba = decoded.data;
    } catch (error) {
      throw new Error(`image ${source} is a corrupt JPEG: ${(error as Error).message}`);
    }
  } else {
    throw new Error(`${source} is not a PNG or JPEG image`);
  }
  if (width < 1 || height < 1) throw new Error(`image ${source} has no pixels`);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgb[i] = rgba[j]!;
    rgb[i + 1] = rgba[j + 1]!;
    rgb[i + 2] = rgba[j + 2]!;
  }
  return {width, height, rgb};
}

export function readImageFile(path: string): RgbImage & {rgb: Uint8Array} {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === "ENOENT" ? `image file ${path} does not exist` : `cannot read image ${path}: ${(error as Error).message}`);
  }
  return decodeImage(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

/** RGBA bytes → PNG file contents. */
export function encodePng(width: number, height: number, rgba: Uint8Array | Uint8ClampedArray): Buffer {
  const png = new PNG({width, height});
  png.data = Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength);
  return PNG.sync.write(png);
}
