/**
 * The biases of a LayersModel as FullGrad needs them (algorithms.md, FullGrad): every layer
 * whose output carries an additive per-channel bias — convolutions (with a bias), dense layers
 * and batch norm in inference, whose effective bias is β − γ·μ/√(σ²+ε) — and how to get the
 * gradient at the pre-activation output Z from the gradient at the layer's output.
 */
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../model/adapter.js";

export interface BiasLayer {
  name: string;
  /** b [K]. */
  bias: Float32Array;
  /** Spatial output (4-D): its bias term enters the map; dense layers only count for completeness. */
  spatial: boolean;
  /** ∂y/∂Z from ∂y/∂A and A = act(Z): identity, or the ReLU / ReLU6 gate read off A. */
  preActivation(gradient: tf.Tensor, output: tf.Tensor): tf.Tensor;
}

const CONVOLUTIONS = new Set(["Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Dense"]);

function activationGate(layer: string, activation: string): BiasLayer["preActivation"] {
  if (activation === "linear") return (g) => g;
  if (activation === "relu") return (g, a) => tf.mul(g, tf.cast(tf.greater(a, 0), "float32"));
  if (activation === "relu6") return (g, a) => tf.mul(g, tf.cast(tf.logicalAnd(tf.greater(a, 0), tf.less(a, 6)), "float32"));
  throw new Error(`FullGrad: layer "${layer}" has activation "${activation}"; only linear, relu and relu6 layers are supported`);
}

/** A layer's weights read back asynchronously (WebGPU in Node has no synchronous read). */
function readWeights(layer: tf.layers.Layer): Promise<Float32Array[]> {
  return Promise.all(layer.getWeights().map(async (w) => (await w.data()) as Float32Array));
}

async function effectiveBatchNormBias(layer: tf.layers.Layer): Promise<Float32Array> {
  const config = layer.getConfig() as {center?: boolean; scale?: boolean; epsilon?: number};
  const weights = await readWeights(layer);
  let i = 0;
  const gamma = config.scale === false ? null : weights[i++]!;
  const beta = config.center === false ? null : weights[i++]!;
  const [mean, variance] = [weights[i++]!, weights[i++]!];
  const epsilon = config.epsilon ?? 1e-3;
  return mean.map((m, k) => (beta ? beta[k]! : 0) - ((gamma ? gamma[k]! : 1) * m) / Math.sqrt(variance[k]! + epsilon));
}

/** Every bias-carrying layer of the model, in graph order. */
export async function biasLayers(model: ExplainableModel): Promise<BiasLayer[]> {
  if (!(model.model instanceof tf.LayersModel)) throw new Error("FullGrad needs a LayersModel (it reads the layers' biases)");
  const found: BiasLayer[] = [];
  for (const node of model.graph.nodes) {
    const layer = node.layer;
    if (!layer) continue;
    const spatial = node.shape.length === 4;
    if (node.className === "BatchNormalization") {
      found.push({name: node.name, bias: await effectiveBatchNormBias(layer), spatial, preActivation: (g) => g});
    } else if (CONVOLUTIONS.has(node.className)) {
      const config = layer.getConfig() as {useBias?: boolean; activation?: string};
      if (config.useBias === false) continue;
      const weights = await readWeights(layer);
      const bias = weights[weights.length - 1]!;
      // The model's output layer is run without its activation (the score starts from the logits).
      const activation = node === model.graph.output ? "linear" : (config.activation ?? "linear");
      found.push({name: node.name, bias: Float32Array.from(bias), spatial, preActivation: activationGate(node.name, activation)});
    }
  }
  return found;
}
