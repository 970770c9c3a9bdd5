/** RISE masks the slow, obvious way, to check the engine's fast drawing against. */
import {resizeBilinearArray} from "../../src/lib/maps/resize.js";
import type {RiseMaskDraw, RiseMaskSettings} from "../../src/lib/explain/rise-masks.js";

/** Upsamples the whole (s+1)·cell grid, then crops at the draw's shift. */
export function referenceRiseMask(draw: RiseMaskDraw, settings: RiseMaskSettings): number[] {
  const {grid, height, width} = settings;
  const bigH = (grid + 1) * Math.ceil(height / grid);
  const bigW = (grid + 1) * Math.ceil(width / grid);
  const big = resizeBilinearArray(draw.cells, grid, grid, bigW, bigH);
  const out: number[] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) out.push(big[(y + draw.shiftY) * bigW + x + draw.shiftX]!);
  return out;
}
