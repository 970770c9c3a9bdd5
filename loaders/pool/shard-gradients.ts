/**
 * The worker's half of a data-parallel training step: loss and gradients of one shard of the
 * batch (same loss as loaders/train/trainer.ts: softmax cross-entropy, mean over the samples,
 * `training: true`), and later the averaged weights it is told to adopt.
 */
import * as tf from "@tensorflow/tfjs";
import type {ShardGradients, TrainingShard} from "./protocol.js";

export async function shardGradients(model: tf.LayersModel, shard: TrainingShard): Promise<ShardGradients> {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const x = tf.tensor4d(shard.pixels, shard.shape);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(shard.labels, "int32"), shard.classes).toFloat());
  let logits: tf.Tensor | null = null;
  try {
    const {value, grads} = tf.variableGrads(() => {
      const out = model.apply(x, {training: true}) as tf.Tensor;
      logits = tf.keep(out);
      return tf.losses.softmaxCrossEntropy(y, out) as tf.Scalar;
    }, variables);
    const correct = tf.tidy(() => tf.sum(tf.equal(tf.argMax(logits!, -1), tf.argMax(y, -1)).toFloat()));
    const ordered = variables.map((v) => grads[v.name]!);
    const [loss, right, ...values] = await Promise.all([value.data(), correct.data(), ...ordered.map((g) => g.data())]);
    const state = await Promise.all(model.nonTrainableWeights.map((w) => w.read().data()));
    tf.dispose([value, correct, ...Object.values(grads)]);
    return {
      loss: loss[0]!,
      correct: right[0]!,
      gradients: values.map((v) => Float32Array.from(v)),
      state: state.map((v) => Float32Array.from(v))
    };
  } finally {
    tf.dispose([x, y]);
    if (logits) (logits as tf.Tensor).dispose();
  }
}

/** Adopts weights in `model.weights` order (trainable and not). */
export function setModelWeights(model: tf.LayersModel, weights: readonly Float32Array[]): void {
  const specs = model.weights;
  if (weights.length !== specs.length) throw new Error(`expected ${specs.length} weight arrays, got ${weights.length}`);
  const tensors = specs.map((w, i) => tf.tensor(weights[i]!, w.shape as number[]));
  try {
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}
