/**
 * A LayersModel flattened into one topologically ordered list of layer calls, nested models
 * included (their layers get qualified names "outer/inner"). Executing this list eagerly lets
 * the engine read, replace or perturb the output of any layer — also inside residual blocks
 * and nested models — which tfjs' own predict() does not expose.
 */
import * as tf from "@tensorflow/tfjs";
import {applyForInputGradients} from "./input-only-gradient.js";

export interface GraphNode {
  /** Qualified layer name, unique in the flattened graph. */
  name: string;
  /** The tfjs layer, or null for the model input. */
  layer: tf.layers.Layer | null;
  className: string;
  inputs: GraphNode[];
  /** Keyword arguments of the original call (masks etc.); `training` is always dropped. */
  callArgs: Record<string, unknown>;
  /** Output shape with the batch dimension as null. */
  shape: (number | null)[];
  /** Position in topological order. */
  index: number;
  /** Spatial strides [height, width] of a GraphModel op that has them (layers keep theirs in their config). */
  strides?: readonly [number, number];
}

export interface LayerGraph {
  nodes: GraphNode[];
  input: GraphNode;
  output: GraphNode;
}

/** Flattens a single-input, single-output LayersModel (functional, Sequential or nested). */
export function flattenModel(model: tf.LayersModel): LayerGraph {
  if (model.inputs.length !== 1) {
    throw new Error(`model "${model.name}" has ${model.inputs.length} inputs; only single-input image models are supported`);
  }
  if (model.outputs.length !== 1) {
    throw new Error(`model "${model.name}" has ${model.outputs.length} outputs; only single-output classifiers are supported`);
  }
  const nodes: GraphNode[] = [];
  const inputSymbol = model.inputs[0]!;
  const input: GraphNode = {
    name: inputSymbol.sourceLayer.name,
    layer: null,
    className: "InputLayer",
    inputs: [],
    callArgs: {},
    shape: [...inputSymbol.shape],
    index: 0
  };
  nodes.push(input);
  const outputs = flattenContainer(model, "", [input], nodes);
  return {nodes, input, output: outputs[0]!};
}

function flattenContainer(container: tf.LayersModel, prefix: string, feeds: GraphNode[], nodes: GraphNode[]): GraphNode[] {
  const memo = new Map<number, GraphNode>();
  container.inputs.forEach((symbol, i) => memo.set(symbol.id, feeds[i]!));

  const visit = (symbol: tf.SymbolicTensor): GraphNode => {
    const known = memo.get(symbol.id);
    if (known) return known;
    const layer = symbol.sourceLayer;
    const inputs = symbol.inputs.map(visit);
    let node: GraphNode;
    if (layer instanceof tf.LayersModel) {
      const innerOutputs = flattenContainer(layer, `${prefix}${layer.name}/`, inputs, nodes);
      node = innerOutputs[symbol.outputTensorIndex ?? 0]!;
    } else {
      if (Array.isArray(layer.outputShape[0])) {
        throw new Error(`layer "${prefix}${layer.name}" has several outputs; multi-output layers are not supported`);
      }
      const {training: _training, ...callArgs} = (symbol.callArgs ?? {}) as Record<string, unknown>;
      node = {
        name: `${prefix}${layer.name}`,
        layer,
        className: layer.getClassName(),
        inputs,
        callArgs,
        shape: [...symbol.shape],
        index: nodes.length
      };
      nodes.push(node);
    }
    memo.set(symbol.id, node);
    return node;
  };
  return container.outputs.map(visit);
}

/**
 * How the adapter executes a model: a LayersModel runs layer by layer (any layer's output can
 * be replaced or probed); a GraphModel runs through its own executor with intermediate feeds.
 */
export interface ModelRunner {
  readonly graph: LayerGraph;
  readonly outputActivation: ActivationName;
  /** Additive probes supported: gradients for several layers from one backward pass. */
  readonly supportsProbes: boolean;
  run(x: tf.Tensor, options?: RunOptions): Map<GraphNode, tf.Tensor>;
}

