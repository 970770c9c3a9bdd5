/**
 * The Grad-CAM family on one shared pipeline: capture activations A and gradients G at one
 * layer (one forward + one backward pass), combine them into a [N,h,w] map with the method's
 * formula, ReLU at the layer's resolution, upsample to the image, min-max.
 * A new CAM method is its `combine` formula and nothing else.
 */
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../model/adapter.js";
import {assertFinite, explanationRecord, imageToPixels, recordableOptions, upsampleAndNormalize} from "./pipeline.js";
import {AbortedError} from "./progress.js";
import type {CommonOptions, Explanation, Method, RgbImage} from "./types.js";

/** A, G: [N, h, w, k] → map before ReLU [N, h, w]. */
export type CamCombine = (activations: tf.Tensor4D, gradients: tf.Tensor4D) => tf.Tensor3D;

/** Σ_k w_k A_k for channel weights w [N, k]. */
export function weightedChannelSum(activations: tf.Tensor4D, weights: tf.Tensor2D): tf.Tensor3D {
  return tf.tidy(() => {
    const [n, , , k] = activations.shape;
    return tf.sum(tf.mul(activations, weights.reshape([n, 1, 1, k])), 3) as tf.Tensor3D;
  });
}

export function defineCam(spec: {name: string; title: string; combine: CamCombine}): Method<CommonOptions> {
  return {
    name: spec.name,
    title: spec.title,
    defaultScore: "logit",
    async explain(model: ExplainableModel, image: RgbImage, options: CommonOptions = {}): Promise<Explanation> {
      const startedAt = performance.now();
      if (options.signal?.aborted) throw new AbortedError();
      const layer = options.layer ?? model.defaultCamLayer;
      model.camNode(layer);
      const scoreMode = options.score ?? "logit";
      const pixels = imageToPixels(model, image);
      const held: tf.Tensor[] = [pixels];
      try {
        // One forward and one backward pass; the top class (if none given) is chosen in-graph.
        const probe = model.probe(pixels, {layers: [layer], classIndex: options.classIndex ?? "top", score: scoreMode});
        held.push(probe.logits, probe.scores!, probe.classes!, ...probe.activations, ...probe.gradients!);
        const normalized = tf.tidy(() => {
          const combined = spec.combine(probe.activations[0]!, probe.gradients![0]!);
          return upsampleAndNormalize(tf.relu(combined.squeeze([0])) as tf.Tensor2D, image.width, image.height);
        });
        held.push(normalized);
        // Score, class and map in one wait (one sync on GPU backends).
        const [scoreValues, classValues, mapValues] = await Promise.all([probe.scores!.data(), probe.classes!.data(), normalized.data()]);
        assertFinite(scoreValues, "class score");
        assertFinite(mapValues, "saliency map");
        const target = {classIndex: classValues[0]!, scoreValue: scoreValues[0]!};
        const map = {width: image.width, height: image.height, data: Float32Array.from(mapValues)};
        return explanationRecord({
          method: spec.name,
          model,
          map,
          classIndex: target.classIndex,
          scoreMode,
          scoreValue: target.scoreValue,
          layer,
          options: recordableOptions({...options, layer, score: scoreMode}),
          startedAt,
          passes: {forward: 1, backward: 1}
        });
      } finally {
        tf.dispose(held);
      }
    }
  };
}
