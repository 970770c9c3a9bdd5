/**
 * Multi-label metrics and temperature scaling (loaders/train/multilabel.ts) on hand-computed
 * cases, and the multi-label training loss on a case whose value is known in closed form.
 */
import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import type {Dataset, Sample} from "../loaders/datasets/types.js";
import {samplesToBatch} from "../loaders/train/batch.js";
import {
  averagePrecision,
  bakeTemperature,
  binaryCrossEntropy,
  expectedCalibrationError,
  fitTemperature,
  meanAveragePrecision,
  multiHotTargets,
  quantiles,
  sigmoid
} from "../loaders/train/multilabel.js";
import {Trainer} from "../loaders/train/trainer.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("average precision", () => {
  it("matches the hand computation (precision at each positive's rank, averaged)", () => {
    // Positives at ranks 1, 3, 5: precisions 1/1, 2/3, 3/5.
    expect(averagePrecision([0.9, 0.8, 0.7, 0.6, 0.5], [1, 0, 1, 0, 1])).toBeCloseTo((1 + 2 / 3 + 3 / 5) / 3, 12);
    expect(averagePrecision([0.1, 0.2, 0.3], [0, 0, 1])).toBe(1);
    // Worst order: the single positive last of four.
    expect(averagePrecision([0.4, 0.3, 0.2, 0.1], [0, 0, 0, 1])).toBeCloseTo(1 / 4, 12);
  });

  it("treats tied scores as one threshold, whatever their order", () => {
    // Threshold 0.9: no positive; threshold 0.5: recall 1 at precision 1/3.
    expect(averagePrecision([0.9, 0.5, 0.5], [0, 1, 0])).toBeCloseTo(1 / 3, 12);
    expect(averagePrecision([0.5, 0.9, 0.5], [0, 0, 1])).toBeCloseTo(1 / 3, 12);
    expect(averagePrecision([0.5, 0.5], [1, 0])).toBeCloseTo(0.5, 12);
  });

  it("is NaN without positives and rejects bad input", () => {
    expect(averagePrecision([0.3, 0.2], [0, 0])).toBeNaN();
    expect(() => averagePrecision([0.1], [1, 0])).toThrow(/targets/);
    expect(() => averagePrecision([Number.NaN], [1])).toThrow(/finite/);
  });

  it("mAP averages the classes that have a positive", () => {
    // Column 0: the 3-positive case above; column 1: perfectly ranked; column 2: no positive.
    const scores = [
      [0.9, 0.1, 0.5],
      [0.8, 0.2, 0.5],
      [0.7, 0.3, 0.5],
      [0.6, 0.4, 0.5],
      [0.5, 0.95, 0.5]
    ];
    const targets = [
      [1, 0, 0],
      [0, 0, 0],
      [1, 0, 0],
      [0, 0, 0],
      [1, 1, 0]
    ];
    const {map, perClass} = meanAveragePrecision(scores, targets);
    expect(perClass[0]).toBeCloseTo(34 / 45, 12);
    expect(perClass[1]).toBe(1);
    expect(perClass[2]).toBeNaN();
    expect(map).toBeCloseTo((34 / 45 + 1) / 2, 12);
  });
});

describe("expected calibration error", () => {
  it("matches the hand computation", () => {
    // Bin [0.1, 0.2): mean score 0.1, half positive -> |0.5 - 0.1| = 0.4, weight 1/2.
    // Bin [0.9, 1.0]: mean score 0.9, all positive -> 0.1, weight 1/2. ECE = 0.25.
    expect(expectedCalibrationError([[0.1], [0.1], [0.9], [0.9]], [[0], [1], [1], [1]], 10)).toBeCloseTo(0.25, 12);
    // A score of exactly 1 falls in the last bin; two perfectly calibrated bins give 0.
    expect(
      expectedCalibrationError(
        [
          [1, 0.25],
          [1, 0.25],
          [0.25, 0.25]
        ],
        [
          [1, 0],
          [1, 1],
          [0, 0]
        ],
        4
      )
    ).toBeCloseTo(0, 12);
    // Scores pool over classes: one bin holding 0.7 and 0.7 with one positive -> |0.5 - 0.7|.
    expect(expectedCalibrationError([[0.7, 0.7]], [[1, 0]], 2)).toBeCloseTo(0.2, 12);
  });

  it("rejects probabilities outside [0, 1] and bad bin counts", () => {
    expect(() => expectedCalibrationError([[1.2]], [[1]])).toThrow(/outside/);
    expect(() => expectedCalibrationError([[0.2]], [[1]], 0)).toThrow(/bins/);
  });
});

