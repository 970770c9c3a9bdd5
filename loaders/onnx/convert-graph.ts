/**
 * tfjs GraphModel → ONNX, for the op graphs tfjs-converter writes for image classifiers (what
 * src/lib/model/graph-model-runner.ts runs): convolutions (plain and fused with bias and an
 * activation), depthwise convolutions, matrix products, batch norm, pooling, spatial means,
 * element-wise arithmetic, activations, squeeze / reshape / concat / pad. The node list, order and
 * shapes are the runner's (one zero-input pass); op attributes and constants come from the
 * model's op graph and weight map.
 *
 * Layout as for LayersModels (convert-layers.ts): NHWC input, NCHW inside for every 4-D tensor,
 * constants broadcast against a 4-D tensor reordered to NCHW, NHWC again for reshapes and outputs.
 */
import * as tf from "@tensorflow/tfjs";
import type {GraphNode} from "../../src/lib/model/graph.js";
import {neededNodes} from "../../src/lib/model/graph.js";
import {graphModelRunner} from "../../src/lib/model/graph-model-runner.js";
import {INPUT_NAME, permute4d, samePads, type ConvertOptions, type OnnxModel, type OnnxOutput} from "./convert-layers.js";
import {UnsupportedLayerError} from "./errors.js";
import {GraphBuilder, type AttributeValue} from "./proto.js";

interface OpNode {
  name: string;
  op: string;
  inputs: OpNode[];
  attrParams: Record<string, {value: unknown} | undefined>;
}

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

class GraphConverter {
  readonly g = new GraphBuilder();
  private readonly values = new Map<string, string>();

  constructor(
    private readonly weights: Record<string, tf.Tensor | tf.Tensor[]>,
    private readonly shapes: Map<string, (number | null)[]>,
    private readonly options: ConvertOptions
  ) {}

  fail(op: OpNode, reason: string): never {
    throw new UnsupportedLayerError(op.name, op.op, reason);
  }

  attr<T>(op: OpNode, name: string, fallback?: T): T {
    const value = op.attrParams[name]?.value;
    if (value === undefined) {
      if (fallback === undefined) this.fail(op, `attribute ${name} missing`);
      return fallback;
    }
    return value as T;
  }

  isConst(op: OpNode): boolean {
    return op.op === "Const" && this.weights[op.name] !== undefined;
  }

  constData(op: OpNode, owner: OpNode): {data: Float32Array | Int32Array; shape: number[]} {
    const tensor = this.weights[op.name];
    if (!tensor || op.op !== "Const") this.fail(owner, `input "${op.name}" (${op.op}) must be a constant`);
    const t = Array.isArray(tensor) ? (tensor[0] as tf.Tensor) : tensor;
    return {data: t.dataSync() as Float32Array | Int32Array, shape: [...t.shape]};
  }

  floats(op: OpNode, owner: OpNode): {data: Float32Array; shape: number[]} {
    const {data, shape} = this.constData(op, owner);
    return {data: data instanceof Float32Array ? data : Float32Array.from(data), shape};
  }

  ints(op: OpNode, owner: OpNode): number[] {
    return [...this.constData(op, owner).data];
  }

  rank(name: string): number {
    return this.shapes.get(name)?.length ?? -1;
  }

  value(op: OpNode, owner: OpNode): string {
    const name = this.values.get(op.name);
    if (name === undefined) this.fail(owner, `input "${op.name}" (${op.op}) is neither computed nor a constant`);
    return name;
  }

