/**
 * A PassExecutor whose forward-only passes run on ONNX Runtime: the masked inputs of SISE,
 * Ada-SISE, RISE and Score-CAM, and any other `scoreBatch`. Gradient passes (`probeBatch`) stay
 * on tfjs — ONNX Runtime's CPU package has no backward pass — either through a given executor
 * (a worker pool) or in this thread. The class score is taken from the logits with the engine's
 * own score function (src/lib/model/score.ts), so only the logits differ from a tfjs run, by
 * float rounding.
 *
 * Runs go to the session one at a time, and the batches that arrive while one runs go in
 * together as the next run (up to MERGED_RUN_IMAGES images): a method's batches are sized for
 * tfjs's memory (6 images on ResNet-50 at 224²), where ONNX Runtime is faster per image on
 * larger ones (results/README.md). Meanwhile this thread makes the next batches' masks. ONNX
 * Runtime gives each image the same logits bit for bit whatever batch it runs in
 * (test/onnx.test.ts), so merging changes no result.
 */
import * as tf from "@tensorflow/tfjs";
import {probeBatchOn} from "../../src/lib/explain/executor.js";
import {defaultBatchSize} from "../../src/lib/explain/params.js";
import {AbortedError} from "../../src/lib/explain/progress.js";
import type {PassExecutor} from "../../src/lib/explain/types.js";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {classScores, type ScoreMode} from "../../src/lib/model/score.js";
import type {ForwardEngine} from "./engine.js";

/** Images in one merged ONNX Runtime run at most (ResNet-50, 2 cores: 16–32 images run ~13% faster per image than 6). */
export const MERGED_RUN_IMAGES = 24;

interface Waiting {
  pixels: Float32Array;
  count: number;
  signal: AbortSignal | undefined;
  resolve: (logits: Float32Array) => void;
  reject: (error: Error) => void;
}

/** Forward runs one at a time; batches waiting when a run ends go in together as the next. */
export class MergingForward {
  private readonly waiting: Waiting[] = [];
  private running = false;

  constructor(
    private readonly engine: ForwardEngine,
    private readonly valuesPerImage: number,
    private readonly maxImages = MERGED_RUN_IMAGES
  ) {}

  /** Logits [count, classes] of `count` images, from a run of their own or one shared with other waiting batches. */
  forward(pixels: Float32Array, count: number, signal?: AbortSignal): Promise<Float32Array> {
    if (pixels.length !== count * this.valuesPerImage) {
      return Promise.reject(new Error(`a batch of ${count} images needs ${count * this.valuesPerImage} values, got ${pixels.length}`));
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({pixels, count, signal, resolve, reject});
      this.next();
    });
  }

  private next(): void {
    if (this.running) return;
    // Batches of a cancelled run that have not started are dropped, so cancelling waits for one run at most.
    for (const cancelled of this.waiting.filter((w) => w.signal?.aborted)) {
      this.waiting.splice(this.waiting.indexOf(cancelled), 1);
      cancelled.reject(new AbortedError());
    }
    if (this.waiting.length === 0) return;
    const taken = [this.waiting.shift()!];
    let images = taken[0]!.count;
    while (this.waiting.length > 0 && images + this.waiting[0]!.count <= this.maxImages) {
      images += this.waiting[0]!.count;
      taken.push(this.waiting.shift()!);
    }
    this.running = true;
    void this.run(taken, images);
  }

  private async run(taken: Waiting[], images: number): Promise<void> {
    try {
      const input = taken.length === 1 ? taken[0]!.pixels : new Float32Array(images * this.valuesPerImage);
      if (taken.length > 1) {
        let offset = 0;
        for (const batch of taken) {
          input.set(batch.pixels, offset);
          offset += batch.pixels.length;
        }
      }
      const logits = await this.engine.forward(input, images);
      const classes = logits.length / images;
      let first = 0;
      for (const batch of taken) {
        batch.resolve(logits.slice(first * classes, (first + batch.count) * classes));
        first += batch.count;
      }
    } catch (error) {
      for (const batch of taken) batch.reject(error as Error);
    } finally {
      this.running = false;
      this.next();
    }
  }
}

export function onnxPassExecutor(model: ExplainableModel, engine: ForwardEngine, gradients?: PassExecutor): PassExecutor {
  if (engine.engine !== "onnx") throw new Error(`onnxPassExecutor needs an ONNX Runtime engine, got ${engine.description}`);
  const runs = new MergingForward(engine, model.inputHeight * model.inputWidth * 3);
  return {
    // Enough batches in flight that a merged run's worth waits while one runs (at least two: one in the session, one being made).
    concurrency: Math.max(2, 2 * Math.ceil(MERGED_RUN_IMAGES / defaultBatchSize(model, "forward"))),
    async scoreBatch(pixels: Float32Array, count: number, classIndex: number, mode: ScoreMode, signal?: AbortSignal): Promise<Float32Array> {
      signal?.throwIfAborted();
      const logits = await runs.forward(pixels, count, signal);
      const scores = tf.tidy(() => classScores(tf.tensor2d(logits, [count, engine.numClasses]), model.checkClass(classIndex), mode));
      try {
        return Float32Array.from(await scores.data());
      } finally {
        scores.dispose();
      }
    },
    probeBatch(pixels, count, request, signal) {
      if (gradients) return gradients.probeBatch(pixels, count, request, signal);
      signal?.throwIfAborted();
      return probeBatchOn(model, pixels, count, request);
    }
  };
}
