/**
 * How fast a model runs on the current backend, and what the pages do with it: the automatic
 * backend choice keeps the fastest candidate by a short probe of the loaded model, and every run
 * sizes its batches so that progress moves (and Cancel takes effect) several times a second even
 * on a slow backend. No DOM here: the logic is unit-tested in Node.
 */
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../lib/model/adapter.js";
import {defaultBatchSize} from "../lib/explain/params.js";
import {getMethod} from "../lib/methods/registry.js";

/** One image through the model on one backend, after a warm-up pass (shader compilation, weight upload). */
export interface ProbeTiming {
  backend: string;
  /** Forward pass of one image, milliseconds. */
  forwardMs: number;
  /** Forward + backward pass (gradient down to the pixels) of one image, milliseconds. */
  backwardMs: number;
  /** The warm-up pass (forward + backward), milliseconds: what the first run on this backend pays once. */
  warmupMs: number;
}

/** Work a batch should take, so that progress and Cancel respond several times a second. */
export const BATCH_TARGET_MS = 150;

const grey = (height: number, width: number) => tf.fill([1, height, width, 3], 128) as tf.Tensor4D;

async function forwardOnce(model: ExplainableModel, pixels: tf.Tensor4D): Promise<void> {
  const logits = model.logits(pixels);
  try {
    await logits.data();
  } finally {
    logits.dispose();
  }
}

async function backwardOnce(model: ExplainableModel, pixels: tf.Tensor4D): Promise<void> {
  const result = model.probe(pixels, {layers: [], classIndex: 0, inputGradient: true});
  try {
    await result.inputGradient!.data();
  } finally {
    tf.dispose([result.logits, result.scores!, result.classes!, ...result.activations, ...(result.gradients ?? []), result.inputGradient!]);
  }
}

/** Times one forward and one forward + backward pass of a grey image on the current backend (after one warm-up). */
export async function timeModel(model: ExplainableModel): Promise<ProbeTiming> {
  const pixels = grey(model.inputHeight, model.inputWidth);
  try {
    const warm = performance.now();
    await backwardOnce(model, pixels);
    const warmupMs = performance.now() - warm;
    const t0 = performance.now();
    await forwardOnce(model, pixels);
    const t1 = performance.now();
    await backwardOnce(model, pixels);
    const t2 = performance.now();
    return {backend: tf.getBackend(), forwardMs: t1 - t0, backwardMs: t2 - t1, warmupMs};
  } finally {
    pixels.dispose();
  }
}

/** The fastest timing by forward + backward time (what a typical explanation costs); null for none. */
export function fastest(timings: readonly ProbeTiming[]): ProbeTiming | null {
  let best: ProbeTiming | null = null;
  for (const t of timings) if (!best || t.forwardMs + t.backwardMs < best.forwardMs + best.backwardMs) best = t;
  return best;
}

/**
 * Images per batch for a pass so that one batch takes about BATCH_TARGET_MS, from the time one
 * image takes: never above the engine's memory-based default, never below 1. A batch of n costs
 * at most n single passes, so the batch is at or under the target.
 */
export function pacedBatchSize(msPerImage: number, memoryCap: number): number {
  if (!(msPerImage > 0) || !Number.isFinite(msPerImage)) return memoryCap;
  return Math.max(1, Math.min(memoryCap, Math.floor(BATCH_TARGET_MS / msPerImage)));
}

/** `{batchSize}` for a method that takes one (sized by `timing`), or {} for one that does not. */
export function pacedOptions(method: string, model: ExplainableModel, timing: ProbeTiming | null): {batchSize?: number} {
  const spec = Object.values(getMethod(method).params).find((p) => p.kind === "batch");
  if (!spec || spec.kind !== "batch" || !timing) return {};
  const perImage = spec.pass === "forward" ? timing.forwardMs : timing.backwardMs;
  return {batchSize: pacedBatchSize(perImage, defaultBatchSize(model, spec.pass))};
}
