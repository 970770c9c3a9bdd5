/** The model card written next to each committed model (`card.json`) and its reader. */
import * as tf from "@tensorflow/tfjs";
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

/**
 * What the model takes: a whole image resized to its input ("image", the default when a card has
 * no `input`), or a square face crop cut around a detected face ("face-crop": the CLI and the
 * site detect faces in a photo first and draw the map back onto the whole photo).
 */
export type ModelInputKind = "image" | "face-crop";
export const MODEL_INPUT_KINDS: readonly ModelInputKind[] = ["image", "face-crop"];

export interface ModelCard {
  name: string;
  architecture: ArchitectureSummary;
  inputSize: [number, number, number];
  /** Absent: "image". */
  input?: ModelInputKind;
  preprocessing: Preprocessing;
  output: "logits";
  /**
   * How class scores come from the logits: softmax over classes (single-label sets; absent
   * means softmax) or an independent sigmoid per class (multi-label sets such as scenes).
   */
  score?: "softmax" | "sigmoid";
  classes: string[];
  dataset: string;
  testSplit: {directory: string; images: number; seed: number};
  /** Single-label: top-1 accuracy. Multi-label: share of test images whose top-scoring class is present. */
  testAccuracy: number;
  /** Single-label: accuracy per true class. Multi-label: per class, the top-1 hit rate on the images it is present in. */
  perClassAccuracy: Record<string, number>;
  /** Single-label: validation accuracy. Multi-label: validation mAP. */
  validationAccuracy: number | null;
  /** Multi-label models only: ranking quality and calibration (see loaders/train/multilabel.ts). */
  multiLabel?: MultiLabelCard;
  training: {
    steps: number;
    batch: number;
    learningRate: number;
    schedule: string;
    optimizer: string;
    seed: number;
    trainSeed: number;
    augment: boolean;
    /** The trained model this run started from (--init), when it did not start from seeded random weights. */
    initialisedFrom?: string;
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

export interface MultiLabelCard {
  /** Mean over classes of the per-class average precision on the test split (non-interpolated). */
  testMap: number;
  perClassAp: Record<string, number>;
  /** (image, present class) pairs in the test split. */
  testPositives: number;
  validationSplit: {directory: string; images: number; seed: number};
  calibration: {
    method: string;
    /** Logits were divided by this (baked into the last Dense layer's kernel and bias). */
    temperature: number;
    /** Expected calibration error of the sigmoid scores, every (image, class) score, 15 equal-width bins. */
    eceBins: number;
    testEceBefore: number;
    testEceAfter: number;
    validationEceBefore: number;
    validationEceAfter: number;
    testLossBefore: number;
    testLossAfter: number;
  };
  /** Quantiles of the calibrated sigmoid scores on the test split, present-class and absent-class pairs. */
  scoreQuantiles: {q: number[]; positives: number[]; negatives: number[]};
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
