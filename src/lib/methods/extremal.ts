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
import {blurPyramid, perturbed, smoothMask} from "../explain/smooth-mask.js";
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
    const size = generator.fullHeight * generator.fullWidth;
    const reference = context.hold(tf.tensor1d(Float32Array.from({length: size}, (_, i) => (i < Math.floor(size * (1 - area)) ? 0 : 1))));
    let p = context.hold(tf.ones([generator.gridHeight, generator.gridWidth]) as tf.Tensor2D);
    let velocity: tf.Tensor2D | null = null;
    const work = context.work(iterations, "iterations");
    const areas = new Float32Array(iterations);
    try {
      for (let t = 0, lambda = 300; t < iterations; t++, lambda *= 1.0035) {
        // The current mask's sort order, found here: a constant of the step (sort's gradient is a gather).
        const current = tf.tidy(() => generator.generate(p).full);
        const values = (await current.data()) as Float32Array;
        current.dispose();
        areas[t] = values.reduce((s, v) => s + v, 0) / size;
        const ascending = tf.tensor1d(
          Int32Array.from(values.keys()).sort((i, j) => values[i]! - values[j]!),
          "int32"
        );
        const [nextP, nextVelocity] = tf.tidy(() => {
          const energy = (q: tf.Tensor) => {
            const {image: kept, full} = generator.generate(q as tf.Tensor2D);
            const seen = perturbed(pyramid, variant === "preserve" ? kept : (tf.sub(1, kept) as tf.Tensor2D));
            const score = model.scores(t % 2 === 0 ? tf.reverse(seen, 2) : seen, target.classIndex, context.scoreMode).sum();
            const flat = full.reshape([size]);
            const regulariser = tf.mean(tf.square(tf.sub(tf.gather(flat, ascending), reference)));
            return tf.sub(tf.mul(regulariser, lambda), variant === "preserve" ? score : tf.neg(score)) as tf.Scalar;
          };
          const gradient = tf.grad(energy)(p) as tf.Tensor2D;
          // torch's SGD: the first step takes the gradient as is, later ones damp it.
          const v = velocity ? tf.add(tf.mul(velocity, MOMENTUM), tf.mul(gradient, 1 - MOMENTUM)) : gradient;
          return [tf.clipByValue(tf.sub(p, tf.mul(v, LEARNING_RATE)), 0, 1), v];
        });
        ascending.dispose();
        const previous = p;
        p = context.hold(nextP as tf.Tensor2D);
        previous.dispose();
        velocity?.dispose();
        velocity = nextVelocity as tf.Tensor2D;
        await yieldToEventLoop();
        work.advance(1);
      }
      const mask = context.hold(tf.tidy(() => generator.generate(p).image));
      const map = await finalMap(mask, image.width, image.height);
      return {
        map,
        target,
        layer: null,
        passes: {forward: iterations + 1, backward: iterations},
        intermediates: {areas, grid: [generator.gridHeight, generator.gridWidth]}
      };
    } finally {
      velocity?.dispose();
      generator.dispose();
    }
  }
});
