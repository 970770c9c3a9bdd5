/**
 * Extremal Perturbation (Fong, Patrick & Vedaldi 2019; TorchRay's defaults): the smooth mask m of
 * area a that maximises y_c of the image seen through it (preserve; delete: through 1 − m),
 * E = ±y_c − λ·mean((sort(m) − r_a)²), λ = 300·1.0035^t, SGD with momentum 0.9 (dampening 0.9),
 * learning rate 0.01, p clamped to [0, 1], every second step on the flipped image. The map is m.
 */
import * as tf from "@tensorflow/tfjs";
import {choice, classParam, scoreParam} from "../explain/params.js";
import {defineMethod} from "../explain/pipeline.js";
import {yieldToEventLoop} from "../explain/progress.js";
import {AreaConstraint, blurPyramid, MomentumSgd, perturbed, smoothMask} from "../explain/smooth-mask.js";
import {targetOfImage} from "../explain/target.js";
import {finalMap} from "../explain/upsample.js";

const [LEVELS, STEP, SIGMA, LEARNING_RATE, MOMENTUM] = [8, 7, 21, 0.01, 0.9];

export const extremalPerturbation = defineMethod({
  name: "extremal",
  title: "Extremal Perturbation",
  summary: "the smooth mask of a given area that keeps (or removes) the most of the class score",
  defaultScore: "logit",
  params: {
    classIndex: classParam,
    score: scoreParam("logit"),
    area: {
      kind: "number",
      min: 0,
      max: 1,
      exclusiveMin: true,
      default: 0.1,
      help: "target area a of the mask (a fraction)",
      slider: {min: 0.02, max: 0.5, step: 0.01}
    },
    iterations: {kind: "int", min: 1, max: 10_000, default: 800, help: "SGD iterations", slider: {min: 50, max: 1600, step: 50}, quick: 40},
    variant: choice(["preserve", "delete"], "preserve", "preservation game (keep the score) or deletion game (remove it)")
  },
  async run(context, {classIndex, area, iterations, variant}) {
    const {model, pixels, image} = context;
    const target = await targetOfImage(context, classIndex);
    const [height, width] = [model.inputHeight, model.inputWidth];
    const pyramid = context.hold(blurPyramid(pixels, LEVELS, (20 * Math.min(height, width)) / 224));
    const generator = smoothMask(height, width, STEP, SIGMA);
    const constraint = new AreaConstraint(generator.fullHeight * generator.fullWidth, area);
    const sgd = new MomentumSgd(tf.ones([generator.gridHeight, generator.gridWidth]), LEARNING_RATE, MOMENTUM);
    const work = context.work(iterations, "iterations");
    const areas = new Float32Array(iterations);
    try {
      for (let t = 0, lambda = 300; t < iterations; t++, lambda *= 1.0035) {
        areas[t] = await constraint.sortOrderOf(tf.tidy(() => generator.generate(sgd.p).full));
        sgd.step((q) => {
          const {image: kept, full} = generator.generate(q);
          const seen = perturbed(pyramid, variant === "preserve" ? kept : (tf.sub(1, kept) as tf.Tensor2D));
          const score = model.scores(t % 2 === 0 ? tf.reverse(seen, 2) : seen, target.classIndex, context.scoreMode).sum();
          return tf.sub(tf.mul(constraint.penalty(full), lambda), variant === "preserve" ? score : tf.neg(score)) as tf.Scalar;
        });
        await yieldToEventLoop();
        work.advance(1);
      }
      const map = await finalMap(context.hold(tf.tidy(() => generator.generate(sgd.p).image)), image.width, image.height);
      const intermediates = {areas, grid: [generator.gridHeight, generator.gridWidth]};
      return {map, target, layer: null, passes: {forward: iterations + 1, backward: iterations}, intermediates};
    } finally {
      for (const owner of [sgd, constraint, generator]) owner.dispose();
    }
  }
});
