/**
 * Multiply-add work of a LayersModel's convolutions and dense layers, counted as FLOPs = 2·MACs
 * (the convention behind "VGG16 ≈ 31 GFLOP, ResNet-50 ≈ 8.2 GFLOP at 224²"). Element-wise work
 * (batch norm, ReLU, pooling, adds) is left out: it is small and not what GFLOP/s figures compare.
 */
import type * as tf from "@tensorflow/tfjs";

export interface LayerFlops {
  name: string;
  /** Forward FLOPs per image. */
  flops: number;
}

function outputShapeOf(layer: tf.layers.Layer): number[] {
  const shape = layer.outputShape as (number | null)[] | (number | null)[][];
  const first = (Array.isArray(shape[0]) ? shape[0] : shape) as (number | null)[];
  return first.map((d) => d ?? 1);
}

/** Forward FLOPs per image of every conv / depthwise conv / dense layer, in the model's layer order. */
export function layerFlops(model: tf.LayersModel): LayerFlops[] {
  const out: LayerFlops[] = [];
  for (const layer of model.layers) {
    const kind = layer.getClassName();
    const kernel = layer.getWeights()[0]?.shape;
    if (!kernel) continue;
    const shape = outputShapeOf(layer);
    const positions = shape.slice(1, -1).reduce((a, b) => a * b, 1);
    if (kind === "Conv2D") {
      const [kh, kw, cin, cout] = kernel as [number, number, number, number];
      out.push({name: layer.name, flops: 2 * positions * kh * kw * cin * cout});
    } else if (kind === "DepthwiseConv2D") {
      const [kh, kw, cin, multiplier] = kernel as [number, number, number, number];
      out.push({name: layer.name, flops: 2 * positions * kh * kw * cin * multiplier});
    } else if (kind === "Dense") {
      const [inputs, units] = kernel as [number, number];
      out.push({name: layer.name, flops: 2 * positions * inputs * units});
    }
  }
  return out;
}

export function forwardFlops(model: tf.LayersModel): number {
  return layerFlops(model).reduce((s, l) => s + l.flops, 0);
}

/**
 * FLOPs of the backward pass that takes the gradient of the output with respect to the output of
 * layer `from` (what a CAM probe or SISE's selection does): one input-gradient product for every
 * weighted layer after `from`, each costing what its forward product costs.
 */
export function inputGradientFlops(model: tf.LayersModel, from: string): number {
  const names = model.layers.map((l) => l.name);
  const start = names.indexOf(from);
  if (start < 0) throw new Error(`model "${model.name}" has no layer "${from}"`);
  const after = new Set(names.slice(start + 1));
  return layerFlops(model)
    .filter((l) => after.has(l.name))
    .reduce((s, l) => s + l.flops, 0);
}

/**
 * FLOPs of a training step's backward pass: a filter gradient for every weighted layer and an
 * input gradient for every weighted layer but the first (nothing needs the image's gradient).
 */
export function trainingBackwardFlops(model: tf.LayersModel): number {
  const layers = layerFlops(model);
  return layers.reduce((s, l, i) => s + l.flops * (i === 0 ? 1 : 2), 0);
}
