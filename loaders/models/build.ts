/** Architecture registry: one place that maps a CLI/card architecture name to its builder. */
import type * as tf from "@tensorflow/tfjs";
import {buildVgg} from "./vgg.js";
import {buildResnet, type ResnetOptions} from "./resnet.js";

const ARCHITECTURES = ["vgg", "resnet"] as const;
export type ArchitectureName = (typeof ARCHITECTURES)[number];

export function isArchitectureName(name: string): name is ArchitectureName {
  return (ARCHITECTURES as readonly string[]).includes(name);
}

/**
 * Per data set departures from an architecture's defaults. On scenes the one-block-per-stage
 * ResNet plateaued at validation mAP 0.81 (4,500 steps, flat from step 3,000): too little depth at
 * 16×16 and 8×8 to tell ten classes apart among distractors. A second block in conv3 and conv4
 * doubles the receptive field there (87 → 183 px, more than the 128 px image) for +80% FLOPs.
 */
const RESNET_BY_DATASET: Readonly<Record<string, Partial<ResnetOptions>>> = {
  scenes: {blocksPerStage: [1, 2, 2]}
};

export function buildModel(architecture: ArchitectureName, classes: number, seed: number, inputSize = 64, dataset?: string): tf.LayersModel {
  switch (architecture) {
    case "vgg":
      return buildVgg({classes, seed, inputSize});
    case "resnet":
      return buildResnet({classes, seed, inputSize, ...(dataset === undefined ? {} : RESNET_BY_DATASET[dataset])});
  }
}
