/**
 * Layer listing and SISE's block-end rule (algorithms.md, SISE step 1): a 4-D tensor is a block
 * end when it enters a down-sampling layer — a pooling layer, a layer with a stride of 2 or more
 * (convolution, depthwise convolution), or a stride-less layer such as a resize that brings a side
 * to 0.75 of its size or less — whose output is spatially smaller (zero-padding is looked
 * through). An unpadded stride-1 convolution shrinks its input by the kernel's margin without
 * down-sampling (InceptionV3's 149 → 147 and 73 → 71): not a block end. The last 4-D tensor
 * before global pooling / flatten is the final one unless it is itself the output of a
 * down-sampling layer (VGG's last pool).
 */
import type {GraphNode, LayerGraph} from "./graph.js";

export interface LayerInfo {
  name: string;
  className: string;
  /** Output shape without the batch dimension. */
  outputShape: (number | null)[];
  /** A 4-D output with spatial extent: usable for CAMs. */
  camCapable: boolean;
  /** Last layer before the spatial resolution drops (SISE's layer rule). */
  blockEnd: boolean;
  index: number;
}

const PASS_THROUGH = new Set(["ZeroPadding2D", "Pad", "PadV2", "MirrorPad", "Identity"]);
/** Spatial pooling layers (tfjs-layers) and ops (GraphModels); global pooling leaves the spatial domain instead. */
const POOLING = new Set(["MaxPooling2D", "AveragePooling2D", "MaxPool", "AvgPool"]);
/** A stride-less layer down-samples when it brings a side to this fraction of its size or less. */
const RESIZE_RATIO = 0.75;

function spatialSize(node: GraphNode): number | null {
  if (node.shape.length !== 4) return null;
  const [, h, w] = node.shape;
  return h && w ? h * w : null;
}

/** Spatial strides of a layer (its config) or op (read by the GraphModel runner); null when it has none. */
function spatialStrides(node: GraphNode): number[] | null {
  if (node.strides) return [...node.strides];
  const strides = node.layer ? (node.layer.getConfig() as {strides?: unknown}).strides : undefined;
  if (typeof strides === "number") return [strides, strides];
  if (Array.isArray(strides) && strides.every((s) => typeof s === "number")) return strides as number[];
  return null;
}

/** True when `layer`, fed a tensor of `from`'s spatial shape, down-samples it (see the rule above). */
function downsamples(layer: GraphNode, from: GraphNode): boolean {
  const [, inH, inW] = from.shape;
  const [, outH, outW] = layer.shape;
  if (layer.shape.length !== 4 || from.shape.length !== 4 || !inH || !inW || !outH || !outW) return false;
  if (outH * outW >= inH * inW) return false;
  if (POOLING.has(layer.className)) return true;
  const strides = spatialStrides(layer);
  if (strides) return strides.some((s) => s >= 2);
  return outH <= RESIZE_RATIO * inH || outW <= RESIZE_RATIO * inW;
}

function consumersOf(graph: LayerGraph): Map<GraphNode, GraphNode[]> {
  const consumers = new Map<GraphNode, GraphNode[]>();
  for (const node of graph.nodes) {
    for (const input of node.inputs) {
      const list = consumers.get(input) ?? [];
      if (!list.includes(node)) list.push(node);
      consumers.set(input, list);
    }
  }
  return consumers;
}

export function describeLayers(graph: LayerGraph): LayerInfo[] {
  const consumers = consumersOf(graph);
  const camCapable = (node: GraphNode) => node !== graph.input && (spatialSize(node) ?? 0) > 1;

  // Consumers of a node, looking through pass-through layers such as zero padding.
  const effectiveConsumers = (node: GraphNode): GraphNode[] =>
    (consumers.get(node) ?? []).flatMap((c) => (PASS_THROUGH.has(c.className) ? effectiveConsumers(c) : [c]));

  // The node's own output is down-sampled from one of its inputs (padding looked through).
  const isDownsampling = (node: GraphNode): boolean =>
    node.inputs.map((i) => (PASS_THROUGH.has(i.className) ? (i.inputs[0] ?? i) : i)).some((i) => downsamples(node, i));

  const blockEnds = new Set<GraphNode>();
  for (const node of graph.nodes) {
    // Padding only prepares a down-sampling layer; the tensor it pads is the block end.
    if (!camCapable(node) || PASS_THROUGH.has(node.className)) continue;
    const next = effectiveConsumers(node);
    const dropsResolution = next.some((c) => downsamples(c, node));
    const leavesSpatialDomain = next.some((c) => c.shape.length !== 4);
    if (dropsResolution || (leavesSpatialDomain && !isDownsampling(node))) blockEnds.add(node);
  }

  return graph.nodes
    .filter((node) => node !== graph.input)
    .map((node) => ({
      name: node.name,
      className: node.className,
      outputShape: node.shape.slice(1),
      camCapable: camCapable(node),
      blockEnd: blockEnds.has(node),
      index: node.index
    }));
}
