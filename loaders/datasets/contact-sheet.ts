/**
 * Renders a grid of samples to a PNG for eyeballing a generator:
 *   npx tsx loaders/datasets/contact-sheet.ts <set> <out.png> [--masks] [--seed N] [--start I] [--grid 8] [--zoom 3]
 * With --masks each image is followed by its mask overlay (instances tinted, boxes drawn).
 */
import {writeFileSync} from "node:fs";
import {getDataset, isDatasetName} from "./index.js";
import {encodePng} from "./png.js";
import {TEST_SEED} from "./seeds.js";
import type {Sample} from "./types.js";

const TINTS = [
  [255, 0, 0],
  [0, 255, 0],
  [0, 120, 255],
  [255, 255, 0]
] as const;

function overlay(sample: Sample): Uint8Array {
  const out = Uint8Array.from(sample.rgb, (v) => v * 0.35);
  sample.instances.forEach((instance, k) => {
    const tint = TINTS[k % TINTS.length]!;
    for (let p = 0; p < instance.mask.length; p++) {
      if (!instance.mask[p]) continue;
      for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.round(0.4 * sample.rgb[p * 3 + c]! + 0.6 * tint[c]!);
    }
    const [x0, y0, x1, y1] = instance.box;
    for (let x = x0; x < x1; x++) for (const y of [y0, y1 - 1]) out.set([255, 255, 255], (y * sample.width + x) * 3);
    for (let y = y0; y < y1; y++) for (const x of [x0, x1 - 1]) out.set([255, 255, 255], (y * sample.width + x) * 3);
  });
  return out;
}

function main(): void {
  const args = process.argv.slice(2);
  const [name, outPath] = args;
  if (!name || !outPath || !isDatasetName(name))
    throw new Error("usage: contact-sheet.ts <shapes|shapes-pairs|defects> <out.png> [--masks] [--seed N] [--start I] [--grid 8] [--zoom 3]");
  const option = (flag: string, fallback: number) => {
    const i = args.indexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  const withMasks = args.includes("--masks");
  const seed = option("--seed", TEST_SEED);
  const start = option("--start", 0);
  const grid = option("--grid", 8);
  const zoom = option("--zoom", 3);
  const dataset = getDataset(name);
  const {width, height} = dataset;
  const tiles: Uint8Array[] = [];
  for (let i = 0; tiles.length < grid * grid; i++) {
    const sample = dataset.sample(start + i, seed);
    tiles.push(sample.rgb);
    if (withMasks) tiles.push(overlay(sample));
  }
  const gap = 2;
  const sheetW = grid * (width * zoom + gap);
  const sheetH = grid * (height * zoom + gap);
  const sheet = new Uint8Array(sheetW * sheetH * 3).fill(255);
  tiles.forEach((tile, t) => {
    const ox = (t % grid) * (width * zoom + gap);
    const oy = Math.floor(t / grid) * (height * zoom + gap);
    for (let y = 0; y < height * zoom; y++) {
      for (let x = 0; x < width * zoom; x++) {
        const src = (Math.floor(y / zoom) * width + Math.floor(x / zoom)) * 3;
        sheet.set(tile.subarray(src, src + 3), ((oy + y) * sheetW + ox + x) * 3);
      }
    }
  });
  writeFileSync(outPath, encodePng(sheet, sheetW, sheetH));
  console.log(`wrote ${outPath} (${sheetW}x${sheetH})`);
}

main();
