/** The model card written next to each committed model (`card.json`) and its reader. */
import * as tf from "@tensorflow/tfjs";
import {readFile} from "node:fs/promises";
import {join} from "node:path";
import {writeFileAtomic} from "./save.js";

export const CARD_JSON = "card.json";

export interface Preprocessing {
  /** Pixels are divided by 255, then (x - mean) / std per channel. */
  scale: "0-1";
  mean: [number, number, number];
  std: [number, number, number];
}

export const DEFAULT_PREPROCESSING: Preprocessing = {scale: "0-1", mean: [0, 0, 0], std: [1, 1, 1]};

export interface LayerSummary {
  name: string;
  className: string;
  outputShape: (number | null)[];
  params: number;
}

export interface ArchitectureSummary {
  family: string;
  layers: number;
  params: number;
  trainableParams: number;
  summary: LayerSummary[];
}

export interface ModelCard {
  name: string;
  architecture: ArchitectureSummary;
  inputSize: [number, number, number];
  preprocessing: Preprocessing;
  output: "logits";
  classes: string[];
  dataset: string;
  testSplit: {directory: string; images: number; seed: number};
  testAccuracy: number;
  perClassAccuracy: Record<string, number>;
  validationAccuracy: number | null;
  training: {
    steps: number;
    batch: number;
    learningRate: number;
    schedule: string;
    optimizer: string;
    seed: number;
    trainSeed: number;
    augment: boolean;
    backend: string;
    wallTimeSeconds: number;
    secondsPerStep: number;
    /** Worker threads that shared each step (data parallel); absent = one thread. */
    workers?: number;
    /** How the run was made where that matters for its wall time (e.g. jobs sharing the machine). */
    note?: string;
  };
  date: string;
  command: string;
}

export function summariseArchitecture(model: tf.LayersModel, family: string): ArchitectureSummary {
  const shapeOf = (layer: tf.layers.Layer): (number | null)[] => {
    const shape = layer.outputShape;
    return (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
  };
  return {
    family,
    layers: model.layers.length,
    params: model.countParams(),
    trainableParams: model.trainableWeights.reduce((sum, w) => sum + w.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0),
    summary: model.layers.map((layer) => ({
      name: layer.name,
      className: layer.getClassName(),
      outputShape: shapeOf(layer),
      params: layer.countParams()
    }))
  };
}

export async function writeCard(dir: string, card: ModelCard): Promise<void> {
  await writeFileAtomic(join(dir, CARD_JSON), JSON.stringify(card, null, 2) + "\n");
}

export async function readCard(dir: string): Promise<ModelCard> {
  return JSON.parse(await readFile(join(dir, CARD_JSON), "utf8")) as ModelCard;
}
