/**
 * The "defects" set: steel-surface inspection. Class 0 ("normal") has no defect and no
 * instances; every other image shows 1-4 instances of one defect type.
 */
import {seededRandom} from "../../src/lib/random.js";
import {resolveSize, type GeneratorOptions} from "./dataset-options.js";
import {centreOf, planCrack, planInclusion, planPatch, planPitCluster, planScratch, type DefectContext} from "./defect-marks.js";
import {renderMetalSurface} from "./metal-texture.js";
import {sampleFromPlan, type Layer, type PlannedScene} from "./scene.js";
import {sampleSeed} from "./seeds.js";
import type {Dataset} from "./types.js";

export const DEFECT_CLASS_NAMES = ["normal", "scratch", "pits", "patch", "crack", "inclusion"] as const;

/** Instance count range [lo, hi) per defect class. */
const COUNTS: Record<Exclude<(typeof DEFECT_CLASS_NAMES)[number], "normal">, readonly [number, number]> = {
  scratch: [1, 4],
  pits: [1, 3],
  patch: [1, 3],
  crack: [1, 3],
  inclusion: [1, 5]
};

export function planDefectsScene(index: number, seed: number, options: GeneratorOptions = {}): PlannedScene {
  const {width, height} = resolveSize(options);
  const rng = seededRandom(sampleSeed(seed, index));
  const label = rng.int(0, DEFECT_CLASS_NAMES.length);
  const surface = renderMetalSurface(rng, width, height);
  const ctx: DefectContext = {rng, width, height, background: surface.image, rollingAngle: surface.rollingAngle, scale: Math.min(width, height) / 64};
  const className = DEFECT_CLASS_NAMES[label]!;
  const layers: Layer[] = [];
  if (className !== "normal") {
    const [lo, hi] = COUNTS[className];
    const count = rng.int(lo, hi);
    for (let i = 0; i < count; i++) {
      let layer: Layer;
      if (className === "scratch") layer = planScratch(ctx);
      else if (className === "pits") layer = planPitCluster(ctx);
      else if (className === "patch") layer = planPatch(ctx);
      else if (className === "crack") layer = planCrack(ctx);
      else layer = planInclusion(ctx, i > 0 ? centreOf(layers[0]!.bounds) : undefined);
      layers.push({...layer, instance: i});
    }
  }
  return {
    scene: {
      width,
      height,
      background: surface.image,
      layers,
      instanceClasses: layers.map(() => label),
      sensorNoise: {seed: rng.int(0, 2 ** 31), sigma: rng.uniform(1, 3)}
    },
    label
  };
}

export function createDefectsDataset(options: GeneratorOptions = {}): Dataset {
  const {width, height} = resolveSize(options);
  return {
    name: "defects",
    classes: DEFECT_CLASS_NAMES,
    width,
    height,
    sample: (index, seed) => sampleFromPlan(planDefectsScene(index, seed, {width, height}))
  };
}
