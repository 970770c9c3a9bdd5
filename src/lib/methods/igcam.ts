/**
 * Integrated Grad-CAM (algorithms.md): along the path x_j = x' + (j/m)(x − x') from a pixel-space
 * baseline, w_kj = mean_uv ∂y_c(x_j)/∂A_k(x_j) and
 * - "paper" (default): j = 1..m, L_j = ReLU(Σ_k w_kj·(A_k(x_j) − A_k(x'))), E = Up(Σ_j L_j);
 * - "code" (authors' code): j = 0..m−1, A(x') = 0, L_j = ReLU(Σ_k w_kj·A_k(x_j));
 * - "integrated-weights" (unconfirmed reading): E = Up(ReLU(Σ_k (A_k(x) − A_k(x'))·(1/m)Σ_j w_kj)).
 * Then minmax. Path points go through the network in batches, one backward pass per batch.
 */
import * as tf from "@tensorflow/tfjs";
import {baselineParam, makeBaseline, pathFractions, pathPoints, pathRecorder, runningSums} from "../explain/baselines.js";
import {capture} from "../explain/capture.js";
import {batchParam, choice, classParam, layerParam, scoreParam, seedParam} from "../explain/params.js";
import {defineMethod} from "../explain/pipeline.js";
import {runGradientBatches} from "../explain/scoring.js";
import {targetFromLogits} from "../explain/target.js";
import {finalMap} from "../explain/upsample.js";
import {meanGradients, weightedChannelSum} from "../explain/weights.js";

const IGCAM_VARIANTS = ["paper", "code", "integrated-weights"] as const;

export const integratedGradCam = defineMethod({
  name: "igcam",
  title: "Integrated Grad-CAM",
  summary: "Grad-CAM's gradient terms integrated along a path from a baseline",
  defaultScore: "logit",
  params: {
    classIndex: classParam,
    score: scoreParam("logit"),
    layer: layerParam,
    steps: {kind: "int", min: 1, max: 256, default: 32, help: "path steps m (the authors used 50)", slider: {max: 64}, quick: 8},
    baseline: baselineParam,
    variant: choice(IGCAM_VARIANTS, "paper", "paper (ΔA from the baseline), authors' code, or integrated weights", {
      labels: {paper: "paper (ΔA from the baseline)", code: "authors' code (j = 0…m−1, A(x′) = 0)", "integrated-weights": "integrated weights (unconfirmed)"}
    }),
    seed: seedParam,
    batchSize: batchParam("backward")
  },
  async run(context, {classIndex, layer, steps, baseline: baselineKind, variant, seed, batchSize}) {
    const {model, pixels, image} = context;
    const baseline = context.hold(makeBaseline(pixels, baselineKind, seed));
    // One forward pass over x (and x' when the variant needs A(x')): the class, A(x), A(x').
    const needsBaseline = variant !== "code";
    const anchors = capture(context, {layers: [layer]}, needsBaseline ? context.hold(tf.concat([pixels, baseline]) as tf.Tensor4D) : pixels);
    const target = await targetFromLogits(model, anchors.logits, classIndex, context.scoreMode);
    const [, h, w, k] = anchors.activations[0]!.shape;
    const [atImage, baselineActivations] = needsBaseline ? context.hold(tf.split(anchors.activations[0]!, 2)) : [null, null];
    const difference = needsBaseline ? context.hold(tf.sub(atImage!, baselineActivations!)) : null;

    const fractions = pathFractions(steps, variant === "code");
    const path = pathRecorder(steps, h * w);
    const pixelDifference = context.hold(tf.sub(pixels, baseline) as tf.Tensor4D);
    await runGradientBatches(model, context.executor, {
      count: steps,
      batchSize,
      inputs: (first, count) => pathPoints(baseline, pixelDifference, fractions, first, count),
      request: {layers: [layer], classIndex: target.classIndex, score: context.scoreMode},
      reduce: ({activations: [activations], gradients: [gradients]}) => {
        const weights = meanGradients(gradients!); // w_kj [count, K]
        if (variant === "paper") return tf.relu(weightedChannelSum(tf.sub(activations!, baselineActivations!) as tf.Tensor4D, weights));
        if (variant === "code") return tf.relu(weightedChannelSum(activations!, weights));
        // Σ_k w_kj·(A_k(x) − A_k(x')), signed: the ReLU comes after the average over j.
        return tf.matMul(weights, difference!.reshape([h * w, k]), false, true);
      },
      consume: path.consume,
      work: context.work(steps, "path steps")
    });

    const {stepMaps, pathScores} = path;
    const cumulative = runningSums(stepMaps);
    const sum = cumulative[cumulative.length - 1]!;
    const lowRes = variant === "integrated-weights" ? sum.map((v) => Math.max(0, v / steps)) : sum;
    const map = await finalMap(context.hold(tf.tensor2d(lowRes, [h, w])), image.width, image.height);
    const intermediates = {variant, width: w, height: h, fractions, pathScores, stepMaps, cumulative, sum, lowRes};
    return {map, target, layer, passes: {forward: steps + (needsBaseline ? 2 : 1), backward: steps}, intermediates};
  }
});
