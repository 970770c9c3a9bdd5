/** The "shapes" set: 1-3 instances of one shape class on a cluttered background. */
import {seededRandom} from "../../src/lib/random.js";
import {resolveSize, type GeneratorOptions} from "./dataset-options.js";
import {sampleFromPlan, type PlannedScene} from "./scene.js";
import {sampleSeed} from "./seeds.js";
import {SHAPE_CLASS_NAMES} from "./shape-classes.js";
import {composeShapeScene, type InstanceRequest} from "./shapes-scene.js";
import type {Dataset} from "./types.js";

export {SHAPE_CLASS_NAMES};

/** Radius ranges (px at 64x64) by instance count: one instance may fill most of the image. */
const RADIUS_BY_COUNT: Record<number, readonly [number, number]> = {1: [7, 31], 2: [7, 18], 3: [7, 14]};

export function planShapesScene(index: number, seed: number, options: GeneratorOptions = {}): PlannedScene {
  const {width, height} = resolveSize(options);
  const rng = seededRandom(sampleSeed(seed, index));
  const label = rng.int(0, SHAPE_CLASS_NAMES.length);
  const roll = rng.next();
  const count = roll < 0.5 ? 1 : roll < 0.8 ? 2 : 3;
  const requests: InstanceRequest[] = Array.from({length: count}, (_, i) => ({
    classIndex: label,
    radius: RADIUS_BY_COUNT[count]!,
    required: i === 0
  }));
  return {scene: composeShapeScene(rng, width, height, requests), label};
}

export function createShapesDataset(options: GeneratorOptions = {}): Dataset {
  const {width, height} = resolveSize(options);
  return {
    name: "shapes",
    classes: SHAPE_CLASS_NAMES,
    width,
    height,
    sample: (index, seed) => sampleFromPlan(planShapesScene(index, seed, {width, height}))
  };
}
