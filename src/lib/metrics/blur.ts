/**
 * Gaussian blur of an interleaved image, a canvas for insertion curves (RISE inserts
 * onto a blurred copy). Separable, edges clamped. Not bit-identical to RISE's own kernel.
 */

/** Normalised 1-D Gaussian weights for offsets −radius..radius. */
export function gaussianKernel(sigma: number, radius = Math.ceil(3 * sigma)): Float64Array {
  if (!(sigma > 0)) throw new Error(`sigma must be > 0, got ${sigma}`);
  const kernel = new Float64Array(2 * radius + 1);
  let total = 0;
  for (let i = -radius; i <= radius; i++) total += kernel[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= total;
  return kernel;
}

export function gaussianBlurImage(
  image: ArrayLike<number>,
  width: number,
  height: number,
  channels: number,
  sigma = 5,
  radius = Math.ceil(3 * sigma)
): Float32Array {
  if (image.length !== width * height * channels) throw new Error(`image has length ${image.length}, expected ${width}x${height}x${channels}`);
  const kernel = gaussianKernel(sigma, radius);
  const horizontal = new Float32Array(image.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let d = 0; d < channels; d++) {
        let acc = 0;
        for (let k = -radius; k <= radius; k++) {
          const xx = Math.min(width - 1, Math.max(0, x + k));
          acc += kernel[k + radius]! * image[(y * width + xx) * channels + d]!;
        }
        horizontal[(y * width + x) * channels + d] = acc;
      }
    }
  }
  const out = new Float32Array(image.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let d = 0; d < channels; d++) {
        let acc = 0;
        for (let k = -radius; k <= radius; k++) {
          const yy = Math.min(height - 1, Math.max(0, y + k));
          acc += kernel[k + radius]! * horizontal[(yy * width + x) * channels + d]!;
        }
        out[(y * width + x) * channels + d] = acc;
      }
    }
  }
  return out;
}
