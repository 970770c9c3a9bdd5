/**
 * Every Table 1 metric of one explanation of one image. Localisation compares the map with the
 * ground truth G; Drop/Increase and deletion/insertion query the model's probability of the
 * explained class (algorithms.md: perturbation metrics use the probability): softmax, or the
 * class's sigmoid for a multi-label model (the SISE paper's protocol on VOC).
 */
import * as tf from "@tensorflow/tfjs";
import type {SaliencyMap} from "../../src/lib/maps/types.js";
import {keepTopFraction} from "../../src/lib/metrics/apply-mask.js";
import {deletionInsertionCurve} from "../../src/lib/metrics/deletion-insertion.js";
import {bboxScore, ebpg, pointingGame, topFractionIou} from "../../src/lib/metrics/localization.js";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {activateLogits} from "../../src/lib/model/score.js";
import type {ForwardEngine} from "../onnx/engine.js";
import {sigmoid} from "../train/multilabel.js";

/** Probability of `classIndex` (model.probabilityMode) for a batch of HWC pixel images (resized to the model if needed). */
export type ProbabilityScorer = (images: readonly Float32Array[]) => Promise<number[]>;

/**
 * Probabilities [n, classes] (model.probabilityMode) of `n` HWC pixel images: on `forward` (an ONNX
 * Runtime engine) when given and the images are the model's size, the activation then taken in
 * JS; else on tfjs, resized if needed. The two agree to float rounding. Y, O and the curves all
 * come from here, so Drop / Increase never compare probabilities from two engines.
 */
export async function probabilityRows(
  model: ExplainableModel,
  data: Float32Array,
  n: number,
  width: number,
  height: number,
  forward?: ForwardEngine
): Promise<Float32Array> {
  const sameSize = height === model.inputHeight && width === model.inputWidth;
  if (forward && sameSize) return activateRows(await forward.forward(data, n), model.numClasses, model.probabilityMode);
  const probabilities = tf.tidy(() => {
    const raw = tf.tensor4d(data, [n, height, width, 3]);
    const pixels = sameSize ? raw : tf.image.resizeBilinear(raw, [model.inputHeight, model.inputWidth], false, true);
    return activateLogits(model.logits(pixels), model.probabilityMode);
  });
  try {
    return (await probabilities.data()) as Float32Array;
  } finally {
    probabilities.dispose();
  }
}

export function probabilityScorer(model: ExplainableModel, classIndex: number, width: number, height: number, forward?: ForwardEngine): ProbabilityScorer {
  return async (images) => {
    const size = width * height * 3;
    const data = new Float32Array(images.length * size);
    images.forEach((image, i) => data.set(image, i * size));
    const rows = await probabilityRows(model, data, images.length, width, height, forward);
    return Array.from({length: images.length}, (_, i) => rows[i * model.numClasses + classIndex]!);
  };
}

/** Row-major logits [n, classes] -> probabilities: a stable softmax per row, or the sigmoid of each. */
export function activateRows(logits: Float32Array, classes: number, mode: "softmax" | "sigmoid"): Float32Array {
  if (mode === "sigmoid") return logits.map(sigmoid);
  const out = new Float32Array(logits.length);
  for (let start = 0; start < logits.length; start += classes) {
    const row = logits.subarray(start, start + classes);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    row.forEach((v, c) => (out[start + c] = Math.exp(v - max) / sum));
  }
  return out;
}

export interface LocalisationScores {
  ebpg: number;
  bbox: number;
  iou: number;
  pointingHit: boolean;
}

export function localisationScores(map: SaliencyMap, truth: Uint8Array, options: {tolerance: number; iouFraction: number}): LocalisationScores {
  return {
    ebpg: ebpg(map, truth),
    bbox: bboxScore(map, truth),
    iou: topFractionIou(map, truth, options.iouFraction),
    pointingHit: pointingGame(map, truth, {tolerance: options.tolerance}).hit
  };
}

export interface FaithfulnessOptions {
  keepFraction: number;
  curveSteps: number;
  /** Insertion starts from this (blurred image); deletion replaces pixels by black. */
  insertionCanvas: Float32Array;
  batchSize?: number;
}

export interface FaithfulnessScores {
  keptProbability: number;
  deletionAuc: number;
  insertionAuc: number;
}

/** O of Drop/Increase and the deletion/insertion AUCs, all on the class probability. */
export async function faithfulnessScores(
  image: Float32Array,
  map: SaliencyMap,
  score: ProbabilityScorer,
  options: FaithfulnessOptions
): Promise<FaithfulnessScores> {
  const [keptProbability] = await score([keepTopFraction(image, map, options.keepFraction)]);
  const batchSize = options.batchSize ?? options.curveSteps + 1;
  const deletion = await deletionInsertionCurve(image, map, score, {mode: "deletion", steps: options.curveSteps, batchSize});
  const insertion = await deletionInsertionCurve(image, map, score, {
    mode: "insertion",
    steps: options.curveSteps,
    canvas: options.insertionCanvas,
    batchSize
  });
  return {keptProbability: keptProbability!, deletionAuc: deletion.auc, insertionAuc: insertion.auc};
}
