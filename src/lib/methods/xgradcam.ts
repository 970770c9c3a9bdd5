/** XGrad-CAM: w_k = Σ_ij (A_k(i,j) / (Σ_ab A_k(a,b) + ε))·g, ε = 1e-7. */
import * as tf from "@tensorflow/tfjs";
import {defineCam} from "../explain/cam.js";
import {activationSums, positionWeightedSums, weightedChannelSum} from "../explain/weights.js";

const EPSILON = 1e-7;

export const xGradCam = defineCam({
  name: "xgradcam",
  title: "XGrad-CAM",
  summary: "weights = activation-normalised gradient sums",
  combine: (activations, gradients) => {
    const normalised = tf.div(activations, tf.add(activationSums(activations), EPSILON)) as tf.Tensor4D;
    return weightedChannelSum(activations, positionWeightedSums(normalised, gradients));
  }
});
