/**
 * Integrated Gradients in pixel space: IG = (x − x')·(1/m)Σ_{k=1..m} ∂y_c(x' + (k/m)(x − x'))/∂x
 * (right Riemann sum), reduced over colour channels (sum of |·| by default), then minmax.
 * Path points go through the network in batches: one backward pass per batch.
 */
import * as tf from "@tensorflow/tfjs";
import {BASELINES, makeBaseline, type BaselineName} from "./baselines.js";
import {explanationRecord, imageToPixels, minmaxTensor, readMap, recordableOptions, resolveTarget} from "./pipeline.js";
import {WorkTracker, yieldToEventLoop} from "./progress.js";
import {batchSizeOption, checkChoiceOption, checkIntegerOption} from "./options.js";
import type {CommonOptions, Explanation, Method} from "./types.js";

export interface IntegratedGradientsOptions extends CommonOptions {
  /** Path steps m (1–1024). */
  steps?: number;
  baseline?: BaselineName;
  /** How colour channels are reduced to one value per pixel. */
  reduce?: "abs-sum" | "sum";
}

export const integratedGradients: Method<IntegratedGradientsOptions> = {
  name: "ig",
  title: "Integrated Gradients",
  defaultScore: "logit",
  async explain(model, image, options = {}): Promise<Explanation> {
    const startedAt = performance.now();
    const steps = checkIntegerOption("steps", options.steps ?? 32, 1, 1024);
    const batchSize = batchSizeOption(model, options.batchSize, "backward");
    const baselineKind = checkChoiceOption("baseline", options.baseline ?? "black", BASELINES);
    const reduce = options.reduce ?? "abs-sum";
    const scoreMode = options.score ?? "logit";
    const work = new WorkTracker(steps, options.signal, options.onProgress, "path steps");
    const pixels = imageToPixels(model, image);
    const baseline = makeBaseline(pixels, baselineKind, options.seed ?? 0);
    const difference = tf.sub(pixels, baseline) as tf.Tensor4D;
    let gradientSum: tf.Tensor4D = tf.zerosLike(pixels);
    try {
      const target = await resolveTarget(model, pixels, options.classIndex, scoreMode);
      for (let first = 1; first <= steps; first += batchSize) {
        const count = Math.min(batchSize, steps - first + 1);
        const batchGradientSum = tf.tidy(() => {
          const alphas = tf.range(first, first + count).div(steps).reshape([count, 1, 1, 1]);
          const points = tf.add(baseline, tf.mul(alphas, difference)) as tf.Tensor4D;
          const probe = model.probe(points, {layers: [], classIndex: target.classIndex, score: scoreMode, inputGradient: true});
          return tf.sum(probe.inputGradient!, 0, true) as tf.Tensor4D;
        });
        const next = tf.add(gradientSum, batchGradientSum) as tf.Tensor4D;
        tf.dispose([gradientSum, batchGradientSum]);
        gradientSum = next;
        await yieldToEventLoop();
        work.advance(count);
      }
      const pixelMap = tf.tidy(() => {
        const attribution = tf.mul(difference, tf.div(gradientSum, steps)).squeeze([0]) as tf.Tensor3D;
        const perPixel = reduce === "abs-sum" ? tf.sum(tf.abs(attribution), 2) : tf.sum(attribution, 2);
        const [h, w] = perPixel.shape;
        const atImageSize =
          h === image.height && w === image.width
            ? perPixel
            : tf.image.resizeBilinear(perPixel.reshape([1, h, w, 1]) as tf.Tensor4D, [image.height, image.width], false, true).reshape([image.height, image.width]);
        const nonNegative = reduce === "abs-sum" ? atImageSize : tf.relu(atImageSize);
        return minmaxTensor(nonNegative as tf.Tensor2D);
      });
      const map = await readMap(pixelMap);
      return explanationRecord({
        method: "ig",
        model,
        map,
        classIndex: target.classIndex,
        scoreMode,
        scoreValue: target.scoreValue,
        layer: null,
        options: recordableOptions({...options, steps, baseline: baselineKind, reduce, score: scoreMode, batchSize}),
        startedAt,
        passes: {forward: steps + 1, backward: steps}
      });
    } finally {
      tf.dispose([pixels, baseline, difference, gradientSum]);
    }
  }
};
