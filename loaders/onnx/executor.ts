/**
 * A PassExecutor whose forward-only passes run on ONNX Runtime: the masked inputs of SISE,
 * Ada-SISE, RISE and Score-CAM, and any other `scoreBatch`. Gradient passes (`probeBatch`) stay
 * on tfjs — ONNX Runtime's CPU package has no backward pass — either through a given executor
 * (a worker pool) or in this thread. The class score is taken from the logits with the engine's
 * own score function (src/lib/model/score.ts), so only the logits differ from a tfjs run, by
 * float rounding.
 */
import * as tf from "@tensorflow/tfjs";
import {probeBatchOn} from "../../src/lib/explain/executor.js";
import type {PassExecutor} from "../../src/lib/explain/types.js";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {classScores, type ScoreMode} from "../../src/lib/model/score.js";
import type {ForwardEngine} from "./engine.js";

/**
 * Batches in flight: ONNX Runtime runs a session call off the main thread, so while one batch is
 * in the session the next one's masked images are made here.
 */
const ONNX_CONCURRENCY = 2;

export function onnxPassExecutor(model: ExplainableModel, engine: ForwardEngine, gradients?: PassExecutor): PassExecutor {
  if (engine.engine !== "onnx") throw new Error(`onnxPassExecutor needs an ONNX Runtime engine, got ${engine.description}`);
  return {
    concurrency: ONNX_CONCURRENCY,
    async scoreBatch(pixels: Float32Array, count: number, classIndex: number, mode: ScoreMode, signal?: AbortSignal): Promise<Float32Array> {
      signal?.throwIfAborted();
      const logits = await engine.forward(pixels, count);
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
