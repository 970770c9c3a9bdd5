/** Grad-CAM: w_k = mean_ij ∂y_c/∂A_k(i,j); L = ReLU(Σ_k w_k A_k). */
import {defineCam} from "../explain/cam.js";
import {meanGradients, weightedChannelSum} from "../explain/weights.js";

export const gradCam = defineCam({
  name: "gradcam",
  title: "Grad-CAM",
  summary: "channel weights = mean gradient at one layer",
  combine: (activations, gradients) => weightedChannelSum(activations, meanGradients(gradients))
});
