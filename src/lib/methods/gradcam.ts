/** Grad-CAM: w_k = mean_ij ∂y_c/∂A_k(i,j); L = ReLU(Σ_k w_k A_k). */
import * as tf from "@tensorflow/tfjs";
import {defineCam, weightedChannelSum} from "./cam.js";

export const gradCam = defineCam({
  name: "gradcam",
  title: "Grad-CAM",
  combine: (activations, gradients) =>
    tf.tidy(() => weightedChannelSum(activations, tf.mean(gradients, [1, 2]) as tf.Tensor2D))
});
