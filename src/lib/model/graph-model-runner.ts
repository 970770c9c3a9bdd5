/**
 * Runs a tfjs GraphModel for the adapter: its op graph becomes the same node list as a
 * LayersModel's (shapes from one zero-input pass), and intermediate nodes are read or replaced
 * through GraphModel.execute's feeds. No additive probes: gradients are per layer.
 */
import * as tf from "@tensorflow/tfjs";
import type {ActivationName, GraphNode, LayerGraph, ModelRunner, RunOptions} from "./graph.js";

interface ConverterNode {
  name: string;
  op: string;
  inputs: ConverterNode[];
  attrParams?: Record<string, {value?: unknown} | undefined>;
}

/** [height, width] strides of an NHWC op with a 4-entry `strides` attribute (convolutions, pooling). */
function opStrides(op: ConverterNode): [number, number] | undefined {
  const strides = op.attrParams?.strides?.value;
  if (!Array.isArray(strides) || strides.length !== 4 || !strides.every((s) => typeof s === "number")) return undefined;
  return [strides[1] as number, strides[2] as number];
}

interface ConverterGraph {
  nodes: Record<string, ConverterNode>;
  inputs: ConverterNode[];
  outputs: ConverterNode[];
}

const CONSTANT_OPS = new Set(["Const", "Placeholder", "PlaceholderWithDefault", "NoOp"]);

export function graphModelRunner(model: tf.GraphModel): ModelRunner {
  // The op graph is not public API; read it defensively and fail with a clear message.
  const opGraph = (model as unknown as {executor?: {graph?: ConverterGraph}}).executor?.graph;
  if (!opGraph || opGraph.inputs.length !== 1 || opGraph.outputs.length !== 1) {
    throw new Error("only single-input, single-output GraphModels with a readable op graph are supported");
  }
  const inputOp = opGraph.inputs[0]!;
  const outputOp = opGraph.outputs[0]!;
  const inputShape = model.inputs[0]?.shape;
  if (!inputShape || inputShape.length !== 4 || inputShape.slice(1).some((d) => !(d > 0))) {
    throw new Error(`GraphModel input must be [batch, height, width, channels] with a fixed size, got ${JSON.stringify(inputShape)}`);
  }

  const ordered = topologicalOps(outputOp).filter((op) => op === inputOp || !CONSTANT_OPS.has(op.op));
  const names = ordered.filter((op) => op !== inputOp).map((op) => op.name);
  const shapes = new Map<string, (number | null)[]>();
  tf.tidy(() => {
    const probe = tf.zeros([1, ...inputShape.slice(1)]);
    const values = model.execute({[inputOp.name]: probe}, names) as tf.Tensor | tf.Tensor[];
    const list = Array.isArray(values) ? values : [values];
    names.forEach((name, i) => shapes.set(name, [null, ...list[i]!.shape.slice(1)]));
  });

  const byName = new Map<string, GraphNode>();
  const nodes: GraphNode[] = [];
  for (const op of ordered) {
    const node: GraphNode = {
      name: op.name,
      layer: null,
      className: op === inputOp ? "InputLayer" : op.op,
      inputs: op.inputs.map((i) => byName.get(i.name)).filter((n): n is GraphNode => n !== undefined),
      callArgs: {},
      shape: op === inputOp ? [null, ...inputShape.slice(1)] : shapes.get(op.name)!,
      index: nodes.length
    };
    const strides = opStrides(op);
    if (strides) node.strides = strides;
    byName.set(op.name, node);
    nodes.push(node);
  }
  const graph: LayerGraph = {nodes, input: nodes[0]!, output: byName.get(outputOp.name)!};
  const activation: ActivationName = outputOp.op === "Softmax" ? "softmax" : outputOp.op === "Sigmoid" ? "sigmoid" : "linear";
  const logitsNode = activation === "linear" ? graph.output : (byName.get(outputOp.inputs[0]!.name) ?? graph.output);

  return {
    graph,
    outputActivation: activation,
    supportsProbes: false,
    run(x: tf.Tensor, options: RunOptions = {}): Map<GraphNode, tf.Tensor> {
      if (options.add && options.add.size > 0) throw new Error("GraphModels do not support additive probes");
      const targets = options.targets ?? [graph.output];
      // With logits requested, the model output is read before its final softmax/sigmoid.
      const fetched = targets.map((t) => (options.logits && t === graph.output ? logitsNode : t));
      const feeds: tf.NamedTensorMap = {[inputOp.name]: x};
      for (const [name, value] of options.replace ?? []) feeds[name] = value;
      const values = model.execute(
        feeds,
        fetched.map((n) => n.name)
      ) as tf.Tensor | tf.Tensor[];
      const list = Array.isArray(values) ? values : [values];
      return new Map(targets.map((t, i) => [t, list[i]!]));
    }
  };
}

function topologicalOps(output: ConverterNode): ConverterNode[] {
  const order: ConverterNode[] = [];
  const seen = new Set<ConverterNode>();
  const stack: [ConverterNode, boolean][] = [[output, false]];
  while (stack.length > 0) {
    const [op, expanded] = stack.pop()!;
    if (expanded) {
      order.push(op);
      continue;
    }
    if (seen.has(op)) continue;
    seen.add(op);
    stack.push([op, true]);
    for (const input of [...op.inputs].reverse()) if (!seen.has(input)) stack.push([input, false]);
  }
  return order;
}