  /** A constant operand of an element-wise op whose output has `rank`: reordered to NCHW when 4-D. */
  operand(op: OpNode, owner: OpNode, rank: number): string {
    if (!this.isConst(op)) {
      if (this.rank(op.name) !== rank && rank === 4) this.fail(owner, `operand "${op.name}" of rank ${this.rank(op.name)} broadcast against a 4-D tensor`);
      return this.value(op, owner);
    }
    const {data, shape} = this.floats(op, owner);
    if (rank !== 4 || shape.length === 0) return this.g.floats(op.name, data, shape);
    if (shape.length > 4) this.fail(owner, `constant of rank ${shape.length}`);
    const padded = [...Array(4 - shape.length).fill(1), ...shape];
    return this.g.floats(
      op.name,
      permute4d(data, padded, TO_NCHW),
      TO_NCHW.map((p) => padded[p]!)
    );
  }

  activation(op: OpNode, name: string, input: string, base: string, alpha: number): string {
    const g = this.g;
    switch (name) {
      case "relu":
        return g.node("Relu", [input], {}, base);
      case "relu6":
        return g.node("Clip", [input, g.scalar(0), g.scalar(6)], {}, base);
      case "elu":
        return g.node("Elu", [input], {alpha: {float: 1}}, base);
      case "selu":
        return g.node("Selu", [input], {alpha: {float: 1.6732632423543772}, gamma: {float: 1.0507009873554805}}, base);
      case "sigmoid":
        return g.node("Sigmoid", [input], {}, base);
      case "tanh":
        return g.node("Tanh", [input], {}, base);
      case "softplus":
        return g.node("Softplus", [input], {}, base);
      case "leakyrelu":
        return g.node("LeakyRelu", [input], {alpha: {float: alpha}}, base);
      default:
        return this.fail(op, `activation "${name}"`);
    }
  }

  pads(op: OpNode, input: OpNode, kernel: [number, number], strides: [number, number], dilations: [number, number]): number[] {
    const pad = String(this.attr(op, "pad", "valid")).toLowerCase();
    if (pad === "valid") return [0, 0, 0, 0];
    if (pad === "explicit") {
      const e = this.attr<number[]>(op, "explicitPaddings");
      return [e[2]!, e[4]!, e[3]!, e[5]!];
    }
    if (pad !== "same") this.fail(op, `padding "${pad}"`);
    const [, h, w] = this.shapes.get(input.name) as number[];
    const [top, bottom] = samePads(h!, kernel[0], strides[0], dilations[0]);
    const [left, right] = samePads(w!, kernel[1], strides[1], dilations[1]);
    return [top, left, bottom, right];
  }

  nhwcOnly(op: OpNode): void {
    const format = String(this.attr(op, "dataFormat", "nhwc")).toLowerCase();
    if (format !== "nhwc") this.fail(op, `data format ${format} (only NHWC)`);
  }

  convertInput(name: string): void {
    const p = this.options.preprocessing;
    let x = this.g.reserve(INPUT_NAME);
    if (p) {
      const [lo, hi] = p.range;
      x = this.g.node(
        "Mul",
        [
          x,
          this.g.floats(
            "preprocess/scale",
            Float32Array.from(p.std, (s) => (hi - lo) / 255 / s),
            [3]
          )
        ],
        {},
        "preprocess/scaled"
      );
      x = this.g.node(
        "Add",
        [
          x,
          this.g.floats(
            "preprocess/shift",
            Float32Array.from(p.std, (s, c) => (lo - p.mean[c]!) / s),
            [3]
          )
        ],
        {},
        "preprocess/shifted"
      );
    }
    this.values.set(name, this.g.node("Transpose", [x], {perm: TO_NCHW}, "input/nchw"));
  }

  /** NCHW → NHWC when 4-D. */
  toTfLayout(name: string, value: string): string {
    return this.rank(name) === 4 ? this.g.node("Transpose", [value], {perm: TO_NHWC}, `${name}/nhwc`) : value;
  }

