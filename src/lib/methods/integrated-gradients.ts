/**
 * Integrated Gradients in pixel space: IG = (x − x')·(1/m)Σ_{k=1..m} ∂y_c(x' + (k/m)(x − x'))/∂x
 * (right Riemann sum), reduced over colour channels (sum of |·| by default), then minmax.
 */
import * as tf from "@tensorflow/tfjs";
import {baselineParam, makeBaseline, pathFractions, pathPoints} from "../explain/baselines.js";
import {batchParam, choice, classParam, scoreParam, seedParam} from "../explain/params.js";
import {defineMethod} from "../explain/pipeline.js";
import {runGradientBatches} from "../explain/scoring.js";
import {targetOfImage} from "../explain/target.js";
import {finalMap} from "../explain/upsample.js";

export const integratedGradients = defineMethod({
  name: "ig",
  title: "Integrated Gradients",
  summary: "path integral of the input gradient from a baseline image",
  defaultScore: "logit",
  params: {
    classIndex: classParam,
    score: scoreParam("logit"),
    steps: {kind: "int", min: 1, max: 1024, default: 32, help: "path steps m", slider: {max: 256}, quick: 8},
    baseline: baselineParam,
    reduce: choice(["abs-sum", "sum"], "abs-sum", "how colour channels become one value per pixel"),
    seed: seedParam,
    batchSize: batchParam("backward")
  },
  async run(context, {classIndex, steps, baseline: baselineKind, reduce, seed, batchSize}) {
    const {model, pixels, image} = context;
    const target = await targetOfImage(context, classIndex);
    const baseline = context.hold(makeBaseline(pixels, baselineKind, seed));
    const difference = context.hold(tf.sub(pixels, baseline) as tf.Tensor4D);
    const fractions = pathFractions(steps);
    let gradientSum = context.hold(tf.zerosLike(pixels));
    await runGradientBatches(model, undefined, {
      count: steps,
      batchSize,
      inputs: (first, count) => pathPoints(baseline, difference, fractions, first, count),
      request: {layers: [], classIndex: target.classIndex, score: context.scoreMode, inputGradient: true},
      reduce: ({inputGradient}) => tf.sum(inputGradient!, 0, true),
      consume: (_first, _count, batchSum) => {
        const previous = gradientSum;
        gradientSum = context.hold(tf.add(previous, batchSum) as tf.Tensor4D);
        previous.dispose();
      },
      work: context.work(steps, "path steps")
    });
    const perPixel = tf.tidy(() => {
      const attribution = tf.mul(difference, tf.div(gradientSum, steps)).squeeze([0]) as tf.Tensor3D;
      return (reduce === "abs-sum" ? tf.sum(tf.abs(attribution), 2) : tf.sum(attribution, 2)) as tf.Tensor2D;
    });
    const map = await finalMap(context.hold(perPixel), image.width, image.height, reduce === "sum");
    return {map, target, layer: null, passes: {forward: steps + 1, backward: steps}};
  }
});
