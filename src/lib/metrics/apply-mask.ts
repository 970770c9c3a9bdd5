/**
 * Masking in pixel space (algorithms.md: masks act on the RGB image before the model's
 * own preprocessing, so black = pixel value 0).
 */
import type {SaliencyMap} from "../maps/types.js";
import {topFractionMask} from "./ranking.js";

/** Channels per pixel of an interleaved image with `pixels` pixels; throws if it does not divide. */
export function channelsOf(image: ArrayLike<number>, pixels: number): number {
  const channels = image.length / pixels;
  if (!Number.isInteger(channels) || channels < 1) {
    throw new Error(`image of length ${image.length} does not hold ${pixels} pixels with a whole number of channels`);
  }
  return channels;
}

/** `image ⊙ mask`: every channel of pixel i times mask[i] (binary or soft). Image is HWC, pixel space. */
export function applyMask(image: Float32Array, mask: ArrayLike<number>): Float32Array {
  const channels = channelsOf(image, mask.length);
  const out = new Float32Array(image.length);
  for (let i = 0; i < mask.length; i++) {
    const m = mask[i]!;
    for (let d = 0; d < channels; d++) out[i * channels + d] = image[i * channels + d]! * m;
  }
  return out;
}

/** `I ⊙ T(S)` of Drop/Increase: keep the top `fraction` (15%) pixels of S, black elsewhere. S at image resolution. */
export function keepTopFraction(image: Float32Array, map: SaliencyMap, fraction = 0.15): Float32Array {
  return applyMask(image, topFractionMask(map, fraction));
}
