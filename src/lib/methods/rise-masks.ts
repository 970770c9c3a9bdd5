/**
 * RISE masks (algorithms.md): a binary s×s grid (each cell kept with probability p), upsampled
 * bilinearly (half-pixel centres) to (s+1)·⌈H/s⌉ × (s+1)·⌈W/s⌉ and cropped to H×W at a random
 * shift. Bilinear resizing is separable, so a mask is R·G·Cᵀ with small interpolation matrices
 * R [H, s] and C [W, s] that already include the shift: one batched matMul, no big grids.
 * Randomness comes from one seeded stream consumed mask by mask, so a seed gives the same masks
 * whatever the batch size.
 */
import * as tf from "@tensorflow/tfjs";
import {seededRandom, type Random} from "../random.js";
import type {MaskSource} from "./scoring.js";

export interface RiseMaskSettings {
  /** s: cells per side. */
  grid: number;
  /** p: probability that a cell is kept. */
  keep: number;
  height: number;
  width: number;
}

export interface RiseMaskDraw {
  /** s×s cells, row-major, 1 = kept. */
  cells: Uint8Array;
  shiftY: number;
  shiftX: number;
}

/** Cell size ⌈H/s⌉ × ⌈W/s⌉: the upsampled grid is one cell larger than the image each way. */
export function riseCellSize(settings: RiseMaskSettings): {cellHeight: number; cellWidth: number} {
  return {cellHeight: Math.ceil(settings.height / settings.grid), cellWidth: Math.ceil(settings.width / settings.grid)};
}

/** Draws one mask's cells and shift from the stream (cells first, then the y and x shifts). */
export function drawRiseMask(random: Random, settings: RiseMaskSettings): RiseMaskDraw {
  const {grid, keep} = settings;
  const {cellHeight, cellWidth} = riseCellSize(settings);
  const cells = new Uint8Array(grid * grid);
  for (let i = 0; i < cells.length; i++) cells[i] = random.bernoulli(keep) ? 1 : 0;
  return {cells, shiftY: random.int(0, cellHeight), shiftX: random.int(0, cellWidth)};
}

/**
 * Row (or column) interpolation matrix [out, s]: output position o samples the upsampled grid of
 * size `upsampled` at o + shift, with half-pixel centres and clamped edges.
 */
function interpolationRows(out: number, shift: number, grid: number, upsampled: number, into: Float32Array, offset: number): void {
  const ratio = grid / upsampled;
  for (let o = 0; o < out; o++) {
    const src = ratio * (o + shift + 0.5) - 0.5;
    const lo = Math.max(0, Math.floor(src));
    const hi = Math.min(grid - 1, Math.ceil(src));
    const frac = src - lo;
    into[offset + o * grid + lo] += 1 - frac;
    into[offset + o * grid + hi] += frac;
  }
}

/** Masks [b, H, W, 1] for drawn cells and shifts. */
export function riseMasksFromDraws(draws: readonly RiseMaskDraw[], settings: RiseMaskSettings): tf.Tensor4D {
  const {grid, height, width} = settings;
  const {cellHeight, cellWidth} = riseCellSize(settings);
  const b = draws.length;
  const rows = new Float32Array(b * height * grid);
  const cols = new Float32Array(b * width * grid);
  const cells = new Float32Array(b * grid * grid);
  draws.forEach((draw, i) => {
    interpolationRows(height, draw.shiftY, grid, (grid + 1) * cellHeight, rows, i * height * grid);
    interpolationRows(width, draw.shiftX, grid, (grid + 1) * cellWidth, cols, i * width * grid);
    cells.set(draw.cells, i * grid * grid);
  });
  return tf.tidy(() => {
    const r = tf.tensor3d(rows, [b, height, grid]);
    const c = tf.tensor3d(cols, [b, width, grid]);
    const g = tf.tensor3d(cells, [b, grid, grid]);
    return tf.matMul(tf.matMul(r, g), c, false, true).reshape([b, height, width, 1]) as tf.Tensor4D;
  });
}

/** `count` RISE masks from `seed`, made batch by batch in order. */
export function riseMaskSource(count: number, settings: RiseMaskSettings, seed: number): MaskSource {
  const random = seededRandom(seed);
  let made = 0;
  return {
    count,
    make(start, size) {
      if (start !== made) throw new Error(`RISE masks are drawn in order: asked for ${start}, next is ${made}`);
      made += size;
      return riseMasksFromDraws(Array.from({length: size}, () => drawRiseMask(random, settings)), settings);
    }
  };
}
