/** Smooth low-frequency noise for backgrounds, illumination and stain mottling. */
import type {Random} from "../../src/lib/random.js";

/**
 * Value noise in [-1, 1] on a width x height grid: random values on a (cellsX+1) x (cellsY+1)
 * lattice, smoothstep-interpolated.
 */
export function valueNoise(rng: Random, width: number, height: number, cellsX: number, cellsY = cellsX): Float32Array {
  const lattice = new Float32Array((cellsX + 1) * (cellsY + 1));
  for (let i = 0; i < lattice.length; i++) lattice[i] = rng.uniform(-1, 1);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const gy = ((y + 0.5) / height) * cellsY;
    const iy = Math.min(cellsY - 1, Math.floor(gy));
    const ty = smooth(gy - iy);
    for (let x = 0; x < width; x++) {
      const gx = ((x + 0.5) / width) * cellsX;
      const ix = Math.min(cellsX - 1, Math.floor(gx));
      const tx = smooth(gx - ix);
      const a = lattice[iy * (cellsX + 1) + ix];
      const b = lattice[iy * (cellsX + 1) + ix + 1];
      const c = lattice[(iy + 1) * (cellsX + 1) + ix];
      const d = lattice[(iy + 1) * (cellsX + 1) + ix + 1];
      out[y * width + x] = (a + (b - a) * tx) * (1 - ty) + (c + (d - c) * tx) * ty;
    }
  }
  return out;
}

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}

/** Samples a noise field at a continuous position (nearest pixel, clamped). */
export function sampleField(field: Float32Array, width: number, height: number, x: number, y: number): number {
  const ix = Math.min(width - 1, Math.max(0, Math.floor(x)));
  const iy = Math.min(height - 1, Math.max(0, Math.floor(y)));
  return field[iy * width + ix];
}
