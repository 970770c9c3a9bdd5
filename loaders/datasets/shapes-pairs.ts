/**
 * The "shapes-pairs" set: two different shape classes in one image, for checking whether an
 * explanation for one class avoids the other. label = first class; labels = [first, second].
 */
import {seededRandom} from "../../src/lib/random.js";
import {resolveSize, type GeneratorOptions} from "./dataset-options.js";
import {sampleFromPlan, type PlannedScene} from "./scene.js";
import {sampleSeed} from "./seeds.js";
import {SHAPE_CLASS_NAMES} from "./shape-classes.js";
import {composeShapeScene, type InstanceRequest} from "./shapes-scene.js";
import type {Dataset} from "./types.js";

const PAIR_RADIUS: readonly [number, number] = [7, 17];

export function planShapesPairsScene(index: number, seed: number, options: GeneratorOptions = {}): PlannedScene {
  const {width, height} = resolveSize(options);
  const rng = seededRandom(sampleSeed(seed, index));
  const classCount = SHAPE_CLASS_NAMES.length;
  const first = rng.int(0, classCount);
  const second = (first + rng.int(1, classCount)) % classCount;
  const roll = rng.next();
  const counts = roll < 0.6 ? [1, 1] : roll < 0.8 ? [2, 1] : [1, 2];
  const requests: InstanceRequest[] = [];
  [first, second].forEach((classIndex, k) => {
    for (let i = 0; i < counts[k]!; i++) requests.push({classIndex, radius: PAIR_RADIUS, required: i === 0});
  });
  // Draw order is shuffled so either class may partly cover the other.
  for (let i = requests.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [requests[i], requests[j]] = [requests[j]!, requests[i]!];
  }
  return {scene: composeShapeScene(rng, width, height, requests), label: first, labels: [first, second]};
}

export function createShapesPairsDataset(options: GeneratorOptions = {}): Dataset {
  const {width, height} = resolveSize(options);
  return {
    name: "shapes-pairs",
    classes: SHAPE_CLASS_NAMES,
    width,
    height,
    sample: (index, seed) => sampleFromPlan(planShapesPairsScene(index, seed, {width, height}))
  };
}
