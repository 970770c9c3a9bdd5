/**
 * The Grad-CAM family on the shared phases: capture A and G at one layer (one forward + one
 * backward pass; the top class chosen in-graph), combine them with the method's formula, ReLU
 * at the layer's resolution, upsample to the image, min-max. A CAM method is its formula.
 */
import * as tf from "@tensorflow/tfjs";
import {capture} from "./capture.js";
import {assertModelFinite} from "./finite.js";
import {classParam, layerParam, scoreParam} from "./params.js";
import {defineMethod} from "./pipeline.js";
import {upsampleAndNormalize} from "./upsample.js";
import type {Method} from "./types.js";

/** A, G: [N, h, w, k] → map before ReLU [N, h, w]; runs inside the phase's tf.tidy. */
export type CamCombine = (activations: tf.Tensor4D, gradients: tf.Tensor4D) => tf.Tensor3D;

const camParams = {classIndex: classParam, score: scoreParam("logit"), layer: layerParam};

export function defineCam(spec: {name: string; title: string; summary: string; combine: CamCombine}): Method<typeof camParams> {
  return defineMethod({
    name: spec.name,
    title: spec.title,
    summary: spec.summary,
    defaultScore: "logit",
    params: camParams,
    async run(context, {layer, classIndex}) {
      const {image} = context;
      const probe = capture(context, {layers: [layer], classIndex: classIndex ?? "top"});
      const normalized = context.hold(
        tf.tidy(() => {
          const combined = spec.combine(probe.activations[0]!, probe.gradients![0]!);
          return upsampleAndNormalize(tf.relu(combined.squeeze([0])) as tf.Tensor2D, image.width, image.height);
        })
      );
      // Score, class and map in one wait (one sync on GPU backends).
      const [scoreValues, classValues, mapValues] = await Promise.all([probe.scores!.data(), probe.classes!.data(), normalized.data()]);
      assertModelFinite(scoreValues, "class score");
      assertModelFinite(mapValues, "saliency map");
      return {
        map: {width: image.width, height: image.height, data: Float32Array.from(mapValues)},
        target: {classIndex: classValues[0]!, scoreValue: scoreValues[0]!},
        layer,
        passes: {forward: 1, backward: 1}
      };
    }
  });
}
