/**
 * The site's precompute looks every map up in the batch result store by its content key: a
 * rebuild with nothing changed computes no map, one with a method option changed recomputes only
 * that method's maps. A small data folder (one model, a few gallery images) keeps it quick.
 */
import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join, resolve} from "node:path";
import * as tf from "@tensorflow/tfjs";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {unpack} from "../src/lib/format/pack.js";
import type {PrecomputedMeta} from "../src/lib/format/site-data.js";
import {saveLayersModelToDir} from "../loaders/models/save.js";
import {precompute} from "../loaders/site/precompute.js";
import {residualModel} from "./helpers/tiny-models.js";

const ROOT = resolve(import.meta.dirname, "..");
const work = mkdtempSync(join(tmpdir(), "saliency-site-cache-"));
const dataDir = join(work, "data");
const saved: Record<string, string | undefined> = {};
const ENV = {SALIENCY_DATA_DIR: dataDir, SALIENCY_SITE_CACHE: join(work, "cache"), SALIENCY_SITE_PROFILE: "quick", SALIENCY_WORKERS: "1"};

beforeAll(async () => {
  for (const [name, value] of Object.entries(ENV)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  // One split (the first 4 shapes test images) and one tiny model trained on nothing, for shapes.
  const split = JSON.parse(readFileSync(join(ROOT, "data", "shapes", "test", "annotations.json"), "utf8")) as {images: {file: string}[]; count: number};
  split.images = split.images.slice(0, 4);
  split.count = 4;
  mkdirSync(join(dataDir, "shapes", "test"), {recursive: true});
  writeFileSync(join(dataDir, "shapes", "test", "annotations.json"), JSON.stringify(split));
  for (const image of split.images) copyFileSync(join(ROOT, "data", "shapes", "test", image.file), join(dataDir, "shapes", "test", image.file));
  await tf.setBackend("cpu");
  const classNames = (JSON.parse(readFileSync(join(ROOT, "data", "shapes", "test", "annotations.json"), "utf8")) as {classes: string[]}).classes;
  await saveLayersModelToDir(residualModel(16, classNames.length, 4), join(dataDir, "models", "tiny-shapes"));
  writeFileSync(
    join(dataDir, "models", "tiny-shapes", "card.json"),
    JSON.stringify({name: "tiny-shapes", dataset: "shapes", classNames, preprocessing: {range: [0, 1], mean: [0, 0, 0], std: [1, 1, 1]}})
  );
});

afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

async function build(riseMasks: number): Promise<{lines: string[]; meta: PrecomputedMeta; maps: Uint8Array}> {
  const lines: string[] = [];
  const file = await precompute((line) => lines.push(line), {methods: ["gradcam", "rise"], methodOptions: {gradcam: {}, rise: {masks: riseMasks, seed: 0}}});
  const {meta, parts} = unpack<PrecomputedMeta>(file, "precomputed");
  return {lines, meta, maps: parts.get("maps")!};
}

const total = (lines: string[]) => lines.find((l) => /^precompute: \d+ map\(s\) computed, \d+ reused from/.test(l))!;

describe("site precompute on the batch result store", () => {
  it("computes every map once, none on a rebuild, and only the changed method's after an option changes", async () => {
    const first = await build(16);
    const entries = first.meta.entries.length;
    const images = new Set(first.meta.entries.map((e) => e.image)).size;
    expect(images).toBe(2); // the quick profile's gallery: 2 images per data set
    expect(entries).toBe(images * 2); // × 1 class × 2 methods
    expect(total(first.lines)).toMatch(new RegExp(`^precompute: ${entries} map\\(s\\) computed, 0 reused`));

    const again = await build(16);
    expect(total(again.lines)).toMatch(new RegExp(`^precompute: 0 map\\(s\\) computed, ${entries} reused`));
    expect(again.meta.entries).toEqual(first.meta.entries);
    expect(Buffer.from(again.maps).equals(Buffer.from(first.maps))).toBe(true);

    const changed = await build(24);
    const rise = first.meta.entries.filter((e) => e.method === "rise").length;
    expect(total(changed.lines)).toMatch(new RegExp(`^precompute: ${rise} map\\(s\\) computed, ${entries - rise} reused`));
    // The old RISE maps are no build's any more: removed, so the cache holds one build.
    expect(changed.lines).toContain(`precompute: removed ${rise} cached map(s) no build input uses any more`);
    const maps = (b: typeof first, method: string) =>
      b.meta.entries.filter((e) => e.method === method).map((e) => Array.from(b.maps.subarray(e.map * 0, 0)).length + e.map);
    // Grad-CAM's maps are the stored ones; RISE's are new ones (more masks, another map).
    const bytes = (b: typeof first, method: string) =>
      b.meta.entries
        .filter((e) => e.method === method)
        .map((e) => Buffer.from(b.maps.subarray(offsetOf(b, e.map), offsetOf(b, e.map) + e.width * e.height)).toString("hex"));
    expect(bytes(changed, "gradcam")).toEqual(bytes(first, "gradcam"));
    expect(bytes(changed, "rise")).not.toEqual(bytes(first, "rise"));
    expect(bytes(changed, "rise")).toHaveLength(rise);
  });
});

/** Byte offset of map number `index` in the packed maps part (maps follow one another in entry order). */
function offsetOf(build: {meta: PrecomputedMeta}, index: number): number {
  return build.meta.entries.filter((e) => e.map < index).reduce((s, e) => s + e.width * e.height, 0);
}
