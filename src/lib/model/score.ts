/** The class score an explanation is about: raw logit, softmax probability or sigmoid. */
import * as tf from "@tensorflow/tfjs";

export const SCORE_MODES = ["logit", "softmax", "sigmoid"] as const;
export type ScoreMode = (typeof SCORE_MODES)[number];

/** A fixed class, or each image's top prediction decided inside the same pass. */
export type ClassTarget = number | "top";

export function parseScoreMode(value: string): ScoreMode {
  if (!(SCORE_MODES as readonly string[]).includes(value)) {
    throw new Error(`unknown score "${value}": choose one of ${SCORE_MODES.join(", ")}`);
  }
  return value as ScoreMode;
}

export function activateLogits(logits: tf.Tensor, mode: ScoreMode): tf.Tensor {
  return mode === "softmax" ? tf.softmax(logits) : mode === "sigmoid" ? tf.sigmoid(logits) : logits;
}

/** Target class per row of `logits` [N, classes] → int32 [N]. */
export function targetClasses(logits: tf.Tensor, target: ClassTarget): tf.Tensor1D {
  return tf.tidy(() => (target === "top" ? (tf.argMax(logits, 1) as tf.Tensor1D) : tf.fill([logits.shape[0]!], target, "int32")));
}

/** Scores of the target class for each row of `logits` [N, classes] → [N]. Differentiable. */
export function classScores(logits: tf.Tensor, target: ClassTarget, mode: ScoreMode): tf.Tensor1D {
  return tf.tidy(() => {
    const activated = activateLogits(logits, mode);
    const oneHot = tf.cast(tf.oneHot(targetClasses(logits, target), logits.shape[1]!), "float32");
    return tf.sum(tf.mul(activated, oneHot), 1) as tf.Tensor1D;
  });
}
