/** Colour helpers: random palettes and the contrast rule that keeps objects visible. */
import type {Random} from "../../src/lib/random.js";
import type {Bounds} from "./geometry.js";

export type Rgb = readonly [number, number, number];

/** h in [0, 1), s and v in [0, 1] -> RGB 0..255. */
function hsv(h: number, s: number, v: number): Rgb {
  const i = Math.floor(h * 6) % 6;
  const f = h * 6 - Math.floor(h * 6);
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  const [r, g, b] = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q]
  ][i]!;
  return [r * 255, g * 255, b * 255];
}

function colourDistance(a: Rgb, b: Rgb): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

function luma(c: Rgb): number {
  return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
}

/** Saturated or dark/light object colours, anything from black to white included. */
export function randomObjectColour(rng: Random): Rgb {
  const roll = rng.next();
  if (roll < 0.12) return hsv(0, 0, rng.uniform(0, 0.15)); // near black
  if (roll < 0.24) return hsv(0, 0, rng.uniform(0.88, 1)); // near white
  return hsv(rng.next(), rng.uniform(0.45, 1), rng.uniform(0.35, 1));
}

/** Muted background colours. */
export function randomBackgroundColour(rng: Random): Rgb {
  return hsv(rng.next(), rng.uniform(0.05, 0.5), rng.uniform(0.25, 0.9));
}

/** Mean RGB of a float image inside bounds. */
export function meanColour(rgb: Float32Array, width: number, bounds: Bounds): Rgb {
  let r = 0;
  let g = 0;
  let b = 0;
  let n = 0;
  for (let y = bounds.y0; y < bounds.y1; y++) {
    for (let x = bounds.x0; x < bounds.x1; x++) {
      const o = (y * width + x) * 3;
      r += rgb[o];
      g += rgb[o + 1];
      b += rgb[o + 2];
      n++;
    }
  }
  return n === 0 ? [128, 128, 128] : [r / n, g / n, b / n];
}

/**
 * A colour at least `minDistance` (RGB Euclidean) and `minLuma` (brightness) away from every
 * colour in `avoid`; falls back to whichever of black/white is farther when the draws fail.
 */
export function pickContrastingColour(
  rng: Random,
  avoid: readonly Rgb[],
  minDistance: number,
  minLuma = 0,
  draw: (rng: Random) => Rgb = randomObjectColour
): Rgb {
  const ok = (c: Rgb) => avoid.every((a) => colourDistance(a, c) >= minDistance && Math.abs(luma(a) - luma(c)) >= minLuma);
  for (let attempt = 0; attempt < 60; attempt++) {
    const candidate = draw(rng);
    if (ok(candidate)) return candidate;
  }
  const black: Rgb = [0, 0, 0];
  const white: Rgb = [255, 255, 255];
  const worst = (c: Rgb) => Math.min(...avoid.map((a) => colourDistance(a, c)));
  return worst(black) >= worst(white) ? black : white;
}
