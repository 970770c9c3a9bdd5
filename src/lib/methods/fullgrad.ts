/**
 * FullGrad (Srinivas & Fleuret 2019; algorithms.md): y_c = ∇_x y_c·x + Σ_l Σ_k (∇_{b_l} y_c)_k·b_{l,k}.
 * The map sums post-processed parts S = ψ(∇_x y_c ⊙ x) + Σ_l ψ(G_l ⊙ b_l) over the spatial bias
 * layers, ψ = |·|, min-max over the whole term, sum over channels, Up to the input size; then
 * minmax. One backward pass gives every G_l. (The authors resize with align_corners; we use Up.)
 */
import * as tf from "@tensorflow/tfjs";
import {biasLayers} from "../explain/biases.js";
import {capture} from "../explain/capture.js";
import {classParam, scoreParam} from "../explain/params.js";
import {defineMethod} from "../explain/pipeline.js";
import {targetOfProbe} from "../explain/target.js";
import {finalMap, minmaxTensor} from "../explain/upsample.js";

/** ψ(term) summed over channels and brought to height×width: [1, h, w, K] → [height, width]. */
function postProcessed(term: tf.Tensor, height: number, width: number): tf.Tensor2D {
  const perPixel = tf.sum(minmaxTensor(tf.abs(term)), 3, true) as tf.Tensor4D;
  const [, h, w] = perPixel.shape;
  const resized = h === height && w === width ? perPixel : tf.image.resizeBilinear(perPixel, [height, width], false, true);
  return resized.reshape([height, width]);
}

export const fullGrad = defineMethod({
  name: "fullgrad",
  title: "FullGrad",
  summary: "input-gradient term plus every layer's bias-gradient term, one backward pass",
  defaultScore: "logit",
  params: {classIndex: classParam, score: scoreParam("logit")},
  async run(context, {classIndex}) {
    const {model, pixels, image} = context;
    const layers = await biasLayers(model);
    const probe = capture(context, {layers: layers.map((l) => l.name), classIndex: classIndex ?? "top", inputGradient: true, anyShape: true});
    const target = await targetOfProbe(probe.classes!, probe.scores!);
    // Each layer's full term G_Z ⊙ b [1, ..., K]: the bias gradients' share of the score.
    const terms = context.hold(
      layers.map((layer, i) => tf.tidy(() => tf.mul(layer.preActivation(probe.gradients![i]!, probe.activations[i]!), tf.tensor1d(layer.bias))))
    );
    const inputTerm = context.hold(tf.mul(probe.inputGradient!, pixels));
    const saliency = context.hold(
      tf.tidy(() => {
        const parts = [inputTerm, ...terms.filter((_, i) => layers[i]!.spatial)].map((t) => postProcessed(t, model.inputHeight, model.inputWidth));
        return tf.addN(parts) as tf.Tensor2D;
      })
    );
    const sums = context.hold(tf.tidy(() => tf.stack([tf.sum(inputTerm), ...terms.map((t) => tf.sum(t))])));
    const [map, sumValues] = await Promise.all([finalMap(saliency, image.width, image.height), sums.data()]);
    // Completeness (exact for a piecewise-linear net whose preprocessing has no offset): input + biases = y_c.
    const completeness = {inputTerm: sumValues[0]!, biasTerms: Array.from(sumValues.subarray(1)).reduce((s, b) => s + b, 0), score: target.scoreValue};
    return {map, target, layer: null, passes: {forward: 1, backward: 1}, intermediates: {biasLayers: layers.map((l) => l.name), completeness}};
  }
});
