/** XGrad-CAM: w_k = Σ_ij (A_k(i,j) / (Σ_ab A_k(a,b) + ε))·g, ε = 1e-7. */
import * as tf from "@tensorflow/tfjs";
import {defineCam} from "../explain/cam.js";
import {weightedChannelSum} from "../explain/weights.js";

const EPSILON = 1e-7;

export const xGradCam = defineCam({
  name: "xgradcam",
  title: "XGrad-CAM",
  summary: "weights = activation-normalised gradient sums",
  combine: (activations, gradients) =>
    tf.tidy(() => {
      const normalised = tf.div(activations, tf.add(tf.sum(activations, [1, 2], true), EPSILON));
      return weightedChannelSum(activations, tf.sum(tf.mul(normalised, gradients), [1, 2]) as tf.Tensor2D);
    })
});
