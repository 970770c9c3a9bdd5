/**
 * Turns generated samples into model inputs: float32 NHWC in [0, 1] (pixel / 255, the
 * preprocessing recorded in every model card), with optional light photometric augmentation.
 * Geometric augmentation is deliberately absent: the generators already vary position, scale
 * and rotation, and flips could change what some classes mean.
 */
import * as tf from "@tensorflow/tfjs";
import type {Sample} from "../datasets/types.js";
import type {Random} from "../../src/lib/random.js";

export interface Batch {
  /** [N, H, W, 3] float32 in [0, 1]. */
  pixels: Float32Array;
  labels: Int32Array;
  /** Multi-label sets only: [N, classes] multi-hot (1 = class present), row-major. */
  targets?: Float32Array;
  shape: [number, number, number, number];
}

/** `multiLabelClasses`: the class count of a multi-label set, to fill `targets` from each sample's labels. */
export function samplesToBatch(samples: readonly Sample[], augment?: Random, multiLabelClasses?: number): Batch {
  if (samples.length === 0) throw new Error("empty batch");
  const {width, height} = samples[0]!;
  const perImage = width * height * 3;
  const pixels = new Float32Array(samples.length * perImage);
  const labels = new Int32Array(samples.length);
  samples.forEach((sample, n) => {
    if (sample.width !== width || sample.height !== height) throw new Error("mixed image sizes in one batch");
    labels[n] = sample.label;
    // Brightness/contrast jitter of a few percent: robustness without changing the label.
    const gain = augment ? augment.uniform(0.9, 1.1) : 1;
    const offset = augment ? augment.uniform(-0.05, 0.05) : 0;
    const base = n * perImage;
    for (let i = 0; i < perImage; i++) {
      const value = (sample.rgb[i]! / 255) * gain + offset;
      pixels[base + i] = augment ? Math.min(1, Math.max(0, value)) : value;
    }
  });
  const batch: Batch = {pixels, labels, shape: [samples.length, height, width, 3]};
  if (multiLabelClasses !== undefined) {
    const targets = new Float32Array(samples.length * multiLabelClasses);
    samples.forEach((sample, n) => {
      for (const c of sample.labels ?? [sample.label]) {
        if (!Number.isInteger(c) || c < 0 || c >= multiLabelClasses) throw new Error(`label ${c} outside 0..${multiLabelClasses - 1}`);
        targets[n * multiLabelClasses + c] = 1;
      }
    });
    batch.targets = targets;
  }
  return batch;
}

/** y: the multi-hot targets where the batch has them, else one-hot labels. */
export function batchToTensors(batch: Batch, classes: number): {x: tf.Tensor4D; y: tf.Tensor2D} {
  return tf.tidy(() => ({
    x: tf.tensor4d(batch.pixels, batch.shape),
    y: batch.targets ? tf.tensor2d(batch.targets, [batch.shape[0], classes]) : (tf.oneHot(tf.tensor1d(batch.labels, "int32"), classes).toFloat() as tf.Tensor2D)
  }));
}
