/** LayerCAM: L(i,j) = ReLU(Σ_k ReLU(g_k(i,j))·A_k(i,j)), element-wise weights. */
import * as tf from "@tensorflow/tfjs";
import {defineCam} from "../explain/cam.js";

export const layerCam = defineCam({
  name: "layercam",
  title: "LayerCAM",
  summary: "element-wise positive-gradient weights",
  combine: (activations, gradients) => tf.sum(tf.mul(tf.relu(gradients), activations), 3) as tf.Tensor3D
});
