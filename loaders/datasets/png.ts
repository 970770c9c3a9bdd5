/** PNG encoding/decoding of packed RGB images (HxWx3 bytes) via pngjs. */
import {PNG} from "pngjs";

export function encodePng(rgb: Uint8Array, width: number, height: number): Buffer {
  if (rgb.length !== width * height * 3) throw new Error(`expected ${width * height * 3} RGB bytes, got ${rgb.length}`);
  const png = new PNG({width, height});
  for (let p = 0; p < width * height; p++) {
    png.data[p * 4] = rgb[p * 3]!;
    png.data[p * 4 + 1] = rgb[p * 3 + 1]!;
    png.data[p * 4 + 2] = rgb[p * 3 + 2]!;
    png.data[p * 4 + 3] = 255;
  }
  // colorType 2 = truecolour without alpha: a quarter smaller on disk.
  return PNG.sync.write(png, {colorType: 2});
}

/** Decodes any PNG to packed RGB (alpha, if present, is dropped). */
export function decodePng(buffer: Buffer): {width: number; height: number; rgb: Uint8Array} {
  const png = PNG.sync.read(buffer);
  const {width, height, data} = png;
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    rgb[p * 3] = data[p * 4]!;
    rgb[p * 3 + 1] = data[p * 4 + 1]!;
    rgb[p * 3 + 2] = data[p * 4 + 2]!;
  }
  return {width, height, rgb};
}
