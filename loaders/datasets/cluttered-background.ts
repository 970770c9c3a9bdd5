/**
 * Cluttered, textured backgrounds for the shapes sets: a colour gradient with one or two of
 * stripes, irregular blotches and smooth colour noise, plus pixel noise. Background contrast is
 * kept well below the object/background contrast so objects stay the salient thing.
 */
import type {Random} from "../../src/lib/random.js";
import {randomBackgroundColour, type Rgb} from "./colour.js";
import {vectorLength} from "./geometry.js";
import {valueNoise} from "./value-noise.js";

type Texture = "stripes" | "blotches" | "colour-noise" | "weave";
const TEXTURES: readonly Texture[] = ["stripes", "blotches", "colour-noise", "weave"];

export function renderClutteredBackground(rng: Random, width: number, height: number): Float32Array {
  const scale = Math.min(width, height) / 64;
  const image = new Float32Array(width * height * 3);
  paintGradient(rng, image, width, height);
  const first = rng.pick(TEXTURES);
  const textures = [first];
  if (rng.bernoulli(0.6)) textures.push(rng.pick(TEXTURES.filter((t) => t !== first)));
  for (const texture of textures) {
    if (texture === "stripes") paintStripes(rng, image, width, height, scale);
    else if (texture === "blotches") paintBlotches(rng, image, width, height, scale);
    else if (texture === "colour-noise") paintColourNoise(rng, image, width, height);
    else paintWeave(rng, image, width, height, scale);
  }
  const sigma = rng.uniform(3, 10);
  for (let i = 0; i < image.length; i++) image[i] += sigma * rng.normal();
  for (let i = 0; i < image.length; i++) image[i] = Math.min(255, Math.max(0, image[i]));
  return image;
}

function paintGradient(rng: Random, image: Float32Array, width: number, height: number): void {
  const a = randomBackgroundColour(rng);
  const b: Rgb = [a[0] + rng.uniform(-60, 60), a[1] + rng.uniform(-60, 60), a[2] + rng.uniform(-60, 60)];
  const angle = rng.uniform(0, 2 * Math.PI);
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  const span = Math.abs(dx) * width + Math.abs(dy) * height;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const t = ((x - width / 2) * dx + (y - height / 2) * dy) / span + 0.5;
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) image[o + c] = a[c] + (b[c] - a[c]) * t;
    }
  }
}

/** Parallel bands of brightness (soft sine or hard-edged). */
function paintStripes(rng: Random, image: Float32Array, width: number, height: number, scale: number): void {
  const period = rng.uniform(4, 13) * scale;
  const angle = rng.uniform(0, Math.PI);
  const amplitude = rng.uniform(10, 26) * (rng.bernoulli(0.5) ? 1 : -1);
  const hard = rng.bernoulli(0.4);
  const tint: Rgb = [rng.uniform(0.6, 1), rng.uniform(0.6, 1), rng.uniform(0.6, 1)];
  const phase = rng.uniform(0, 2 * Math.PI);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = Math.sin(((x * cos + y * sin) / period) * 2 * Math.PI + phase);
      const v = amplitude * (hard ? Math.sign(s) : s);
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) image[o + c] += v * tint[c];
    }
  }
}

/** Irregular soft translucent patches; irregular so they never read as circles. */
function paintBlotches(rng: Random, image: Float32Array, width: number, height: number, scale: number): void {
  const count = rng.int(5, 13);
  for (let k = 0; k < count; k++) {
    const cx = rng.uniform(0, width);
    const cy = rng.uniform(0, height);
    const radius = rng.uniform(4, 15) * scale;
    const alpha = rng.uniform(0.2, 0.45);
    const colour = randomBackgroundColour(rng);
    const harmonics = [2, 3, 5].map((k) => ({k, amp: rng.uniform(0.1, 0.3), phase: rng.uniform(0, 2 * Math.PI)}));
    const aspect = rng.uniform(0.5, 1);
    const angle = rng.uniform(0, Math.PI);
    const cos = Math.cos(angle);
    const sin = Math.sin(angle);
    // Radius as a function of angle, tabulated: evaluating the harmonics per pixel is slow.
    const bins = 256;
    const radiusAt = Float64Array.from({length: bins}, (_, b) => {
      const theta = (b / bins) * 2 * Math.PI - Math.PI;
      let r = radius;
      for (const h of harmonics) r *= 1 + h.amp * Math.sin(h.k * theta + h.phase);
      return r;
    });
    const reach = Math.max(...radiusAt) + 2.5 * scale;
    for (let y = Math.max(0, Math.floor(cy - reach)); y < Math.min(height, Math.ceil(cy + reach)); y++) {
      for (let x = Math.max(0, Math.floor(cx - reach)); x < Math.min(width, Math.ceil(cx + reach)); x++) {
        const dx = x + 0.5 - cx;
        const dy = y + 0.5 - cy;
        const u = dx * cos + dy * sin;
        const v = (-dx * sin + dy * cos) / aspect;
        const r = radiusAt[Math.min(bins - 1, Math.floor(((Math.atan2(v, u) + Math.PI) / (2 * Math.PI)) * bins))]!;
        const cov = Math.min(1, Math.max(0, (r - vectorLength(u, v)) / (2.5 * scale)));
        if (cov <= 0) continue;
        const o = (y * width + x) * 3;
        for (let c = 0; c < 3; c++) image[o + c] += (colour[c] - image[o + c]) * cov * alpha;
      }
    }
  }
}

/** Smooth per-channel colour variation. */
function paintColourNoise(rng: Random, image: Float32Array, width: number, height: number): void {
  const cells = rng.int(3, 9);
  const shared = valueNoise(rng, width, height, cells);
  const chroma = [0, 1, 2].map(() => valueNoise(rng, width, height, cells));
  const amplitude = rng.uniform(14, 30);
  const chromaAmplitude = rng.uniform(5, 14);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) image[p * 3 + c] += amplitude * shared[p] + chromaAmplitude * chroma[c][p];
  }
}

/** A fine crossed texture (fabric/paper-like). */
function paintWeave(rng: Random, image: Float32Array, width: number, height: number, scale: number): void {
  const period = rng.uniform(2.5, 6) * scale;
  const angle = rng.uniform(0, Math.PI);
  const amplitude = rng.uniform(6, 16);
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const u = (x * cos + y * sin) / period;
      const v = (-x * sin + y * cos) / period;
      const w = amplitude * Math.sin(2 * Math.PI * u) * Math.sin(2 * Math.PI * v);
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) image[o + c] += w;
    }
  }
}