describe("temperature scaling", () => {
  // Logit +1 with 3 of 4 positive and -1 with 1 of 4 positive: the best score at +1 is 3/4,
  // so sigmoid(1 / T) = 3/4, T = 1 / ln 3.
  const logits = [[1], [1], [1], [1], [-1], [-1], [-1], [-1]];
  const targets = [[1], [1], [1], [0], [1], [0], [0], [0]];

  it("fits T = 1 / ln 3 on the hand case", () => {
    expect(fitTemperature(logits, targets)).toBeCloseTo(1 / Math.log(3), 9);
  });

  it("minimises the binary cross-entropy (checked against neighbouring temperatures)", () => {
    const scaled = logits.map((row) => [row[0]! * 2.7, row[0]! * -0.3 + 0.4]);
    const twoClassTargets = targets.map((row, i) => [row[0]!, i % 3 === 0 ? 1 : 0]);
    const t = fitTemperature(scaled, twoClassTargets);
    const loss = binaryCrossEntropy(scaled, twoClassTargets, t);
    for (const factor of [0.98, 1.02, 0.8, 1.25]) expect(binaryCrossEntropy(scaled, twoClassTargets, t * factor)).toBeGreaterThan(loss);
  });

  it("scales with the logits: doubling them doubles T", () => {
    const doubled = logits.map((row) => row.map((z) => 2 * z));
    expect(fitTemperature(doubled, targets)).toBeCloseTo(2 / Math.log(3), 9);
  });

  it("binary cross-entropy matches closed forms", () => {
    expect(binaryCrossEntropy([[0]], [[1]])).toBeCloseTo(Math.LN2, 12);
    expect(binaryCrossEntropy([[2]], [[0]], 2)).toBeCloseTo(Math.log(1 + Math.E), 12);
    // Stable for large logits: log(1 + e^-800) ~ 0 and 800 for the wrong label.
    expect(binaryCrossEntropy([[800], [800]], [[1], [0]])).toBeCloseTo(400, 9);
  });

  it("bakes 1/T into the last Dense layer: outputs become logits / T", () => {
    const input = tf.input({shape: [4]});
    const hidden = tf.layers
      .dense({units: 5, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({seed: 3})})
      .apply(input) as tf.SymbolicTensor;
    const out = tf.layers
      .dense({units: 3, name: "logits", kernelInitializer: tf.initializers.glorotUniform({seed: 4}), biasInitializer: tf.initializers.constant({value: 0.3})})
      .apply(hidden) as tf.SymbolicTensor;
    const model = tf.model({inputs: input, outputs: out});
    const x = tf.tensor2d([
      [1, -2, 0.5, 3],
      [0.2, 0.1, -1, 2]
    ]);
    const before = (model.predict(x) as tf.Tensor).arraySync() as number[][];
    expect(bakeTemperature(model, 2.5)).toBe("logits");
    const after = (model.predict(x) as tf.Tensor).arraySync() as number[][];
    after.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(before[i]![j]! / 2.5, 6)));
    expect(() => bakeTemperature(model, 0)).toThrow(/positive/);
    tf.dispose([x]);
    model.dispose();
  });

  it("refuses to bake into a softmax head", () => {
    const input = tf.input({shape: [2]});
    const out = tf.layers.dense({units: 2, activation: "softmax"}).apply(input) as tf.SymbolicTensor;
    const model = tf.model({inputs: input, outputs: out});
    expect(() => bakeTemperature(model, 2)).toThrow(/linear Dense/);
    model.dispose();
  });
});

describe("helpers", () => {
  it("sigmoid is stable at large |z|", () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(Math.log(3))).toBeCloseTo(0.75, 12);
  });

  it("quantiles interpolate linearly between order statistics", () => {
    expect(quantiles([4, 1, 3, 2], [0, 0.25, 0.5, 1])).toEqual([1, 1.75, 2.5, 4]);
    expect(() => quantiles([], [0.5])).toThrow(/empty/);
  });

  it("multi-hot targets come from labels (or the single label)", () => {
    const sample = (label: number, labels?: number[]): Sample => ({
      width: 1,
      height: 1,
      rgb: new Uint8Array(3),
      label,
      instances: [],
      ...(labels ? {labels} : {})
    });
    expect(multiHotTargets([sample(1, [1, 3]), sample(2)], 4)).toEqual([
      [0, 1, 0, 1],
      [0, 0, 1, 0]
    ]);
    expect(() => multiHotTargets([sample(5)], 4)).toThrow(/outside/);
    expect(Array.from(samplesToBatch([sample(1, [1, 3])], undefined, 4).targets!)).toEqual([0, 1, 0, 1]);
  });
});

describe("multi-label training step", () => {
  it("uses binary cross-entropy summed over classes: C ln 2 at zero logits", () => {
    const classes = 4;
    const dataset: Dataset = {
      name: "scenes",
      classes: ["a", "b", "c", "d"],
      width: 4,
      height: 4,
      multiLabel: true,
      sample: (index) => ({width: 4, height: 4, rgb: new Uint8Array(48).fill(index * 10), label: 0, labels: index % 2 ? [0, 2] : [1], instances: []})
    };
    const input = tf.input({shape: [4, 4, 3]});
    const pooled = tf.layers.globalAveragePooling2d({}).apply(input) as tf.SymbolicTensor;
    const out = tf.layers.dense({units: classes, kernelInitializer: "zeros", name: "logits"}).apply(pooled) as tf.SymbolicTensor;
    const model = tf.model({inputs: input, outputs: out});
    const trainer = new Trainer(model, dataset, {batch: 2, learningRate: 0.1, totalSteps: 10, trainSeed: 1, augment: false});
    expect(trainer.multiLabel).toBe(true);
    const first = trainer.trainStep();
    expect(first.loss).toBeCloseTo(classes * Math.LN2, 5);
    // Zero logits predict "absent" for every class (logit 0 is not > 0): no image is all right.
    expect(first.accuracy).toBe(0);
    // Training lowers the loss on this fixed pair of images.
    let last = first.loss;
    for (let i = 0; i < 5; i++) last = trainer.trainStep().loss;
    expect(last).toBeLessThan(first.loss);
    model.dispose();
  });
});
