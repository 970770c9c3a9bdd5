/**
 * Score-CAM: per channel H_k = minmax(Up(A_k)) (constant maps skipped), s_k = Ψ_c(I⊙H_k) in
 * batches, L = ReLU(Σ_k s_k·Up(A_k)), minmax. Up is linear, so Σ_k s_k·Up(A_k) = Up(Σ_k s_k·A_k):
 * the sum is taken at the layer's resolution and upsampled once.
 */
import * as tf from "@tensorflow/tfjs";
import {channelMaskSource, nonConstantChannels} from "./masking.js";
import {batchSizeOption} from "./options.js";
import {explanationRecord, imageToPixels, minmaxTensor, readMap, recordableOptions} from "./pipeline.js";
import {AbortedError, WorkTracker} from "./progress.js";
import {scoreMasks} from "./scoring.js";
import {targetFromLogits} from "./pipeline.js";
import type {CommonOptions, Explanation, Method} from "./types.js";

export const scoreCam: Method<CommonOptions> = {
  name: "scorecam",
  title: "Score-CAM",
  defaultScore: "softmax",
  async explain(model, image, options = {}): Promise<Explanation> {
    const startedAt = performance.now();
    const layer = options.layer ?? model.defaultCamLayer;
    model.camNode(layer);
    const batchSize = batchSizeOption(model, options.batchSize, "forward");
    const scoreMode = options.score ?? "softmax";
    if (options.signal?.aborted) throw new AbortedError();
    const pixels = imageToPixels(model, image);
    const probe = model.probe(pixels, {layers: [layer]});
    const activations = probe.activations[0]!;
    try {
      const [target, varying] = await Promise.all([targetFromLogits(model, probe.logits, options.classIndex, scoreMode), nonConstantChannels(activations)]);
      const channels = varying.flatMap((ok, k) => (ok ? [k] : []));
      const work = new WorkTracker(channels.length, options.signal, options.onProgress, "channels");
      const {scores} = await scoreMasks(model, pixels, channelMaskSource(activations, channels, model.inputHeight, model.inputWidth), {
        classIndex: target.classIndex,
        score: scoreMode,
        batchSize,
        work,
        executor: options.executor
      });
      const result = tf.tidy(() => {
        const [, h, w, k] = activations.shape;
        // Σ_k s_k·A_k over the scored channels (skipped channels weigh 0).
        const weights = new Float32Array(k);
        channels.forEach((c, i) => (weights[c] = scores[i]!));
        const combined = tf.matMul(activations.reshape([h * w, k]), tf.tensor2d(weights, [k, 1])).reshape([1, h, w, 1]) as tf.Tensor4D;
        const upsampled = tf.image.resizeBilinear(combined, [image.height, image.width], false, true).reshape([image.height, image.width]);
        return minmaxTensor(tf.relu(upsampled) as tf.Tensor2D);
      });
      const map = await readMap(result);
      const skippedConstant = varying.flatMap((ok, k) => (ok ? [] : [k]));
      return explanationRecord({
        method: "scorecam",
        model,
        map,
        classIndex: target.classIndex,
        scoreMode,
        scoreValue: target.scoreValue,
        layer,
        options: recordableOptions({...options, layer, batchSize, score: scoreMode}),
        startedAt,
        passes: {forward: channels.length + 1, backward: 0},
        intermediates: {channels: varying.length, scoredChannels: channels, skippedConstant, scores}
      });
    } finally {
      tf.dispose([pixels, probe.logits, ...probe.activations]);
    }
  }
};
