/**
 * Heat-map overlay: `out = (1 − alpha)·image + alpha·colour(map)` per pixel, with the
 * map resized bilinearly to the image when the sizes differ.
 */
import {colorize, type ColormapName, type ColorizeOptions} from "./colormap.js";
import {resizeBilinear} from "./resize.js";
import type {SaliencyMap} from "./types.js";

export interface OverlayOptions extends ColorizeOptions {
  colormap?: ColormapName;
  /** Weight of the heat map, 0 (image only) to 1 (map only). Default 0.5. */
  alpha?: number;
}

/**
 * Blend a coloured map over an RGB or RGBA byte image. Returns RGBA; the image's own
 * alpha is kept for 4-channel input, 255 otherwise.
 */
export function overlay(
  image: Uint8Array | Uint8ClampedArray,
  channels: 3 | 4,
  width: number,
  height: number,
  map: SaliencyMap,
  options: OverlayOptions = {}
): Uint8ClampedArray {
  const {colormap = "turbo", alpha = 0.5} = options;
  if (channels !== 3 && channels !== 4) throw new Error(`overlay needs 3 or 4 channels, got ${channels}`);
  if (image.length !== width * height * channels) {
    throw new Error(`image has length ${image.length}, expected ${width}x${height}x${channels}`);
  }
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`alpha must be in [0, 1], got ${alpha}`);
  const sized = map.width === width && map.height === height ? map : resizeBilinear(map, width, height);
  const colours = colorize(sized, colormap, options);
  const out = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const src = i * channels;
    for (let d = 0; d < 3; d++) out[4 * i + d] = (1 - alpha) * image[src + d]! + alpha * colours[4 * i + d]!;
    out[4 * i + 3] = channels === 4 ? image[src + 3]! : 255;
  }
  return out;
}