export function layersModelRunner(model: tf.LayersModel): ModelRunner {
  const graph = flattenModel(model);
  return {
    graph,
    outputActivation: finalActivation(graph.output.layer),
    supportsProbes: true,
    run: (x, options) => runGraph(graph, x, options)
  };
}

export interface RunOptions {
  /** Replace these layers' outputs by the given tensors (the layer is not computed). */
  replace?: ReadonlyMap<string, tf.Tensor>;
  /** Add these tensors to the layers' outputs (zero probes give gradients w.r.t. the output). */
  add?: ReadonlyMap<string, tf.Tensor>;
  /** Stop once these nodes are computed; the model output is then not computed. */
  targets?: readonly GraphNode[];
  /** Compute the pre-activation of the final layer when it ends in softmax/sigmoid. */
  logits?: boolean;
}

/**
 * Executes the graph eagerly on `x` (already preprocessed). Returns every computed node's
 * value; intermediate tensors are owned by the caller's tidy scope.
 */
export function runGraph(graph: LayerGraph, x: tf.Tensor, options: RunOptions = {}): Map<GraphNode, tf.Tensor> {
  const targets = options.targets ?? [graph.output];
  const needed = neededNodes(targets, options.replace);
  const values = new Map<GraphNode, tf.Tensor>();
  for (const node of graph.nodes) {
    if (!needed.has(node)) continue;
    let value: tf.Tensor;
    const replacement = options.replace?.get(node.name);
    if (replacement) {
      value = replacement;
    } else if (node.layer === null) {
      value = x;
    } else {
      const inputs = node.inputs.map((input) => values.get(input)!);
      if (options.logits && node === graph.output) {
        value = applyWithoutFinalActivation(node.layer, inputs, node.callArgs);
      } else {
        value =
          inputs.length === 1
            ? applyForInputGradients(node.layer, inputs[0]!, node.callArgs)
            : (node.layer.apply(inputs, {...node.callArgs, training: false}) as tf.Tensor);
      }
    }
    const probe = options.add?.get(node.name);
    if (probe) value = tf.add(value, probe);
    values.set(node, value);
  }
  return values;
}

/** Nodes whose values are needed for the targets, given that replaced nodes need no inputs. */
export function neededNodes(targets: readonly GraphNode[], replace?: ReadonlyMap<string, tf.Tensor>): Set<GraphNode> {
  const needed = new Set<GraphNode>();
  const stack = [...targets];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (needed.has(node)) continue;
    needed.add(node);
    if (!replace?.has(node.name)) stack.push(...node.inputs);
  }
  return needed;
}

export type ActivationName = "softmax" | "sigmoid" | "linear" | "other";

/** The activation a classifier's final layer applies, if it is one we can undo. */
export function finalActivation(layer: tf.layers.Layer | null): ActivationName {
  if (layer === null) return "linear";
  const className = layer.getClassName();
  if (className !== "Dense" && className !== "Activation" && className !== "Softmax") return "linear";
  if (className === "Softmax") return "softmax";
  const activation = String((layer.getConfig() as {activation?: unknown}).activation ?? "linear");
  if (activation === "softmax" || activation === "sigmoid" || activation === "linear") return activation;
  return "other";
}

function applyWithoutFinalActivation(layer: tf.layers.Layer, inputs: tf.Tensor[], callArgs: Record<string, unknown>): tf.Tensor {
  const activation = finalActivation(layer);
  if (activation === "linear" || activation === "other") {
    return layer.apply(inputs.length === 1 ? inputs[0]! : inputs, {...callArgs, training: false}) as tf.Tensor;
  }
  if (layer.getClassName() !== "Dense") return inputs[0]!; // an Activation/Softmax layer: its input is the logit
  const [kernel, bias] = layer.getWeights();
  const input = inputs[0]!;
  // Dense acts on the last axis, whatever the rank.
  const lastDim = input.shape[input.rank - 1]!;
  const linear = tf.matMul(tf.reshape(input, [-1, lastDim]), kernel!);
  const withBias = bias ? tf.add(linear, bias) : linear;
  return tf.reshape(withBias, [...input.shape.slice(0, -1), kernel!.shape[1]!]);
}