  convert(op: OpNode): void {
    const g = this.g;
    const rank = this.rank(op.name);
    const set = (value: string) => void this.values.set(op.name, value);
    const first = op.inputs[0]!;
    switch (op.op) {
      case "Identity":
      case "StopGradient":
        return set(this.value(first, op));
      case "Conv2D":
      case "_FusedConv2D":
      case "DepthwiseConv2dNative":
      case "FusedDepthwiseConv2dNative": {
        this.nhwcOnly(op);
        const depthwise = op.op.includes("Depthwise");
        const filter = this.floats(op.inputs[1]!, op);
        const [kh, kw, cin, cout] = filter.shape as [number, number, number, number];
        const weight = depthwise ? permute4d(filter.data, filter.shape, [2, 3, 0, 1]) : permute4d(filter.data, filter.shape, [3, 2, 0, 1]);
        const dims = depthwise ? [cin * cout, 1, kh, kw] : [cout, cin, kh, kw];
        const s = this.attr<number[]>(op, "strides");
        const d = this.attr<number[]>(op, "dilations", [1, 1, 1, 1]);
        const strides: [number, number] = [s[1]!, s[2]!];
        const dilations: [number, number] = [d[1]!, d[2]!];
        const fused = this.attr<string[]>(op, "fusedOps", []).map((f) => f.toLowerCase());
        const inputs = [this.value(first, op), g.floats(`${op.name}/filter`, weight, dims)];
        if (fused.length > 0) {
          if (fused[0] !== "biasadd" || fused.length > 2) this.fail(op, `fused ops ${JSON.stringify(fused)} (only BiasAdd and one activation)`);
          const bias = this.floats(op.inputs[2]!, op);
          inputs.push(g.floats(`${op.name}/bias`, bias.data, [bias.data.length]));
        }
        const attributes: Record<string, AttributeValue> = {
          kernel_shape: [kh, kw],
          strides,
          dilations,
          pads: this.pads(op, first, [kh, kw], strides, dilations)
        };
        if (depthwise) attributes.group = cin;
        const y = g.node("Conv", inputs, attributes, op.name);
        return set(fused[1] ? this.activation(op, fused[1], y, op.name, this.attr(op, "leakyreluAlpha", 0.2)) : y);
      }
      case "MatMul":
      case "_FusedMatMul": {
        if (this.attr(op, "transposeA", false)) this.fail(op, "transpose_a");
        const b = op.inputs[1]!;
        const fused = this.attr<string[]>(op, "fusedOps", []).map((f) => f.toLowerCase());
        if (fused.length > 0 && (fused[0] !== "biasadd" || fused.length > 2)) this.fail(op, `fused ops ${JSON.stringify(fused)}`);
        const weight = this.isConst(b)
          ? (() => {
              const w = this.floats(b, op);
              return g.floats(`${op.name}/weight`, w.data, w.shape);
            })()
          : this.value(b, op);
        const inputs = [this.value(first, op), weight];
        if (fused.length > 0) {
          const bias = this.floats(op.inputs[2]!, op);
          inputs.push(g.floats(`${op.name}/bias`, bias.data, [bias.data.length]));
        }
        const y = g.node("Gemm", inputs, {transB: this.attr(op, "transposeB", false) ? 1 : 0}, op.name);
        return set(fused[1] ? this.activation(op, fused[1], y, op.name, this.attr(op, "leakyreluAlpha", 0.2)) : y);
      }
      case "BiasAdd":
      case "Add":
      case "AddV2":
      case "Sub":
      case "Mul":
      case "RealDiv":
      case "Maximum":
      case "Minimum": {
        if (op.op === "BiasAdd") this.nhwcOnly(op);
        const onnxOp = {BiasAdd: "Add", Add: "Add", AddV2: "Add", Sub: "Sub", Mul: "Mul", RealDiv: "Div", Maximum: "Max", Minimum: "Min"}[op.op]!;
        if (op.inputs.length !== 2) this.fail(op, `${op.inputs.length} inputs`);
        return set(
          g.node(
            onnxOp,
            op.inputs.map((i) => this.operand(i, op, rank)),
            {},
            op.name
          )
        );
      }
      case "Relu":
      case "Relu6":
      case "Elu":
      case "Selu":
      case "Sigmoid":
      case "Tanh":
      case "Softplus":
      case "LeakyRelu":
        return set(this.activation(op, op.op.toLowerCase(), this.value(first, op), op.name, this.attr(op, "alpha", 0.2)));
      case "Softmax":
        return set(g.node("Softmax", [this.value(first, op)], {axis: rank === 4 ? 1 : -1}, op.name));
      case "FusedBatchNorm":
      case "FusedBatchNormV2":
      case "FusedBatchNormV3": {
        this.nhwcOnly(op);
        const [scale, offset, mean, variance] = op.inputs.slice(1, 5).map((i) => this.floats(i, op).data);
        const c = scale!.length;
        const params = [scale!, offset!, mean!, variance!].map((data, i) => g.floats(`${op.name}/${["scale", "offset", "mean", "variance"][i]}`, data, [c]));
        return set(g.node("BatchNormalization", [this.value(first, op), ...params], {epsilon: {float: this.attr(op, "epsilon", 1e-3)}}, op.name));
      }
      case "MaxPool":
      case "AvgPool": {
        this.nhwcOnly(op);
        const k = this.attr<number[]>(op, "kernelSize");
        const s = this.attr<number[]>(op, "strides");
        const kernel: [number, number] = [k[1]!, k[2]!];
        const strides: [number, number] = [s[1]!, s[2]!];
        const attributes: Record<string, AttributeValue> = {kernel_shape: kernel, strides, pads: this.pads(op, first, kernel, strides, [1, 1])};
        if (op.op === "AvgPool") attributes.count_include_pad = 0; // TF averages over the pixels inside only
        return set(g.node(op.op === "MaxPool" ? "MaxPool" : "AveragePool", [this.value(first, op)], attributes, op.name));
      }
      case "Mean": {
        const axes = this.ints(op.inputs[1]!, op)
          .map((a) => (a < 0 ? a + 4 : a))
          .sort();
        if (this.rank(first.name) !== 4 || axes.join() !== "1,2")
          this.fail(op, `mean over axes ${JSON.stringify(axes)} (only the spatial axes of a 4-D tensor)`);
        const pooled = g.node("GlobalAveragePool", [this.value(first, op)], {}, op.name);
        return set(this.attr(op, "keepDims", false) ? pooled : g.node("Flatten", [pooled], {axis: 1}, op.name));
      }
      case "Squeeze": {
        const inRank = this.rank(first.name);
        const axes = this.attr<number[]>(op, "axis", [])
          .map((a) => (a < 0 ? a + inRank : a))
          .sort();
        if (axes.length === 0) this.fail(op, "squeeze of every unit axis");
        // Of a 4-D tensor only both spatial axes ([N, 1, 1, C] → [N, C]): NCHW axes 2 and 3.
        if (inRank === 4 && axes.join() !== "1,2") this.fail(op, `squeeze of axes ${JSON.stringify(axes)} of a 4-D tensor (only 1 and 2)`);
        const mapped = inRank === 4 ? [2, 3] : axes;
        return set(g.node("Squeeze", [this.value(first, op), g.int64s(`${op.name}/axes`, mapped)], {}, op.name));
      }
      case "Reshape": {
        const shape = this.ints(op.inputs[1]!, op);
        const source = this.toTfLayout(first.name, this.value(first, op));
        // An unknown batch (-1 first) becomes 0: "copy the input's dimension", so -1 stays free for another axis.
        const target = shape[0] === -1 ? [0, ...shape.slice(1)] : shape;
        const reshaped = g.node("Reshape", [source, g.int64s(`${op.name}/shape`, target)], {}, op.name);
        return set(rank === 4 ? g.node("Transpose", [reshaped], {perm: TO_NCHW}, op.name) : reshaped);
      }
      case "ConcatV2": {
        const axisOp = op.inputs[op.inputs.length - 1]!;
        const a = this.ints(axisOp, op)[0]!;
        const normal = a < 0 ? a + rank : a;
        return set(
          g.node(
            "Concat",
            op.inputs.slice(0, -1).map((i) => this.operand(i, op, rank)),
            {axis: rank === 4 ? TO_NCHW.indexOf(normal) : normal},
            op.name
          )
        );
      }
      case "Pad":
      case "PadV2": {
        const p = this.ints(op.inputs[1]!, op);
        if (rank !== 4 || p[0] !== 0 || p[1] !== 0 || p[6] !== 0 || p[7] !== 0) this.fail(op, "padding of other than the spatial axes of a 4-D tensor");
        const inputs = [this.value(first, op), g.int64s(`${op.name}/pads`, [0, 0, p[2]!, p[4]!, 0, 0, p[3]!, p[5]!])];
        if (op.op === "PadV2") inputs.push(g.scalar(this.floats(op.inputs[2]!, op).data[0]!));
        return set(g.node("Pad", inputs, {mode: "constant"}, op.name));
      }
      default:
        return this.fail(op, "this op has no ONNX conversion");
    }
  }
}

