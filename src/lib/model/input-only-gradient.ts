/**
 * Explanations differentiate with respect to pixels and activations, never weights. A Conv2D
 * layer with a linear activation (a ResNet convolution before its batch norm) runs tfjs's fused
 * convolution, whose gradient is computed eagerly for every input: the filter gradient
 * (Conv2DBackpropFilter, about a tenth of a probe on resnet-shapes) and the bias gradient are
 * taken and thrown away. Applied through here, such a layer runs the same forward op (same bits)
 * under a gradient that gives the input's only: the same Conv2DBackpropInput the fused gradient
 * would have run. Other layers' gradients are lazy already (tfjs unfuses a convolution with a
 * non-linear activation while recording gradients), so they are applied as they are.
 *
 * A BatchNormalization layer without a scale (γ) or an offset (β) — every batch norm of
 * InceptionV3 has `scale: false` — cannot be differentiated through tfjs 4.22 at all: its op gets
 * `undefined` for the missing input, and the engine then clones it to save it for the gradient
 * ("reading 'dtype'") or traces it on the tape ("reading 'id'"), whichever gradient is registered.
 * Under a gradient tape such a layer therefore runs the same op with γ = 1 / β = 0 passed
 * explicitly: the same values, and every input present.
 */
import * as tf from "@tensorflow/tfjs";

interface ConvGeometry {
  strides: [number, number];
  pad: "same" | "valid";
}

const geometries = new WeakMap<tf.layers.Layer, ConvGeometry | null>();

/** Strides and padding of a Conv2D layer whose fused gradient would compute unused weight gradients; null for any other layer. */
function fusedConvGeometry(layer: tf.layers.Layer): ConvGeometry | null {
  if (geometries.has(layer)) return geometries.get(layer)!;
  let geometry: ConvGeometry | null = null;
  if (layer.getClassName() === "Conv2D") {
    const config = layer.getConfig() as {
      activation?: string;
      strides?: number | number[];
      padding?: string;
      dataFormat?: string;
      dilationRate?: number | number[];
    };
    const pair = (v: number | number[] | undefined): [number, number] => (Array.isArray(v) ? [v[0]!, v[1] ?? v[0]!] : [v ?? 1, v ?? 1]);
    const linear = (config.activation ?? "linear") === "linear";
    const undilated = pair(config.dilationRate).every((d) => d === 1);
    if (linear && undilated && config.dataFormat !== "channelsFirst" && (config.padding === "same" || config.padding === "valid")) {
      geometry = {strides: pair(config.strides), pad: config.padding};
    }
  }
  geometries.set(layer, geometry);
  return geometry;
}

interface PartialBatchNorm {
  axis: number;
  epsilon: number;
  scale: boolean;
  center: boolean;
}

const partialBatchNorms = new WeakMap<tf.layers.Layer, PartialBatchNorm | null>();

/** Settings of a BatchNormalization layer that lacks γ or β; null for any other layer. */
function partialBatchNorm(layer: tf.layers.Layer): PartialBatchNorm | null {
  if (partialBatchNorms.has(layer)) return partialBatchNorms.get(layer)!;
  let settings: PartialBatchNorm | null = null;
  if (layer.getClassName() === "BatchNormalization") {
    const config = layer.getConfig() as {axis?: number; epsilon?: number; scale?: boolean; center?: boolean};
    const scale = config.scale !== false;
    const center = config.center !== false;
    if (!scale || !center) settings = {axis: config.axis ?? -1, epsilon: config.epsilon ?? 1e-3, scale, center};
  }
  partialBatchNorms.set(layer, settings);
  return settings;
}

/** Inference batch norm as tfjs-layers computes it, with the missing γ (ones) or β (zeros) passed as tensors. */
function batchNormWithEveryInput(layer: tf.layers.Layer, settings: PartialBatchNorm, input: tf.Tensor): tf.Tensor {
  // Weights in build order: gamma (if scale), beta (if center), moving mean, moving variance.
  const weights = layer.getWeights();
  if (weights.length !== Number(settings.scale) + Number(settings.center) + 2) {
    throw new Error(
      `batch norm "${layer.name}" has ${weights.length} weights; expected its moving statistics and ${settings.scale ? "γ" : ""}${settings.center ? "β" : ""}`
    );
  }
  let i = 0;
  const gamma = settings.scale ? weights[i++]! : null;
  const beta = settings.center ? weights[i++]! : null;
  const [mean, variance] = [weights[i++]!, weights[i]!];
  const axis = settings.axis < 0 ? settings.axis + input.rank : settings.axis;
  // Parameters broadcast along `axis` (a reshape only when it is not the last one, as tfjs-layers does).
  const shape = input.shape.map((size, d) => (d === axis ? size : 1));
  const broadcast = (t: tf.Tensor) => (axis === input.rank - 1 ? t : tf.reshape(t, shape));
  return tf.batchNorm(
    input,
    broadcast(mean),
    broadcast(variance),
    broadcast(beta ?? tf.zerosLike(mean)),
    broadcast(gamma ?? tf.onesLike(mean)),
    settings.epsilon
  );
}

/**
 * `layer.apply(input)`, with the input's gradient only where the layer's own gradient would take
 * the weights' too, and with every batch-norm input present where one is missing.
 */
export function applyForInputGradients(layer: tf.layers.Layer, input: tf.Tensor, callArgs: Record<string, unknown>): tf.Tensor {
  const apply = (x: tf.Tensor) => layer.apply(x, {...callArgs, training: false}) as tf.Tensor;
  const recording = tf.engine().state.gradientDepth > 0;
  const batchNorm = recording ? partialBatchNorm(layer) : null;
  if (batchNorm) return batchNormWithEveryInput(layer, batchNorm, input);
  const geometry = recording && input.rank === 4 ? fusedConvGeometry(layer) : null;
  if (!geometry) return apply(input);
  const kernel = layer.getWeights()[0] as tf.Tensor4D;
  const inputShape = input.shape as [number, number, number, number];
  const withInputGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: apply(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.conv2dTranspose(dy as tf.Tensor4D, kernel, inputShape, geometry.strides, geometry.pad)
  }));
  return withInputGradient(input);
}
