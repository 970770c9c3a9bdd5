/**
 * Grad-CAM++: a_k(i,j) = g² / (2g² + Σ_ab A_k(a,b)·g³ + ε), a = 0 where g = 0;
 * w_k = Σ_ij a_k(i,j)·ReLU(g); L = ReLU(Σ_k w_k A_k).
 */
import * as tf from "@tensorflow/tfjs";
import {defineCam} from "../explain/cam.js";
import {activationSums, positionWeightedSums, weightedChannelSum} from "../explain/weights.js";

const EPSILON = 1e-6;

export const gradCamPlusPlus = defineCam({
  name: "gradcampp",
  title: "Grad-CAM++",
  summary: "weights from second- and third-order gradient terms",
  combine: (activations, gradients) => {
    const g2 = tf.square(gradients);
    const g3 = tf.mul(g2, gradients);
    const denominator = tf.add(tf.add(tf.mul(g2, 2), tf.mul(activationSums(activations), g3)), EPSILON);
    const alpha = tf.where(tf.notEqual(gradients, 0), tf.div(g2, denominator), tf.zerosLike(g2)) as tf.Tensor4D;
    return weightedChannelSum(activations, positionWeightedSums(alpha, tf.relu(gradients)));
  }
});
