/**
 * Steel-strip surface texture: grey base with a slight tint, brushed grain along the rolling
 * direction, faint rolling marks across it, low-contrast smudges, uneven illumination and pixel
 * noise. All of it stays low-contrast so that defects, not texture, decide the class; smudges
 * and grain lines keep "normal" from being trivially flat.
 */
import type {Random} from "../../src/lib/random.js";
import {valueNoise} from "./value-noise.js";

export interface MetalSurface {
  /** RGB floats, width*height*3. */
  image: Float32Array;
  /** Rolling direction in radians (0 = horizontal grain, pi/2 = vertical). */
  rollingAngle: number;
}

export function renderMetalSurface(rng: Random, width: number, height: number): MetalSurface {
  const scale = Math.min(width, height) / 64;
  const vertical = rng.bernoulli(0.5);
  // Work in "rolling" coordinates (grain along u), then map to the image.
  const along = vertical ? height : width;
  const across = vertical ? width : height;
  const grey = rng.uniform(95, 170);
  const tint = [rng.uniform(-5, 3), rng.uniform(-2, 2), rng.uniform(-2, 7)];
  const lum = new Float32Array(width * height);

  // Brushed grain: per-line offsets plus noise smeared along the rolling direction.
  const grainAmplitude = rng.uniform(4, 11);
  const lineAmplitude = rng.uniform(2, 7);
  const smear = Math.max(3, Math.round(rng.uniform(6, 18) * scale));
  for (let v = 0; v < across; v++) {
    const lineOffset = lineAmplitude * rng.normal();
    const raw = Float32Array.from({length: along + smear}, () => rng.normal());
    let sum = 0;
    for (let k = 0; k < smear; k++) sum += raw[k];
    for (let u = 0; u < along; u++) {
      const grain = (grainAmplitude * sum) / Math.sqrt(smear);
      lum[index(u, v)] += lineOffset + grain;
      sum += raw[u + smear] - raw[u];
    }
  }
  // A few longer, brighter grain lines (still much fainter than a scratch).
  for (let k = rng.int(0, 4); k > 0; k--) {
    const v = rng.int(0, across);
    const start = rng.int(0, along);
    const length = rng.int(Math.floor(along / 4), along);
    const amount = rng.uniform(5, 11) * (rng.bernoulli(0.5) ? 1 : -1);
    for (let u = start; u < Math.min(along, start + length); u++) lum[index(u, v)] += amount;
  }
  // Rolling marks: faint wavy bands across the rolling direction.
  const markAmplitude = rng.uniform(1.5, 6);
  const markPeriod = rng.uniform(8, 30) * scale;
  const wobble = rng.uniform(0, 3) * scale;
  const phase = rng.uniform(0, 2 * Math.PI);
  for (let v = 0; v < across; v++) {
    const shift = wobble * Math.sin((v / across) * 2 * Math.PI + phase);
    for (let u = 0; u < along; u++) lum[index(u, v)] += markAmplitude * Math.sin(((u + shift) / markPeriod) * 2 * Math.PI + phase);
  }
  // Smudges and uneven illumination.
  const smudges = valueNoise(rng, width, height, rng.int(2, 6));
  const smudgeAmplitude = rng.uniform(3, 12);
  const gradAngle = rng.uniform(0, 2 * Math.PI);
  const gradAmplitude = rng.uniform(0, 28);
  const spotX = rng.uniform(0, width);
  const spotY = rng.uniform(0, height);
  const spotAmplitude = rng.uniform(-18, 18);
  const diag = Math.hypot(width, height);
  const image = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const gradient = (gradAmplitude * ((x - width / 2) * Math.cos(gradAngle) + (y - height / 2) * Math.sin(gradAngle))) / diag;
      const spot = spotAmplitude * Math.exp(-((x - spotX) ** 2 + (y - spotY) ** 2) / (2 * (0.35 * diag) ** 2));
      const base = grey + lum[p] + smudgeAmplitude * smudges[p] + gradient + spot;
      for (let c = 0; c < 3; c++) image[p * 3 + c] = base + tint[c];
    }
  }
  // Dust specks: tiny and faint, unlike pits (dark, clustered, larger).
  for (let k = rng.int(0, 6); k > 0; k--) {
    const x = rng.int(0, width);
    const y = rng.int(0, height);
    const amount = rng.uniform(8, 16) * (rng.bernoulli(0.5) ? 1 : -1);
    for (let c = 0; c < 3; c++) image[(y * width + x) * 3 + c] += amount;
  }
  const sigma = rng.uniform(2, 6);
  for (let i = 0; i < image.length; i++) image[i] = Math.min(255, Math.max(0, image[i] + sigma * rng.normal()));
  return {image, rollingAngle: vertical ? Math.PI / 2 : 0};

  function index(u: number, v: number): number {
    return vertical ? u * width + v : v * width + u;
  }
}
