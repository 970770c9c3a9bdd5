/**
 * RISE masks (algorithms.md): a binary s×s grid (each cell kept with probability p), upsampled
 * bilinearly (half-pixel centres) to (s+1)·⌈H/s⌉ × (s+1)·⌈W/s⌉ and cropped to H×W at a random
 * shift. Bilinear resizing is separable, so a mask is R·G·Cᵀ with small interpolation matrices
 * R [H, s] and C [W, s] that already include the shift (two non-zero entries a row): no big grids.
 * Randomness comes from one seeded stream consumed mask by mask, so a seed gives the same masks
 * whatever the batch size.
 */
import * as tf from "@tensorflow/tfjs";
import {seededRandom, type Random} from "../random.js";
import type {MaskSource, RiseMaskDraw, RiseMaskSettings} from "./types.js";

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

/** One axis of the upsample-and-crop: output position o blends cells lo[o] and hi[o] with weights wLo[o], wHi[o]. */
interface AxisBlend {
  lo: Int32Array;
  hi: Int32Array;
  wLo: Float32Array;
  wHi: Float32Array;
  /** Where runs of positions with the same (lo, hi) start, then the axis length. */
  runs: Int32Array;
}

/**
 * Output position o samples the upsampled grid of size `upsampled` at o + shift, with half-pixel
 * centres and clamped edges: the two non-zero entries of row o of the interpolation matrix
 * [out, s], as float32 (one entry, and wHi = 0, where both ends clamp to the same cell).
 */
function axisBlend(out: number, shift: number, grid: number, upsampled: number): AxisBlend {
  const ratio = grid / upsampled;
  const lo = new Int32Array(out);
  const hi = new Int32Array(out);
  const wLo = new Float32Array(out);
  const wHi = new Float32Array(out);
  const runs: number[] = [];
  for (let o = 0; o < out; o++) {
    const src = ratio * (o + shift + 0.5) - 0.5;
    lo[o] = Math.max(0, Math.floor(src));
    hi[o] = Math.min(grid - 1, Math.ceil(src));
    const frac = src - lo[o]!;
    // The matrix entry is accumulated in float32: 1 − frac, then + frac where lo = hi.
    wLo[o] = lo[o] === hi[o] ? Math.fround(Math.fround(1 - frac) + frac) : 1 - frac;
    wHi[o] = lo[o] === hi[o] ? 0 : frac;
    if (o === 0 || lo[o] !== lo[o - 1] || hi[o] !== hi[o - 1]) runs.push(o);
  }
  runs.push(out);
  return {lo, hi, wLo, wHi, runs: Int32Array.from(runs)};
}

/**
 * Masks [b, H, W, 1] for drawn cells and shifts: M = R·G·Cᵀ per mask, with R and C the
 * interpolation matrices. Each row of R and C has two non-zero entries, so the products are
 * taken sparsely here, in plain loops (on wasm a batched matMul of such small matrices costs
 * more than mask and loop together), rounded to float32 as a float32 matMul rounds them: G is
 * 0/1, so R·G is exact up to one addition, and each mask value is the float32 sum of two
 * float32 products.
 */
export function riseMasksFromDraws(draws: readonly RiseMaskDraw[], settings: RiseMaskSettings): tf.Tensor4D {
  const {grid, height, width} = settings;
  const {cellHeight, cellWidth} = riseCellSize(settings);
  // Blends depend on the shift only: one per possible shift.
  const rowBlends = Array.from({length: cellHeight}, (_, shift) => axisBlend(height, shift, grid, (grid + 1) * cellHeight));
  const colBlends = Array.from({length: cellWidth}, (_, shift) => axisBlend(width, shift, grid, (grid + 1) * cellWidth));
  const values = new Float32Array(draws.length * height * width);
  const rowsTimesCells = new Float32Array(height * grid); // R·G [H, s]
  let o = 0;
  for (const {cells, shiftY, shiftX} of draws) {
    const rows = rowBlends[shiftY]!;
    for (let y = 0; y < height; y++) {
      const lo = rows.lo[y]! * grid;
      const hi = rows.hi[y]! * grid;
      const wLo = rows.wLo[y]!;
      const wHi = rows.wHi[y]!;
      for (let l = 0; l < grid; l++) rowsTimesCells[y * grid + l] = wLo * cells[lo + l]! + wHi * cells[hi + l]!;
    }
    const {lo: colLo, hi: colHi, wLo: colWLo, wHi: colWHi, runs} = colBlends[shiftX]!;
    for (let y = 0; y < height; y++) {
      for (let r = 0; r + 1 < runs.length; r++) {
        const low = rowsTimesCells[y * grid + colLo[runs[r]!]!]!;
        const high = rowsTimesCells[y * grid + colHi[runs[r]!]!]!;
        for (let x = runs[r]!; x < runs[r + 1]!; x++) values[o++] = Math.fround(low * colWLo[x]!) + Math.fround(high * colWHi[x]!);
      }
    }
  }
  return tf.tensor4d(values, [draws.length, height, width, 1]);
}

/** `count` RISE masks from `seed`, made batch by batch in order. */
export function riseMaskSource(count: number, settings: RiseMaskSettings, seed: number): MaskSource {
  const random = seededRandom(seed);
  let made = 0;
  const draw = (start: number, size: number): RiseMaskDraw[] => {
    if (start !== made) throw new Error(`RISE masks are drawn in order: asked for ${start}, next is ${made}`);
    made += size;
    return Array.from({length: size}, () => drawRiseMask(random, settings));
  };
  return {
    count,
    make: (start, size) => riseMasksFromDraws(draw(start, size), settings),
    recipe: (start, size) => ({kind: "rise", settings: {...settings}, draws: draw(start, size)})
  };
}

export type {RiseMaskDraw, RiseMaskSettings} from "./types.js";
