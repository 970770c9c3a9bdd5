/**
 * Multi-label evaluation and calibration: per-class average precision and their mean (mAP),
 * expected calibration error of per-class sigmoid scores, temperature scaling (fitted by
 * maximum likelihood) and baking the temperature into a model's last Dense layer.
 *
 * Conventions: `logits[n][c]` is the model's output for image n, class c; `targets[n][c]` is 1
 * when class c is present in image n, else 0; score = sigmoid(logit).
 */
import * as tf from "@tensorflow/tfjs";
import type {Sample} from "../datasets/types.js";
import {samplesToBatch} from "./batch.js";

export type Matrix = readonly (readonly number[])[];

export function sigmoid(z: number): number {
  // Two branches so that exp never overflows.
  if (z >= 0) return 1 / (1 + Math.exp(-z));
  const e = Math.exp(z);
  return e / (1 + e);
}

/** Multi-hot targets from samples: labels when present, else [label]. */
export function multiHotTargets(samples: readonly Sample[], classes: number): number[][] {
  return samples.map((sample) => {
    const row = new Array<number>(classes).fill(0);
    for (const c of sample.labels ?? [sample.label]) {
      if (!Number.isInteger(c) || c < 0 || c >= classes) throw new Error(`label ${c} outside 0..${classes - 1}`);
      row[c] = 1;
    }
    return row;
  });
}

/**
 * Average precision of one ranking (non-interpolated, as scikit-learn's
 * average_precision_score): sum over distinct score thresholds of (recall gain) x precision.
 * Tied scores form one threshold, so the result does not depend on the order of ties.
 * NaN when there is no positive.
 */
export function averagePrecision(scores: readonly number[], targets: readonly number[]): number {
  if (scores.length !== targets.length) throw new Error(`${scores.length} scores but ${targets.length} targets`);
  for (const s of scores) if (!Number.isFinite(s)) throw new Error(`score ${s} is not finite`);
  const positives = targets.reduce((sum, t) => sum + (t ? 1 : 0), 0);
  if (positives === 0) return Number.NaN;
  const order = scores.map((_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let ap = 0;
  let truePositives = 0;
  let seen = 0;
  let previousRecall = 0;
  for (let k = 0; k < order.length;) {
    const threshold = scores[order[k]!]!;
    // Take the whole group of tied scores at once.
    while (k < order.length && scores[order[k]!] === threshold) {
      truePositives += targets[order[k]!] ? 1 : 0;
      seen++;
      k++;
    }
    const recall = truePositives / positives;
    ap += (recall - previousRecall) * (truePositives / seen);
    previousRecall = recall;
  }
  return ap;
}

/** Per-class AP (columns of scores/targets) and their mean over classes that have a positive. */
export function meanAveragePrecision(scores: Matrix, targets: Matrix): {map: number; perClass: number[]} {
  checkShapes(scores, targets);
  const classes = scores[0]?.length ?? 0;
  const perClass = Array.from({length: classes}, (_, c) =>
    averagePrecision(
      scores.map((row) => row[c]!),
      targets.map((row) => row[c]!)
    )
  );
  const defined = perClass.filter((ap) => !Number.isNaN(ap));
  return {map: defined.length > 0 ? defined.reduce((a, b) => a + b, 0) / defined.length : Number.NaN, perClass};
}

/**
 * Expected calibration error over every (image, class) score as a binary prediction: scores
 * split into `bins` equal-width bins on [0, 1] (a score of exactly 1 goes to the last),
 * ECE = sum over bins of (bin share) x |mean target - mean score|.
 */
export function expectedCalibrationError(probabilities: Matrix, targets: Matrix, bins = 15): number {
  checkShapes(probabilities, targets);
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`bins must be a positive integer, got ${bins}`);
  const count = new Array<number>(bins).fill(0);
  const scoreSum = new Array<number>(bins).fill(0);
  const targetSum = new Array<number>(bins).fill(0);
  let total = 0;
  probabilities.forEach((row, n) =>
    row.forEach((p, c) => {
      if (!(p >= 0 && p <= 1)) throw new Error(`probability ${p} outside [0, 1]`);
      const b = Math.min(bins - 1, Math.floor(p * bins));
      count[b]!++;
      scoreSum[b]! += p;
      targetSum[b]! += targets[n]![c]! ? 1 : 0;
      total++;
    })
  );
  if (total === 0) return Number.NaN;
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]! > 0) ece += (count[b]! / total) * Math.abs(targetSum[b]! / count[b]! - scoreSum[b]! / count[b]!);
  return ece;
}

/** Mean binary cross-entropy of sigmoid(logit / temperature) against the targets. */
export function binaryCrossEntropy(logits: Matrix, targets: Matrix, temperature = 1): number {
  checkShapes(logits, targets);
  let sum = 0;
  let n = 0;
  logits.forEach((row, i) =>
    row.forEach((z, c) => {
      const a = z / temperature;
      // log(1 + e^a) - y a, computed stably.
      sum += Math.max(a, 0) + Math.log1p(Math.exp(-Math.abs(a))) - (targets[i]![c]! ? a : 0);
      n++;
    })
  );
  return sum / n;
}

