/**
 * The model's bare pass times: a forward of a batch of B images, and forward + backward (the
 * gradient of the summed class logits w.r.t. the pixels, as the gradient methods take it), per
 * image, median of a few repetitions (fewer for large batches) after one untimed run at that shape.
 */
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {median} from "./aggregate.js";
import type {PassKind} from "./pass-cost.js";

export interface BarePassOptions {
  /** Content for the batch (model input size, pixel space 0..255); repeated B times. */
  image: Float32Array;
  classIndex: number;
  repetitions?: number;
  /** Skip the untimed first run (the shape was run just before, e.g. for the previous image). */
  warm?: boolean;
}

async function runOnce(model: ExplainableModel, kind: PassKind, pixels: tf.Tensor4D, classIndex: number): Promise<number> {
  const start = performance.now();
  const out = kind === "forward" ? model.logits(pixels) : tf.grad((p: tf.Tensor) => tf.sum(model.scores(p as tf.Tensor4D, classIndex, "logit")))(pixels);
  await out.data();
  const ms = performance.now() - start;
  out.dispose();
  return ms;
}

/** Per-image milliseconds of one pass kind at batch size `batch`. */
export async function measureBarePass(model: ExplainableModel, kind: PassKind, batch: number, options: BarePassOptions): Promise<number> {
  const {image, classIndex} = options;
  // Large batches average over many images already; fewer repetitions keep the bench short.
  const repetitions = options.repetitions ?? (batch >= 128 ? 1 : batch >= 32 ? 2 : 3);
  const size = model.inputHeight * model.inputWidth * 3;
  if (image.length !== size) throw new Error(`bare-pass image has ${image.length} values, the model takes ${size}`);
  const data = new Float32Array(batch * size);
  for (let b = 0; b < batch; b++) data.set(image, b * size);
  const pixels = tf.tensor4d(data, [batch, model.inputHeight, model.inputWidth, 3]);
  try {
    if (!options.warm) await runOnce(model, kind, pixels, classIndex); // untimed: allocations at this shape
    const times: number[] = [];
    for (let r = 0; r < repetitions; r++) times.push(await runOnce(model, kind, pixels, classIndex));
    return median(times) / batch;
  } finally {
    pixels.dispose();
  }
}