/**
 * Converts a GraphModel (single image input, single output, NHWC) to ONNX with a dynamic batch.
 * With `logits`, a final Softmax / Sigmoid op is left out, as the engine's GraphModel runner does.
 */
export function graphModelToOnnx(model: tf.GraphModel, options: ConvertOptions = {}): OnnxModel {
  const runner = graphModelRunner(model);
  const graph = runner.graph;
  const opGraph = (model as unknown as {executor: {graph: {nodes: Record<string, OpNode>}}}).executor.graph;
  const byName = (node: GraphNode) => opGraph.nodes[node.name]!;
  const outputOp = byName(graph.output);
  const logitsNode =
    options.logits && (outputOp.op === "Softmax" || outputOp.op === "Sigmoid") ? graph.nodes.find((n) => n.name === outputOp.inputs[0]!.name)! : graph.output;
  const requested = (options.outputs ?? []).map((name) => {
    const node = graph.nodes.find((n) => n.name === name && n !== graph.input);
    if (!node) throw new Error(`GraphModel has no op "${name}" to output`);
    return node;
  });
  if (options.skipModelOutput && requested.length === 0) throw new Error("skipModelOutput needs at least one op in outputs");
  const targets = options.skipModelOutput ? requested : [logitsNode, ...requested];
  const needed = neededNodes(targets);
  const shapes = new Map(graph.nodes.map((n) => [n.name, n.shape]));
  const c = new GraphConverter(model.weights as unknown as Record<string, tf.Tensor | tf.Tensor[]>, shapes, options);
  const modelOutputName = options.logits ? "logits" : "output";
  const names = targets.map((node, i) => c.g.reserve(!options.skipModelOutput && i === 0 ? modelOutputName : node.name));
  for (const node of graph.nodes) {
    if (!needed.has(node)) continue;
    if (node === graph.input) c.convertInput(node.name);
    else c.convert(byName(node));
  }
  const outputs: OnnxOutput[] = [];
  const infos = [];
  for (const [i, node] of targets.entries()) {
    const name = names[i]!;
    c.g.node("Identity", [c.toTfLayout(node.name, c.value(byName(node), byName(node)))], {}, name, name);
    const isModelOutput = !options.skipModelOutput && i === 0;
    outputs.push({name, layer: isModelOutput ? graph.output.name : node.name, shape: [...node.shape]});
    infos.push(c.g.valueInfo(name, node.shape));
  }
  const bytes = c.g.serialise("graph-model", [c.g.valueInfo(INPUT_NAME, graph.input.shape)], infos, "converted from a tfjs GraphModel");
  return {bytes, inputName: INPUT_NAME, inputShape: [...graph.input.shape], outputs, description: `GraphModel (${needed.size - 1} ops)`};
}