/**
 * Temperature T > 0 minimising binaryCrossEntropy(logits, targets, T). The loss is convex in
 * a = 1/T (a logistic regression through the origin on one feature), its derivative
 * sum (sigmoid(a z) - y) z increases with a, so bisection on that derivative finds the optimum.
 * a is searched in [1e-3, 1e3]; a data set the model separates perfectly pushes a to the top.
 */
export function fitTemperature(logits: Matrix, targets: Matrix): number {
  checkShapes(logits, targets);
  const z: number[] = [];
  const y: number[] = [];
  logits.forEach((row, i) =>
    row.forEach((value, c) => {
      if (!Number.isFinite(value)) throw new Error(`logit ${value} is not finite`);
      z.push(value);
      y.push(targets[i]![c]! ? 1 : 0);
    })
  );
  if (z.length === 0) throw new Error("no logits to fit a temperature on");
  const slope = (a: number): number => {
    let g = 0;
    for (let k = 0; k < z.length; k++) g += (sigmoid(a * z[k]!) - y[k]!) * z[k]!;
    return g;
  };
  // Bisection in log a: 200 halvings of a 13.8-wide interval reach float precision.
  let lo = Math.log(1e-3);
  let hi = Math.log(1e3);
  if (slope(Math.exp(lo)) >= 0) return 1 / Math.exp(lo);
  if (slope(Math.exp(hi)) <= 0) return 1 / Math.exp(hi);
  for (let iteration = 0; iteration < 200 && hi - lo > 1e-12; iteration++) {
    const mid = (lo + hi) / 2;
    if (slope(Math.exp(mid)) < 0) lo = mid;
    else hi = mid;
  }
  return 1 / Math.exp((lo + hi) / 2);
}

/**
 * Divides the model's output logits by `temperature` in place: the last layer must be a Dense
 * layer with linear activation (the project's `logits`), whose kernel and bias are scaled by 1/T.
 * Returns the layer's name.
 */
export function bakeTemperature(model: tf.LayersModel, temperature: number): string {
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new Error(`temperature must be positive and finite, got ${temperature}`);
  const layer = model.layers[model.layers.length - 1]!;
  const config = layer.getConfig() as {activation?: string; useBias?: boolean};
  if (layer.getClassName() !== "Dense" || (config.activation !== undefined && config.activation !== "linear")) {
    throw new Error(
      `the last layer ${layer.name} must be a linear Dense layer to bake a temperature into it (it is ${layer.getClassName()}, ${config.activation})`
    );
  }
  const scaled = tf.tidy(() => layer.getWeights().map((w) => w.div(temperature)));
  layer.setWeights(scaled);
  tf.dispose(scaled);
  return layer.name;
}

/** Logits of every sample, in inference mode, `batchSize` at a time. */
export function predictLogits(model: tf.LayersModel, samples: readonly Sample[], batchSize = 32): number[][] {
  const rows: number[][] = [];
  for (let start = 0; start < samples.length; start += batchSize) {
    const batch = samplesToBatch(samples.slice(start, start + batchSize));
    const values = tf.tidy(() => (model.predict(tf.tensor4d(batch.pixels, batch.shape)) as tf.Tensor).arraySync() as number[][]);
    rows.push(...values);
  }
  return rows;
}

/** Linear-interpolated quantiles (type 7, as numpy's default) of `values` at each q in [0, 1]. */
export function quantiles(values: readonly number[], qs: readonly number[]): number[] {
  if (values.length === 0) throw new Error("quantiles of an empty list");
  const sorted = [...values].sort((a, b) => a - b);
  return qs.map((q) => {
    if (!(q >= 0 && q <= 1)) throw new Error(`quantile ${q} outside [0, 1]`);
    const h = (sorted.length - 1) * q;
    const lo = Math.floor(h);
    const hi = Math.min(sorted.length - 1, lo + 1);
    return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
  });
}

export interface MultiLabelEvaluation {
  map: number;
  perClassAp: Record<string, number>;
  /** ECE of sigmoid(logit) over every (image, class) score. */
  ece: number;
  /** Mean binary cross-entropy. */
  loss: number;
  images: number;
  /** (image, present class) pairs. */
  positives: number;
}

export function evaluateMultiLabel(logits: Matrix, targets: Matrix, classNames: readonly string[]): MultiLabelEvaluation {
  checkShapes(logits, targets);
  const probabilities = logits.map((row) => row.map(sigmoid));
  const {map, perClass} = meanAveragePrecision(probabilities, targets);
  const perClassAp: Record<string, number> = {};
  classNames.forEach((name, c) => (perClassAp[name] = perClass[c]!));
  return {
    map,
    perClassAp,
    ece: expectedCalibrationError(probabilities, targets),
    loss: binaryCrossEntropy(logits, targets),
    images: logits.length,
    positives: targets.reduce((sum, row) => sum + row.reduce((s, t) => s + (t ? 1 : 0), 0), 0)
  };
}

function checkShapes(a: Matrix, b: Matrix): void {
  if (a.length !== b.length) throw new Error(`${a.length} rows of scores but ${b.length} of targets`);
  a.forEach((row, i) => {
    if (row.length !== b[i]!.length) throw new Error(`row ${i}: ${row.length} scores but ${b[i]!.length} targets`);
  });
}
