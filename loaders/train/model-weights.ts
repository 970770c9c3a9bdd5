/** Writing a whole model's weights from plain arrays (the trainer's copy catching up with its workers). */
import * as tf from "@tensorflow/tfjs";

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
