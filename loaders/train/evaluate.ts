/** Accuracy (overall and per class) of a model on a list of samples, in inference mode. */
import * as tf from "@tensorflow/tfjs";
import type {Sample} from "../datasets/types.js";
import {samplesToBatch} from "./batch.js";

export interface Evaluation {
  accuracy: number;
  perClass: Record<string, number>;
  count: number;
  /** Predicted class per sample, in order. */
  predictions: number[];
}

function predictClasses(model: tf.LayersModel, samples: readonly Sample[], batchSize = 64): number[] {
  const predictions: number[] = [];
  for (let start = 0; start < samples.length; start += batchSize) {
    const batch = samplesToBatch(samples.slice(start, start + batchSize));
    const classes = tf.tidy(() => {
      const logits = model.predict(tf.tensor4d(batch.pixels, batch.shape)) as tf.Tensor;
      return logits.argMax(-1).dataSync();
    });
    predictions.push(...Array.from(classes));
  }
  return predictions;
}

export function evaluate(model: tf.LayersModel, samples: readonly Sample[], classNames: readonly string[]): Evaluation {
  const predictions = predictClasses(model, samples);
  const hits = new Array<number>(classNames.length).fill(0);
  const totals = new Array<number>(classNames.length).fill(0);
  let correct = 0;
  samples.forEach((sample, i) => {
    totals[sample.label]!++;
    if (predictions[i] === sample.label) {
      hits[sample.label]!++;
      correct++;
    }
  });
  const perClass: Record<string, number> = {};
  classNames.forEach((name, c) => {
    perClass[name] = totals[c]! > 0 ? hits[c]! / totals[c]! : Number.NaN;
  });
  return {accuracy: samples.length > 0 ? correct / samples.length : Number.NaN, perClass, count: samples.length, predictions};
}
