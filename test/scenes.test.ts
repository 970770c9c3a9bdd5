/**
 * The scenes set (loaders/datasets/scenes.ts): determinism, masks against the drawn pixels,
 * the multi-label counts it promises, the size bins and classes of the committed test split,
 * and the committed val/test splits byte for byte against the generator.
 */
import {readFileSync} from "node:fs";
import {join} from "node:path";
import {describe, expect, it} from "vitest";
import {getDataset, SHAPE_CLASS_NAMES, TEST_SEED, TRAIN_SEED, VALIDATION_SEED} from "../loaders/datasets/index.js";
import {boxOfMask} from "../loaders/datasets/masks.js";
import {maskArea} from "../src/lib/metrics/masks.js";
import {encodePng} from "../loaders/datasets/png.js";
import {layerFootprint, renderScene, sampleFromPlan} from "../loaders/datasets/scene.js";
import {SCENES_MIN_VISIBLE_AFTER_CLUTTER} from "../loaders/datasets/scenes-compose.js";
import {planScenesScene, SCENES_MAX_OBJECTS, SCENES_SIZE, SCENES_SIZE_BINS} from "../loaders/datasets/scenes.js";
import {sizeBinOf} from "./helpers/scene-size-bins.js";
import {
  annotateSample,
  formatAnnotations,
  imageFileName,
  loadSplit,
  MASK_ENCODING,
  TEST_SPLIT_SIZES,
  testSplitDirectory,
  VALIDATION_SPLIT_SIZES,
  validationSplitDirectory,
  type LoadedSplit
} from "../loaders/datasets/splits.js";
import type {Sample} from "../loaders/datasets/types.js";

const dataset = getDataset("scenes");
const test: LoadedSplit = loadSplit(testSplitDirectory("scenes"));

function distinctClasses(sample: Sample): number[] {
  return [...new Set(sample.instances.map((i) => i.classIndex))].sort((a, b) => a - b);
}

