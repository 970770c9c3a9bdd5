/**
 * The multi-label parts of a training run (loaders/train/main.ts): validation mAP, the final
 * temperature calibration (fitted on the committed val split, baked into the model) and the
 * figures the model card records.
 */
import type * as tf from "@tensorflow/tfjs";
import type {LoadedSplit} from "../datasets/splits.js";
import type {Sample} from "../datasets/types.js";
import type {MultiLabelCard} from "../models/card.js";
import type {Evaluation} from "./evaluate.js";
import {
  bakeTemperature,
  evaluateMultiLabel,
  fitTemperature,
  multiHotTargets,
  predictLogits,
  quantiles,
  sigmoid,
  type Matrix,
  type MultiLabelEvaluation
} from "./multilabel.js";

const ECE_BINS = 15;
const SCORE_QUANTILES = [0, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];

export function multiLabelValidation(model: tf.LayersModel, samples: readonly Sample[], classNames: readonly string[]): MultiLabelEvaluation {
  return evaluateMultiLabel(predictLogits(model, samples), multiHotTargets(samples, classNames.length), classNames);
}

/**
 * Fits the temperature on the val split, bakes it into `model` (its logits are divided by T
 * from then on) and returns the card section: test mAP (unchanged by T > 0: it is a ranking
 * per class), ECE and loss before and after on test and val, and score quantiles on test.
 */
export function calibrateMultiLabel(
  model: tf.LayersModel,
  validation: LoadedSplit,
  test: LoadedSplit,
  classNames: readonly string[],
  validationDirectory: string
): MultiLabelCard {
  const classes = classNames.length;
  const valTargets = multiHotTargets(validation.images, classes);
  const testTargets = multiHotTargets(test.images, classes);
  const valBefore = evaluateMultiLabel(predictLogits(model, validation.images), valTargets, classNames);
  const testLogitsBefore = predictLogits(model, test.images);
  const testBefore = evaluateMultiLabel(testLogitsBefore, testTargets, classNames);
  const temperature = fitTemperature(predictLogits(model, validation.images), valTargets);
  bakeTemperature(model, temperature);
  const testLogits = predictLogits(model, test.images);
  // The baked model must give exactly the scaled logits (up to float rounding).
  const worst = maxAbsDifference(
    testLogits,
    testLogitsBefore.map((row) => row.map((z) => z / temperature))
  );
  if (worst > 1e-3 * (1 + maxAbs(testLogits))) throw new Error(`baking T = ${temperature} changed the logits by up to ${worst}, not just by 1/T`);
  const testAfter = evaluateMultiLabel(testLogits, testTargets, classNames);
  const valAfter = evaluateMultiLabel(predictLogits(model, validation.images), valTargets, classNames);
  const positives: number[] = [];
  const negatives: number[] = [];
  testLogits.forEach((row, n) => row.forEach((z, c) => (testTargets[n]![c] ? positives : negatives).push(sigmoid(z))));
  const round = (values: number[]) => values.map((v) => Number(v.toFixed(6)));
  return {
    testMap: testAfter.map,
    perClassAp: testAfter.perClassAp,
    testPositives: testAfter.positives,
    validationSplit: {directory: validationDirectory, images: validation.images.length, seed: validation.seed},
    calibration: {
      method: "temperature scaling: T minimising the binary cross-entropy of sigmoid(logit / T) on the val split",
      temperature,
      eceBins: ECE_BINS,
      testEceBefore: testBefore.ece,
      testEceAfter: testAfter.ece,
      validationEceBefore: valBefore.ece,
      validationEceAfter: valAfter.ece,
      testLossBefore: testBefore.loss,
      testLossAfter: testAfter.loss
    },
    scoreQuantiles: {q: SCORE_QUANTILES, positives: round(quantiles(positives, SCORE_QUANTILES)), negatives: round(quantiles(negatives, SCORE_QUANTILES))}
  };
}

/** Top-1 figures for the card's testAccuracy / perClassAccuracy: is the top-scoring class present? */
export function multiLabelTopOne(model: tf.LayersModel, samples: readonly Sample[], classNames: readonly string[]): Evaluation {
  const logits = predictLogits(model, samples);
  const predictions = logits.map((row) => row.indexOf(Math.max(...row)));
  const hits = new Array<number>(classNames.length).fill(0);
  const totals = new Array<number>(classNames.length).fill(0);
  let correct = 0;
  samples.forEach((sample, n) => {
    const present = sample.labels ?? [sample.label];
    const hit = present.includes(predictions[n]!);
    if (hit) correct++;
    for (const c of present) {
      totals[c]!++;
      if (hit) hits[c]!++;
    }
  });
  const perClass: Record<string, number> = {};
  classNames.forEach((name, c) => (perClass[name] = totals[c]! > 0 ? hits[c]! / totals[c]! : Number.NaN));
  return {accuracy: samples.length > 0 ? correct / samples.length : Number.NaN, perClass, count: samples.length, predictions};
}

function maxAbs(m: Matrix): number {
  let worst = 0;
  for (const row of m) for (const v of row) worst = Math.max(worst, Math.abs(v));
  return worst;
}

function maxAbsDifference(a: Matrix, b: Matrix): number {
  let worst = 0;
  a.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i]![j]!)))));
  return worst;
}
