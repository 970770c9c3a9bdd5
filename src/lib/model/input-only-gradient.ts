/**
 * Explanations differentiate with respect to pixels and activations, never weights. A Conv2D
 * layer with a linear activation (a ResNet convolution before its batch norm) runs tfjs's fused
 * convolution, whose gradient is computed eagerly for every input: the filter gradient
 * (Conv2DBackpropFilter, about a tenth of a probe on resnet-shapes) and the bias gradient are
 * taken and thrown away. Applied through here, such a layer runs the same forward op (same bits)
 * under a gradient that gives the input's only: the same Conv2DBackpropInput the fused gradient
 * would have run. Other layers' gradients are lazy already (tfjs unfuses a convolution with a
 * non-linear activation while recording gradients), so they are applied as they are.
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

/** `layer.apply(input)`, with the input's gradient only where the layer's own gradient would take the weights' too. */
export function applyForInputGradients(layer: tf.layers.Layer, input: tf.Tensor, callArgs: Record<string, unknown>): tf.Tensor {
  const apply = (x: tf.Tensor) => layer.apply(x, {...callArgs, training: false}) as tf.Tensor;
  const geometry = tf.engine().state.gradientDepth > 0 && input.rank === 4 ? fusedConvGeometry(layer) : null;
  if (!geometry) return apply(input);
  const kernel = layer.getWeights()[0] as tf.Tensor4D;
  const inputShape = input.shape as [number, number, number, number];
  const withInputGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: apply(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.conv2dTranspose(dy as tf.Tensor4D, kernel, inputShape, geometry.strides, geometry.pad)
  }));
  return withInputGradient(input);
}
