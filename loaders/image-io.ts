/**
 * PNG and JPEG in and out for Node, with errors that say what is wrong.
 *
 * JPEG is decoded as Chromium decodes it for a canvas, so a map precomputed here equals the
 * one a page computes live: libjpeg-turbo (sharp's libvips; Chromium uses libjpeg-turbo too,
 * same upsampling and IDCT), EXIF orientation applied (browsers draw images upright), an
 * embedded RGB or grayscale ICC profile converted to sRGB, and a CMYK JPEG without a CMYK
 * profile converted with Chromium's own formula (Adobe inverted CMYK: R = C'·K'/255, truncated).
 * A CMYK JPEG with a CMYK profile is converted through that profile (lcms); Chromium folds K into
 * C, M, Y before its profile transform (skcms), so those can differ by several levels.
 * PNG stays with pngjs (8-bit RGBA as stored; alpha dropped).
 */
import {readFile} from "node:fs/promises";
import {PNG} from "pngjs";
import sharp from "sharp";
import type {RgbImage} from "../src/lib/explain/types.js";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

const startsWith = (bytes: Uint8Array, signature: number[]) => signature.every((b, i) => bytes[i] === b);

export type DecodedImage = RgbImage & {rgb: Uint8Array};

function decodePng(bytes: Uint8Array, source: string): DecodedImage {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes));
  } catch (error) {
    throw new Error(`image ${source} is a corrupt PNG: ${(error as Error).message}`);
  }
  const {width, height, data: rgba} = png;
  if (width < 1 || height < 1) throw new Error(`image ${source} has no pixels`);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgb[i] = rgba[j]!;
    rgb[i + 1] = rgba[j + 1]!;
    rgb[i + 2] = rgba[j + 2]!;
  }
  return {width, height, rgb};
}

/** Colour space signature of an ICC profile (header bytes 16..19, e.g. "RGB ", "CMYK", "GRAY"). */
function iccColourSpace(icc: Uint8Array | undefined): string | null {
  return icc && icc.length >= 20 ? String.fromCharCode(...icc.subarray(16, 20)) : null;
}

/**
 * Chromium's CMYK conversion (blink JPEGImageDecoder, SetPixel<JCS_CMYK>): on Adobe inverted
 * samples C' = 255 − C, R = ⌊C'·K'/255⌋ (G, B alike). `cmyk` holds ink amounts (libvips undoes
 * the Adobe inversion), 4 bytes per pixel.
 */
export function cmykToRgbLikeChromium(cmyk: Uint8Array): Uint8Array {
  if (cmyk.length % 4 !== 0) throw new Error(`CMYK data must have 4 bytes per pixel, got ${cmyk.length} bytes`);
  const rgb = new Uint8Array((cmyk.length / 4) * 3);
  for (let p = 0, q = 0; p < cmyk.length; p += 4, q += 3) {
    const white = 255 - cmyk[p + 3]!;
    rgb[q] = Math.floor(((255 - cmyk[p]!) * white) / 255);
    rgb[q + 1] = Math.floor(((255 - cmyk[p + 1]!) * white) / 255);
    rgb[q + 2] = Math.floor(((255 - cmyk[p + 2]!) * white) / 255);
  }
  return rgb;
}

async function decodeJpeg(bytes: Uint8Array, source: string): Promise<DecodedImage> {
  try {
    const metadata = await sharp(bytes).metadata();
    // rotate() with no angle applies (and strips) the EXIF orientation.
    const upright = sharp(bytes).rotate();
    if (metadata.space === "cmyk" && iccColourSpace(metadata.icc) !== "CMYK") {
      // Chromium ignores a missing or non-CMYK profile here and uses its formula; libvips would
      // convert through a generic CMYK profile instead. Keep the samples CMYK and convert here.
      const {data, info} = await upright.pipelineColourspace("cmyk").toColourspace("cmyk").raw().toBuffer({resolveWithObject: true});
      if (info.channels !== 4) throw new Error(`expected 4 CMYK channels, got ${info.channels}`);
      return {width: info.width, height: info.height, rgb: cmykToRgbLikeChromium(data)};
    }
    const {data, info} = await upright.toColourspace("srgb").removeAlpha().raw().toBuffer({resolveWithObject: true});
    if (info.channels !== 3) throw new Error(`expected 3 sRGB channels, got ${info.channels}`);
    return {width: info.width, height: info.height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.byteLength)};
  } catch (error) {
    throw new Error(`image ${source} is a corrupt JPEG: ${(error as Error).message}`);
  }
}

/** Decodes PNG or JPEG bytes to RGB (see the file comment for how JPEG matches browsers). */
export async function decodeImage(bytes: Uint8Array, source: string): Promise<DecodedImage> {
  if (bytes.length === 0) throw new Error(`image ${source} is empty`);
  if (startsWith(bytes, PNG_SIGNATURE)) return decodePng(bytes, source);
  if (startsWith(bytes, JPEG_SIGNATURE)) return decodeJpeg(bytes, source);
  throw new Error(`${source} is not a PNG or JPEG image`);
}

export async function readImageFile(path: string): Promise<DecodedImage> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
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
