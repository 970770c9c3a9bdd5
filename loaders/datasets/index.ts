/** Entry point of the generated data sets: getDataset(name) and the class lists. */
import {resolveSize, type GeneratorOptions} from "./dataset-options.js";
import {createShapesDataset} from "./shapes.js";
import {createShapesPairsDataset} from "./shapes-pairs.js";
import {createDefectsDataset, DEFECT_CLASS_NAMES} from "./defects.js";
import {createScenesDataset} from "./scenes.js";
import type {Dataset, DatasetName} from "./types.js";

export type {Dataset, DatasetName, Sample} from "./types.js";
export {SHAPE_CLASS_NAMES} from "./shape-classes.js";
export {TEST_SEED, TRAIN_SEED, VALIDATION_SEED} from "./seeds.js";
export {DEFECT_CLASS_NAMES};

export const DATASET_NAMES: readonly DatasetName[] = ["shapes", "shapes-pairs", "defects", "scenes"];

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

export function getDataset(name: DatasetName, options: GeneratorOptions = {}): Dataset {
  resolveSize(options);
  switch (name) {
    case "shapes":
      return createShapesDataset(options);
    case "shapes-pairs":
      return createShapesPairsDataset(options);
    case "defects":
      return createDefectsDataset(options);
    case "scenes":
      return createScenesDataset(options);
    default:
      throw new Error(`unknown data set ${name}`);
  }
}
