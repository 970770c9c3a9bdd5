/**
 * Integrated Grad-CAM (algorithms.md): along the path x_j = x' + (j/m)(x − x') from a pixel-space
 * baseline, w_kj = mean_uv ∂y_c(x_j)/∂A_k(x_j) and
 * - "paper" (default): j = 1..m, L_j = ReLU(Σ_k w_kj·(A_k(x_j) − A_k(x'))), E = Up(Σ_j L_j);
 * - "code" (authors' code): j = 0..m−1, A(x') = 0, L_j = ReLU(Σ_k w_kj·A_k(x_j));
 * - "integrated-weights" (unconfirmed reading): E = Up(ReLU(Σ_k (A_k(x) − A_k(x'))·(1/m)Σ_j w_kj)).
 * Then minmax. Path points go through the network in batches, one backward pass per batch.
 */
import * as tf from "@tensorflow/tfjs";
import {BASELINES, makeBaseline, type BaselineName} from "./baselines.js";
import {weightedChannelSum} from "./cam.js";
import {runInOrder} from "./executor.js";
import {batchSizeOption, checkChoiceOption, checkIntegerOption} from "./options.js";
import {assertFinite, explanationRecord, imageToPixels, readMap, recordableOptions, upsampleAndNormalize} from "./pipeline.js";
import {AbortedError, WorkTracker, yieldToEventLoop} from "./progress.js";
import {targetFromLogits} from "./pipeline.js";
import type {CommonOptions, Explanation, Method} from "./types.js";

export const IGCAM_VARIANTS = ["paper", "code", "integrated-weights"] as const;
export type IntegratedGradCamVariant = (typeof IGCAM_VARIANTS)[number];

export interface IntegratedGradCamOptions extends CommonOptions {
  /** Path steps m (1–256, default 32; the authors used 50). */
  steps?: number;
  /** Baseline x' in pixel space (default black). */
  baseline?: BaselineName;
  variant?: IntegratedGradCamVariant;
}

/** Path fractions j/m: j = 1..m, or j = 0..m−1 for the authors' code. */
export function pathFractions(steps: number, variant: IntegratedGradCamVariant): Float32Array {
  const first = variant === "code" ? 0 : 1;
  return Float32Array.from({length: steps}, (_, i) => (first + i) / steps);
}

