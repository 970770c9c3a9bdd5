/**
 * Colormaps for maps, via d3-scale-chromatic's interpolators. Each is sampled once into
 * a 256-entry lookup table so colouring a 224×224 map costs one table read per pixel.
 */
import {interpolateInferno, interpolateMagma, interpolatePlasma, interpolateTurbo, interpolateViridis, rgb} from "d3";
import {assertFinite} from "./normalize.js";
import type {SaliencyMap} from "./types.js";

export type ColormapName = "turbo" | "viridis" | "inferno" | "magma" | "plasma" | "gray";

export const COLORMAP_NAMES: readonly ColormapName[] = ["turbo", "viridis", "inferno", "magma", "plasma", "gray"];

/** Number of entries in every lookup table. */
export const LUT_SIZE = 256;

const interpolators: Record<ColormapName, (t: number) => string> = {
  turbo: interpolateTurbo,
  viridis: interpolateViridis,
  inferno: interpolateInferno,
  magma: interpolateMagma,
  plasma: interpolatePlasma,
  gray: (t) => {
    const v = Math.round(t * 255);
    return `rgb(${v}, ${v}, ${v})`;
  }
};

const tables = new Map<ColormapName, Uint8Array>();

/** RGB lookup table of a colormap: entry i (3 bytes) is the colour at i / 255. */
export function colormapTable(name: ColormapName): Uint8Array {
  let table = tables.get(name);
  if (table) return table;
  const interpolate = interpolators[name];
  if (!interpolate) throw new Error(`unknown colormap "${name}"; known: ${COLORMAP_NAMES.join(", ")}`);
  table = new Uint8Array(LUT_SIZE * 3);
  for (let i = 0; i < LUT_SIZE; i++) {
    const c = rgb(interpolate(i / (LUT_SIZE - 1)));
    table[3 * i] = Math.round(c.r);
    table[3 * i + 1] = Math.round(c.g);
    table[3 * i + 2] = Math.round(c.b);
  }
  tables.set(name, table);
  return table;
}

export interface ColorizeOptions {
  /** Values mapped to the ends of the colormap; outside values are clamped. Default [0, 1]. */
  domain?: readonly [number, number];
}

/** Table index of each value: `round(clamp((v − lo)/(hi − lo), 0, 1)·255)`. */
export function colormapIndex(value: number, lo: number, hi: number): number {
  const t = hi > lo ? (value - lo) / (hi - lo) : 0;
  return Math.round((t <= 0 ? 0 : t >= 1 ? 1 : t) * (LUT_SIZE - 1));
}

/** Colour a map: RGBA bytes (alpha 255), length 4·width·height, ready for ImageData. */
export function colorize(map: SaliencyMap, name: ColormapName = "turbo", options: ColorizeOptions = {}): Uint8ClampedArray {
  const [lo, hi] = options.domain ?? [0, 1];
  assertFinite(map.data);
  const table = colormapTable(name);
  const out = new Uint8ClampedArray(map.data.length * 4);
  for (let i = 0; i < map.data.length; i++) {
    const k = 3 * colormapIndex(map.data[i]!, lo, hi);
    out[4 * i] = table[k]!;
    out[4 * i + 1] = table[k + 1]!;
    out[4 * i + 2] = table[k + 2]!;
    out[4 * i + 3] = 255;
  }
  return out;
}
