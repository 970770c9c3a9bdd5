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
import type {ForwardEngine} from "../onnx/engine.js";

/** Probability of `classIndex` (model.probabilityMode) for a batch of HWC pixel images (resized to the model if needed). */
export type ProbabilityScorer = (images: readonly Float32Array[]) => Promise<number[]>;

/**
 * With `forward` (an ONNX Runtime engine, typically), the curves' many forward passes run there
 * and the class probability is taken in JS; without it, on tfjs. The two agree to float rounding.
 */
export function probabilityScorer(model: ExplainableModel, classIndex: number, width: number, height: number, forward?: ForwardEngine): ProbabilityScorer {
  const sameSize = height === model.inputHeight && width === model.inputWidth;
  return async (images) => {
    const size = width * height * 3;
    const data = new Float32Array(images.length * size);
    images.forEach((image, i) => data.set(image, i * size));
    if (forward && sameSize) return classProbabilities(await forward.forward(data, images.length), model.numClasses, classIndex, model.probabilityMode);
    const scores = tf.tidy(() => {
      const raw = tf.tensor4d(data, [images.length, height, width, 3]);
      const pixels = sameSize ? raw : tf.image.resizeBilinear(raw, [model.inputHeight, model.inputWidth], false, true);
      return model.scores(pixels, classIndex, model.probabilityMode);
    });
    const values = Array.from(await scores.data());
    scores.dispose();
    return values;
  };
}

/** Row-major logits [n, classes] -> each row's probability of `classIndex` (a stable softmax, or the sigmoid). */
export function classProbabilities(logits: Float32Array, classes: number, classIndex: number, mode: "softmax" | "sigmoid"): number[] {
  const n = logits.length / classes;
  return Array.from({length: n}, (_, i) => {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    const z = row[classIndex]!;
    if (mode === "sigmoid") return 1 / (1 + Math.exp(-z));
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    return Math.exp(z - max) / sum;
  });
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