export const integratedGradCam: Method<IntegratedGradCamOptions> = {
  name: "igcam",
  title: "Integrated Grad-CAM",
  defaultScore: "logit",
  async explain(model, image, options = {}): Promise<Explanation> {
    const startedAt = performance.now();
    const steps = checkIntegerOption("steps", options.steps ?? 32, 1, 256);
    const baselineKind = checkChoiceOption("baseline", options.baseline ?? "black", BASELINES);
    const variant = checkChoiceOption("variant", options.variant ?? "paper", IGCAM_VARIANTS);
    const seed = checkIntegerOption("seed", options.seed ?? 0, 0, 2 ** 32 - 1);
    const layer = options.layer ?? model.defaultCamLayer;
    model.camNode(layer);
    const batchSize = batchSizeOption(model, options.batchSize, "backward");
    const scoreMode = options.score ?? "logit";
    if (options.signal?.aborted) throw new AbortedError();
    const pixels = imageToPixels(model, image);
    const baseline = makeBaseline(pixels, baselineKind, seed);
    const held: tf.Tensor[] = [pixels, baseline];
    try {
      // One forward pass over x (and x' when the variant needs A(x')): the class, A(x), A(x').
      const needsBaseline = variant !== "code";
      const anchorPixels = needsBaseline ? tf.concat([pixels, baseline]) : pixels;
      const anchors = model.probe(anchorPixels as tf.Tensor4D, {layers: [layer]});
      held.push(anchorPixels, anchors.logits, ...anchors.activations);
      const target = await targetFromLogits(model, anchors.logits, options.classIndex, scoreMode);
      const [, h, w, k] = anchors.activations[0]!.shape;
      const baselineActivations = needsBaseline ? anchors.activations[0]!.slice([1, 0, 0, 0], [1, h, w, k]) : null;
      const difference = needsBaseline
        ? tf.tidy(() => tf.sub(anchors.activations[0]!.slice([0, 0, 0, 0], [1, h, w, k]), baselineActivations!))
        : null;
      if (baselineActivations) held.push(baselineActivations, difference!);

      const fractions = pathFractions(steps, variant);
      const stepMaps: Float32Array[] = [];
      const pathScores = new Float32Array(steps);
      const work = new WorkTracker(steps, options.signal, options.onProgress, "path steps");
      const pathPoints = (first: number, count: number) =>
        tf.tidy(() => {
          const alphas = tf.tensor4d(fractions.subarray(first, first + count), [count, 1, 1, 1]);
          return tf.add(baseline, tf.mul(alphas, tf.sub(pixels, baseline))) as tf.Tensor4D;
        });
      const stepMapsOf = (activations: tf.Tensor4D, gradients: tf.Tensor4D): tf.Tensor => {
        const weights = tf.mean(gradients, [1, 2]) as tf.Tensor2D; // w_kj [count, K]
        if (variant === "paper") return tf.relu(weightedChannelSum(tf.sub(activations, baselineActivations!) as tf.Tensor4D, weights));
        if (variant === "code") return tf.relu(weightedChannelSum(activations, weights));
        // Σ_k w_kj·(A_k(x) − A_k(x')), signed: the ReLU comes after the average over j.
        return tf.matMul(weights, difference!.reshape([h * w, k]), false, true);
      };
      const recordSteps = async (first: number, count: number, mapValues: Float32Array, scoreValues: Float32Array) => {
        assertFinite(scoreValues, "class score");
        assertFinite(mapValues, "path step map");
        pathScores.set(scoreValues, first);
        for (let j = 0; j < count; j++) stepMaps.push(Float32Array.from(mapValues.subarray(j * h * w, (j + 1) * h * w)));
        await yieldToEventLoop();
        work.advance(count);
      };
      const executor = options.executor;
      if (executor) {
        // Path batches are independent: several in flight, step maps recorded in path order.
        await runInOrder({
          count: Math.ceil(steps / batchSize),
          concurrency: executor.concurrency,
          start: async (batch) => {
            const first = batch * batchSize;
            const count = Math.min(batchSize, steps - first);
            const points = pathPoints(first, count);
            const values = (await points.data()) as Float32Array;
            points.dispose();
            const probe = await executor.probeBatch(values, count, {layers: [layer], classIndex: target.classIndex, score: scoreMode}, work.signal);
            return {first, count, probe};
          },
          consume: async ({first, count, probe}) => {
            const maps = tf.tidy(() => {
              const shape = probe.shapes[0] as [number, number, number, number];
              return stepMapsOf(tf.tensor4d(probe.activations[0]!, shape), tf.tensor4d(probe.gradients[0]!, shape));
            });
            const mapValues = (await maps.data()) as Float32Array;
            maps.dispose();
            await recordSteps(first, count, mapValues, probe.scores);
          }
        });
      } else {
        for (let first = 0; first < steps; first += batchSize) {
          const count = Math.min(batchSize, steps - first);
          const [maps, scores] = tf.tidy(() => {
            const probe = model.probe(pathPoints(first, count), {layers: [layer], classIndex: target.classIndex, score: scoreMode});
            return [stepMapsOf(probe.activations[0]!, probe.gradients![0]!), probe.scores!];
          });
          const [mapValues, scoreValues] = await Promise.all([maps!.data(), scores!.data()]);
          tf.dispose([maps!, scores!]);
          await recordSteps(first, count, mapValues as Float32Array, scoreValues as Float32Array);
        }
      }

      const running = new Float64Array(h * w);
      const cumulative = stepMaps.map((stepMap) => {
        for (let i = 0; i < running.length; i++) running[i] += stepMap[i]!;
        return Float32Array.from(running);
      });
      const sum = cumulative[cumulative.length - 1]!;
      const lowRes = variant === "integrated-weights" ? sum.map((v) => Math.max(0, v / steps)) : sum;
      const map = await readMap(tf.tidy(() => upsampleAndNormalize(tf.tensor2d(lowRes, [h, w]), image.width, image.height)));
      return explanationRecord({
        method: "igcam",
        model,
        map,
        classIndex: target.classIndex,
        scoreMode,
        scoreValue: target.scoreValue,
        layer,
        options: recordableOptions({...options, layer, steps, baseline: baselineKind, variant, seed, batchSize, score: scoreMode}),
        startedAt,
        passes: {forward: steps + (needsBaseline ? 2 : 1), backward: steps},
        intermediates: {variant, width: w, height: h, fractions, pathScores, stepMaps, cumulative, sum, lowRes}
      });
    } finally {
      tf.dispose(held);
    }
  }
};
