/** Architecture registry: one place that maps a CLI/card architecture name to its builder. */
import type * as tf from "@tensorflow/tfjs";
import {buildVgg} from "./vgg.js";
import {buildResnet} from "./resnet.js";

const ARCHITECTURES = ["vgg", "resnet"] as const;
export type ArchitectureName = (typeof ARCHITECTURES)[number];

export function isArchitectureName(name: string): name is ArchitectureName {
  return (ARCHITECTURES as readonly string[]).includes(name);
}

export function buildModel(architecture: ArchitectureName, classes: number, seed: number, inputSize = 64): tf.LayersModel {
  switch (architecture) {
    case "vgg":
      return buildVgg({classes, seed, inputSize});
    case "resnet":
      return buildResnet({classes, seed, inputSize});
  }
}
