/**
 * Score-CAM: per channel H_k = minmax(Up(A_k)) (constant maps skipped), s_k = Ψ_c(I⊙H_k) in
 * batches, L = ReLU(Σ_k s_k·Up(A_k)), minmax. Up is linear, so Σ_k s_k·Up(A_k) = Up(Σ_k s_k·A_k):
 * the sum is taken at the layer's resolution and upsampled once.
 */
import * as tf from "@tensorflow/tfjs";
import {capture} from "../explain/capture.js";
import {channelMaskSource, nonConstantChannels} from "../explain/masks.js";
import {batchParam, classParam, layerParam, scoreParam} from "../explain/params.js";
import {defineMethod} from "../explain/pipeline.js";
import {scoreMasks} from "../explain/scoring.js";
import {targetFromLogits} from "../explain/target.js";
import {finalMap} from "../explain/upsample.js";

export const scoreCam = defineMethod({
  name: "scorecam",
  title: "Score-CAM",
  summary: "each channel's upsampled map as a mask, weighted by the masked image's score",
  defaultScore: "softmax",
  params: {classIndex: classParam, score: scoreParam("softmax"), layer: layerParam, batchSize: batchParam("forward")},
  async run(context, {classIndex, layer, batchSize}) {
    const {model, pixels, image} = context;
    const probe = capture(context, {layers: [layer]});
    const activations = probe.activations[0]!;
    const [target, varying] = await Promise.all([targetFromLogits(model, probe.logits, classIndex, context.scoreMode), nonConstantChannels(activations)]);
    const channels = varying.flatMap((ok, k) => (ok ? [k] : []));
    const {scores} = await scoreMasks(model, pixels, channelMaskSource(activations, channels, model.inputHeight, model.inputWidth), {
      classIndex: target.classIndex,
      score: context.scoreMode,
      batchSize,
      work: context.work(channels.length, "channels"),
      executor: context.executor
    });
    // Σ_k s_k·A_k over the scored channels (skipped channels weigh 0).
    const [, h, w, k] = activations.shape;
    const weights = new Float32Array(k);
    channels.forEach((c, i) => (weights[c] = scores[i]!));
    const combined = context.hold(tf.tidy(() => tf.matMul(activations.reshape([h * w, k]), tf.tensor2d(weights, [k, 1])).reshape([h, w]) as tf.Tensor2D));
    const map = await finalMap(combined, image.width, image.height, true);
    const skippedConstant = varying.flatMap((ok, c) => (ok ? [] : [c]));
    return {
      map,
      target,
      layer,
      passes: {forward: channels.length + 1, backward: 0},
      intermediates: {channels: varying.length, scoredChannels: channels, skippedConstant, scores}
    };
  }
});
