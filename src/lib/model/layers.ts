/**
 * Layer listing and SISE's block-end rule (algorithms.md, SISE step 1): a 4-D tensor is a block
 * end when it enters a layer whose output is spatially smaller (pooling, stride-2 convolution;
 * zero-padding is looked through), and the last 4-D tensor before global pooling / flatten is
 * the final one unless it is itself the output of a down-sampling layer (VGG's last pool).
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

function spatialSize(node: GraphNode): number | null {
  if (node.shape.length !== 4) return null;
  const [, h, w] = node.shape;
  return h && w ? h * w : null;
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

  const isDownsampling = (node: GraphNode): boolean => {
    const out = spatialSize(node);
    const inputs = node.inputs.map((i) => (PASS_THROUGH.has(i.className) ? (i.inputs[0] ?? i) : i));
    return out !== null && inputs.some((i) => (spatialSize(i) ?? 0) > out);
  };

  const blockEnds = new Set<GraphNode>();
  for (const node of graph.nodes) {
    // Padding only prepares a down-sampling layer; the tensor it pads is the block end.
    if (!camCapable(node) || PASS_THROUGH.has(node.className)) continue;
    const size = spatialSize(node)!;
    const next = effectiveConsumers(node);
    const dropsResolution = next.some((c) => {
      const s = spatialSize(c);
      return s !== null && s < size;
    });
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