describe("scenes generator", () => {
  it("is 128x128, multi-label, with the shape classes", () => {
    expect([dataset.width, dataset.height]).toEqual([SCENES_SIZE, SCENES_SIZE]);
    expect(dataset.multiLabel).toBe(true);
    expect(dataset.classes).toEqual(SHAPE_CLASS_NAMES);
    expect(dataset.classes.length).toBeGreaterThanOrEqual(10);
  });

  it("same seed and index give the same bytes, in any draw order; other seeds differ", () => {
    const other = getDataset("scenes");
    const forward = [0, 1, 2, 3].map((i) => dataset.sample(i, TRAIN_SEED));
    const backward = [3, 2, 1, 0].map((i) => other.sample(i, TRAIN_SEED)).reverse();
    forward.forEach((sample, i) => {
      expect(Buffer.from(sample.rgb).equals(Buffer.from(backward[i]!.rgb))).toBe(true);
      expect(sample.instances.map((x) => Buffer.from(x.mask).toString("base64"))).toEqual(
        backward[i]!.instances.map((x) => Buffer.from(x.mask).toString("base64"))
      );
    });
    expect(Buffer.from(dataset.sample(0, TRAIN_SEED + 1).rgb).equals(Buffer.from(forward[0]!.rgb))).toBe(false);
    expect(Buffer.from(forward[1]!.rgb).equals(Buffer.from(forward[0]!.rgb))).toBe(false);
  });

  it("masks are the visible pixels the instance draws (render without it to compare)", () => {
    let checked = 0;
    for (let index = 0; index < 12; index++) {
      const planned = planScenesScene(index, TRAIN_SEED);
      const {scene} = planned;
      const {width, height} = scene;
      const full = renderScene(scene);
      full.masks.forEach((mask, id) => {
        const without = renderScene(scene, {omitInstance: id}).rgb;
        // Same sensor-noise draws: pixels the instance does not touch are identical.
        const diff = new Float64Array(width * height);
        for (let p = 0; p < diff.length; p++) {
          diff[p] = Math.hypot(full.rgb[p * 3]! - without[p * 3]!, full.rgb[p * 3 + 1]! - without[p * 3 + 1]!, full.rgb[p * 3 + 2]! - without[p * 3 + 2]!);
        }
        const inside: number[] = [];
        for (let p = 0; p < diff.length; p++) if (mask[p]) inside.push(diff[p]!);
        expect(inside.length).toBeGreaterThan(0);
        inside.sort((a, b) => a - b);
        const median = inside[Math.floor(inside.length / 2)]!;
        // Nearly every mask pixel visibly changed (the contrast rule keeps colours apart).
        expect(inside.filter((d) => d < 6).length / inside.length).toBeLessThan(0.1);
        // Nothing changed strongly more than one pixel away from the mask (anti-aliasing only).
        let strayStrong = 0;
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            if (diff[y * width + x]! <= 0.5 * median) continue;
            let near = false;
            for (let v = Math.max(0, y - 1); v <= Math.min(height - 1, y + 1); v++) {
              for (let u = Math.max(0, x - 1); u <= Math.min(width - 1, x + 1); u++) near ||= mask[v * width + u] === 1;
            }
            if (!near) strayStrong++;
          }
        }
        expect(strayStrong).toBe(0);
        checked++;
      });
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("occlusion leaves every instance at least half its drawn pixels (after clutter on top)", () => {
    let occluded = 0;
    for (let index = 0; index < 30; index++) {
      const {scene} = planScenesScene(index, TRAIN_SEED);
      const {masks} = renderScene(scene);
      for (const layer of scene.layers) {
        if (layer.instance === undefined) continue;
        const drawn = maskArea(layerFootprint(layer, scene.width, scene.height));
        const visible = maskArea(masks[layer.instance]!);
        expect(visible / drawn).toBeGreaterThanOrEqual(SCENES_MIN_VISIBLE_AFTER_CLUTTER - 1e-9);
        if (visible < drawn) occluded++;
      }
    }
    // Occlusion does happen (by other instances or by clutter on top).
    expect(occluded).toBeGreaterThan(10);
  });

  it("labels are the present classes, ascending; label = labels[0]", () => {
    for (let index = 0; index < 40; index++) {
      const planned = planScenesScene(index, VALIDATION_SEED + 17);
      const sample = sampleFromPlan(planned);
      expect(sample.labels).toEqual(distinctClasses(sample));
      expect(sample.label).toBe(sample.labels![0]);
    }
  });
});

describe("scenes committed splits", () => {
  it("test: 1-4 objects of 1-3 classes per image, every count occurs, >= 500 (image, class) pairs", () => {
    const objectCounts = new Map<number, number>();
    const classCounts = new Map<number, number>();
    let pairs = 0;
    for (const image of test.images) {
      const classes = distinctClasses(image);
      expect(image.instances.length).toBeGreaterThanOrEqual(1);
      expect(image.instances.length).toBeLessThanOrEqual(SCENES_MAX_OBJECTS);
      expect(classes.length).toBeGreaterThanOrEqual(1);
      expect(classes.length).toBeLessThanOrEqual(3);
      expect(image.labels).toEqual(classes);
      expect(image.label).toBe(classes[0]);
      objectCounts.set(image.instances.length, (objectCounts.get(image.instances.length) ?? 0) + 1);
      classCounts.set(classes.length, (classCounts.get(classes.length) ?? 0) + 1);
      pairs += classes.length;
    }
    expect([...objectCounts.keys()].sort()).toEqual([1, 2, 3, 4]);
    expect([...classCounts.keys()].sort()).toEqual([1, 2, 3]);
    // Planned shares 0.2 / 0.4 / 0.4 (binomial sd about 0.03 at 240 images).
    expect(classCounts.get(1)! / test.images.length).toBeGreaterThan(0.1);
    expect(classCounts.get(3)! / test.images.length).toBeGreaterThan(0.3);
    expect(pairs).toBeGreaterThanOrEqual(500);
  });

  it("test: every class occurs, every size bin occurs, each class both small (< 2%) and large (>= 10%)", () => {
    const area = test.width * test.height;
    const bins = new Set<string>();
    const perClass = SHAPE_CLASS_NAMES.map(() => new Set<string>());
    for (const image of test.images) {
      for (const instance of image.instances) {
        const bin = sizeBinOf(maskArea(instance.mask) / area);
        bins.add(bin);
        perClass[instance.classIndex]!.add(bin);
        expect(instance.box).toEqual(boxOfMask(instance.mask, test.width, test.height));
      }
    }
    expect([...bins].sort()).toEqual(SCENES_SIZE_BINS.map((b) => b.name).sort());
    perClass.forEach((classBins, c) => {
      expect(classBins.has("small"), `${SHAPE_CLASS_NAMES[c]} has no object under 2%`).toBe(true);
      expect(classBins.has("large") || classBins.has("huge"), `${SHAPE_CLASS_NAMES[c]} has no object of 10% or more`).toBe(true);
    });
    // The > 40% bin is not a fluke of one image.
    const huge = test.images.filter((image) => image.instances.some((i) => maskArea(i.mask) / area >= 0.4)).length;
    expect(huge).toBeGreaterThanOrEqual(5);
  });

  it("val and test equal the generator's output byte for byte (PNG files and annotations.json)", () => {
    for (const [dir, seed, count] of [
      [testSplitDirectory("scenes"), TEST_SEED, TEST_SPLIT_SIZES.scenes],
      [validationSplitDirectory("scenes"), VALIDATION_SEED, VALIDATION_SPLIT_SIZES.scenes!]
    ] as const) {
      const images = [];
      for (let index = 0; index < count; index++) {
        const sample = dataset.sample(index, seed);
        const file = imageFileName(index);
        expect(encodePng(sample.rgb, sample.width, sample.height).equals(readFileSync(join(dir, file))), `${dir}/${file}`).toBe(true);
        images.push(annotateSample(sample, dataset.classes, file, index));
      }
      const expected = formatAnnotations({
        dataset: "scenes",
        classes: [...dataset.classes],
        width: dataset.width,
        height: dataset.height,
        seed,
        count,
        maskEncoding: MASK_ENCODING,
        images
      });
      expect(readFileSync(join(dir, "annotations.json"), "utf8") === expected, `${dir}/annotations.json`).toBe(true);
    }
  });
});
