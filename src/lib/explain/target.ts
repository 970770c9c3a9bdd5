/**
 * The target phase: which class is explained (given, or the top prediction) and its score under
 * the run's score mode — chosen once per run, from logits a pass already made where possible.
 */
import * as tf from "@tensorflow/tfjs";
import {assertModelFinite} from "./finite.js";
import type {ExplainableModel} from "../model/adapter.js";
import type {ScoreMode} from "../model/score.js";
import type {ExplainContext, Target} from "./pipeline.js";

/**
 * The class to explain (given, or the top prediction) and its score under `mode`, from the
 * logits [n, classes] of a pass whose first row is the image.
 */
export async function targetFromLogits(model: ExplainableModel, logits: tf.Tensor2D, classIndex: number | undefined, mode: ScoreMode): Promise<Target> {
  const values = Array.from((await logits.data()).subarray(0, model.numClasses));
  assertModelFinite(values, "model output");
  let chosen = classIndex;
  if (chosen === undefined) {
    chosen = 0;
    for (let i = 1; i < values.length; i++) if (values[i]! > values[chosen]!) chosen = i;
  }
  model.checkClass(chosen);
  const logit = values[chosen]!;
  if (mode === "sigmoid") return {classIndex: chosen, scoreValue: 1 / (1 + Math.exp(-logit))};
  if (mode === "softmax") {
    const top = Math.max(...values);
    const total = values.reduce((sum, v) => sum + Math.exp(v - top), 0);
    return {classIndex: chosen, scoreValue: Math.exp(logit - top) / total};
  }
  return {classIndex: chosen, scoreValue: logit};
}

/** The target from a forward pass of its own over the run's image (methods with no other pass first). */
export async function targetOfImage(context: ExplainContext, classIndex: number | undefined): Promise<Target> {
  const logits = context.model.logits(context.pixels);
  try {
    return await targetFromLogits(context.model, logits, classIndex, context.scoreMode);
  } finally {
    logits.dispose();
  }
}

/** The target a probe chose in-graph ("top" or a given class): its class and score tensors read back. */
export async function targetOfProbe(classes: tf.Tensor1D, scores: tf.Tensor1D): Promise<Target> {
  const [classValues, scoreValues] = await Promise.all([classes.data(), scores.data()]);
  assertModelFinite(scoreValues, "class score");
  return {classIndex: classValues[0]!, scoreValue: scoreValues[0]!};
}
