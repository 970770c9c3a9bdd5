/**
 * Splits a model at a layer, for tests of the graph runner: head(activations(x)) must equal the
 * model's logits on x, at every layer (inside residual blocks and nested models too).
 */
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import type {GraphNode, LayerGraph} from "../../src/lib/model/graph.js";
import {preprocess} from "../../src/lib/model/preprocessing.js";

export interface SplitModel {
  layer: string;
  activations(pixels: tf.Tensor4D): tf.Tensor4D;
  /** Logits from the layer's output; pass the pixels when a skip connection bypasses the layer. */
  head(activations: tf.Tensor4D, pixels?: tf.Tensor4D): tf.Tensor2D;
  headNeedsInput: boolean;
}

/** True when the output depends on the input through a path that avoids `cut`. */
function pathAvoiding(graph: LayerGraph, cut: GraphNode): boolean {
  const seen = new Set<GraphNode>();
  const stack: GraphNode[] = [graph.output];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node === cut || seen.has(node)) continue;
    if (node === graph.input) return true;
    seen.add(node);
    stack.push(...node.inputs);
  }
  return false;
}

export function splitAt(model: ExplainableModel, layerName: string): SplitModel {
  const node = model.camNode(layerName);
  const headNeedsInput = pathAvoiding(model.graph, node);
  const preprocessing = model.meta.preprocessing;
  return {
    layer: node.name,
    headNeedsInput,
    activations: (pixels) => tf.tidy(() => model.runner.run(preprocess(pixels, preprocessing), {targets: [node]}).get(node) as tf.Tensor4D),
    head: (activations, pixels) =>
      tf.tidy(() => {
        if (headNeedsInput && !pixels) throw new Error(`a skip connection bypasses layer "${node.name}": head() needs the pixel input too`);
        const x = pixels ? preprocess(pixels, preprocessing) : tf.zeros([activations.shape[0], model.inputHeight, model.inputWidth, 3]);
        const values = model.runner.run(x, {replace: new Map([[node.name, activations]]), logits: true});
        return values.get(model.graph.output) as tf.Tensor2D;
      })
  };
}
