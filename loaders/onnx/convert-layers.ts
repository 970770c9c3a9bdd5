/**
 * tfjs LayersModel → ONNX. The model is flattened with the engine's own graph code
 * (src/lib/model/graph.ts: nested models and residual blocks included, qualified layer names), then
 * each layer call becomes ONNX nodes.
 *
 * Layout is handled once: the ONNX input is NHWC like the tfjs model's, one Transpose turns it into
 * NCHW (what ONNX convolutions and ONNX Runtime's fast kernels use), every 4-D tensor stays NCHW
 * inside, and a tensor goes back to NHWC only where tfjs semantics need it (Flatten and Reshape,
 * which order elements NHWC, and 4-D graph outputs). Tensors of other ranks are as in tfjs.
 */
import type * as tf from "@tensorflow/tfjs";
import {finalActivation, flattenModel, neededNodes, type GraphNode} from "../../src/lib/model/graph.js";
import type {Preprocessing} from "../../src/lib/model/preprocessing.js";
import {UnsupportedLayerError} from "./errors.js";
import {GraphBuilder, type AttributeValue} from "./proto.js";

export interface ConvertOptions {
  /**
   * Output the logits: a final softmax / sigmoid (Dense activation, Activation or Softmax layer)
   * is left out, exactly as ExplainableModel.logits does (src/lib/model/graph.ts).
   */
  logits?: boolean;
  /** Extra graph outputs: these layers' activations, NHWC for 4-D ones (as tfjs gives them). */
  outputs?: readonly string[];
  /** Leave the model's own output out (only `outputs`): the graph then ends at the deepest of them. */
  skipModelOutput?: boolean;
  /**
   * Bake the pixel preprocessing into the graph: the input is then pixels 0..255 (what the
   * engine's ExplainableModel methods take) instead of model input.
   */
  preprocessing?: Preprocessing;
}

export interface OnnxOutput {
  /** ONNX output name: "output" (or "logits" with `logits`) for the model output, else the layer name. */
  name: string;
  /** Layer (or op) name in the tfjs model. */
  layer: string;
  /** Shape with the batch dimension null, in tfjs (NHWC) order. */
  shape: (number | null)[];
}

export interface OnnxModel {
  bytes: Uint8Array;
  inputName: string;
  /** [null, height, width, channels]. */
  inputShape: (number | null)[];
  /** The model output first (unless skipped), then `outputs` in the order asked. */
  outputs: OnnxOutput[];
  /** What was converted, for notices. */
  description: string;
}

export const INPUT_NAME = "input";

type Config = Record<string, unknown>;

const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];

function numberPair(value: unknown, what: string, node: GraphNode): [number, number] {
  const pair = typeof value === "number" ? [value, value] : Array.isArray(value) ? value : null;
  if (!pair || pair.length !== 2 || !pair.every((v) => Number.isInteger(v))) {
    throw new UnsupportedLayerError(node.name, node.className, `${what} ${JSON.stringify(value)} is not a pair of integers`);
  }
  return pair as [number, number];
}

/** TF "same" padding of one spatial axis: total pad split with the extra pixel at the end. */
export function samePads(size: number, kernel: number, stride: number, dilation: number): [number, number] {
  const effective = (kernel - 1) * dilation + 1;
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + effective - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

/** Reorders a row-major 4-D array by `perm` (out axis i = in axis perm[i]). */
export function permute4d(data: Float32Array, shape: readonly number[], perm: readonly number[]): Float32Array {
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = [shape[1]! * shape[2]! * shape[3]!, shape[2]! * shape[3]!, shape[3]!, 1];
  const s = perm.map((p) => inStrides[p]!);
  const out = new Float32Array(data.length);
  let o = 0;
  for (let a = 0; a < outShape[0]!; a++) {
    for (let b = 0; b < outShape[1]!; b++) {
      for (let c = 0; c < outShape[2]!; c++) {
        const base = a * s[0]! + b * s[1]! + c * s[2]!;
        for (let d = 0; d < outShape[3]!; d++) out[o++] = data[base + d * s[3]!]!;
      }
    }
  }
  return out;
}

class LayersConverter {
  readonly g = new GraphBuilder();
  /** ONNX tensor of each computed node (4-D ones NCHW). */
  private readonly values = new Map<GraphNode, string>();

  constructor(private readonly options: ConvertOptions) {}

  value(node: GraphNode): string {
    const name = this.values.get(node);
    if (name === undefined) throw new Error(`internal: ${node.name} used before it was converted`);
    return name;
  }

  set(node: GraphNode, name: string): void {
    this.values.set(node, name);
  }

  fail(node: GraphNode, reason: string): never {
    throw new UnsupportedLayerError(node.name, node.className, reason);
  }

  weights(node: GraphNode): Array<{name: string; data: Float32Array; shape: number[]}> {
    const layer = node.layer!;
    const tensors = layer.getWeights();
    return layer.weights.map((w, i) => ({name: w.originalName, data: tensors[i]!.dataSync() as Float32Array, shape: [...tensors[i]!.shape]}));
  }

  /** The element-wise activation `name` (tfjs names) on a tensor of `rank` (4-D ones NCHW). */
  activation(node: GraphNode, activation: string, input: string, rank: number): string {
    const g = this.g;
    const base = `${node.name}/${activation}`;
    switch (activation) {
      case "linear":
        return input;
      case "relu":
        return g.node("Relu", [input], {}, base);
      case "relu6":
        return g.node("Clip", [input, g.scalar(0), g.scalar(6)], {}, base);
      case "sigmoid":
        return g.node("Sigmoid", [input], {}, base);
      case "tanh":
        return g.node("Tanh", [input], {}, base);
      case "softplus":
        return g.node("Softplus", [input], {}, base);
      case "softsign":
        return g.node("Softsign", [input], {}, base);
      case "elu":
        return g.node("Elu", [input], {alpha: {float: 1}}, base);
      case "selu":
        // tfjs's constants (ONNX's defaults are rounded differently).
        return g.node("Selu", [input], {alpha: {float: 1.6732632423543772}, gamma: {float: 1.0507009873554805}}, base);
      case "hardSigmoid":
        return g.node("HardSigmoid", [input], {alpha: {float: 0.2}, beta: {float: 0.5}}, base);
      case "softmax":
      case "logSoftmax":
        // tfjs applies it on the last axis: the channels, axis 1 of an NCHW tensor.
        return g.node(activation === "softmax" ? "Softmax" : "LogSoftmax", [input], {axis: rank === 4 ? 1 : -1}, base);
      case "swish":
        return g.node("Mul", [g.node("Sigmoid", [input], {}, base), input], {}, base);
      case "mish": {
        const t = g.node("Tanh", [g.node("Softplus", [input], {}, base)], {}, base);
        return g.node("Mul", [input, t], {}, base);
      }
      case "gelu": {
        // x · ½(1 + erf(x/√2)), as tfjs computes it.
        const erf = g.node("Erf", [g.node("Div", [input, g.scalar(Math.SQRT2)], {}, base)], {}, base);
        const cdf = g.node("Mul", [g.node("Add", [erf, g.scalar(1)], {}, base), g.scalar(0.5)], {}, base);
        return g.node("Mul", [input, cdf], {}, base);
      }
      case "gelu_new": {
        // ½x(1 + tanh(√(2/π)(x + 0.044715x³))).
        const cube = g.node("Mul", [g.node("Mul", [input, input], {}, base), input], {}, base);
        const inner = g.node("Add", [input, g.node("Mul", [cube, g.scalar(0.044715)], {}, base)], {}, base);
        const t = g.node("Tanh", [g.node("Mul", [inner, g.scalar(Math.sqrt(2 / Math.PI))], {}, base)], {}, base);
        const onePlus = g.node("Add", [t, g.scalar(1)], {}, base);
        return g.node("Mul", [g.node("Mul", [input, onePlus], {}, base), g.scalar(0.5)], {}, base);
      }
      default:
        return this.fail(node, `activation "${activation}" is not supported`);
    }
  }

  /** Activation named in a layer's config (Conv, Dense, Activation). */
  configActivation(node: GraphNode, config: Config): string {
    const a = config.activation;
    if (a === undefined || a === null) return "linear";
    if (typeof a !== "string") this.fail(node, `activation ${JSON.stringify(a)} is not a built-in name`);
    return a;
  }

  checkChannelsLast(node: GraphNode, config: Config): void {
    const format = config.dataFormat;
    if (format !== undefined && format !== null && format !== "channelsLast") this.fail(node, `data format "${String(format)}" (only channelsLast)`);
  }

  /** Explicit ONNX pads [top, left, bottom, right] for a window op on this node's input. */
  pads(node: GraphNode, padding: unknown, kernel: [number, number], strides: [number, number], dilation: [number, number]): number[] {
    if (padding === "valid") return [0, 0, 0, 0];
    if (padding !== "same") this.fail(node, `padding "${String(padding)}" (only valid and same)`);
    const [, h, w] = node.inputs[0]!.shape as number[];
    if (!h || !w) this.fail(node, "input height and width must be fixed");
    const [top, bottom] = samePads(h, kernel[0], strides[0], dilation[0]);
    const [left, right] = samePads(w, kernel[1], strides[1], dilation[1]);
    return [top, left, bottom, right];
  }

  conv(node: GraphNode, input: string, config: Config, weight: Float32Array, weightShape: number[], bias: Float32Array | null, group: number): string {
    const kernel: [number, number] = [weightShape[2]!, weightShape[3]!];
    const strides = numberPair(config.strides ?? 1, "strides", node);
    const dilation = numberPair(config.dilationRate ?? 1, "dilation rate", node);
    const pads = this.pads(node, config.padding ?? "valid", kernel, strides, dilation);
    const inputs = [input, this.g.floats(`${node.name}/kernel`, weight, weightShape)];
    if (bias) inputs.push(this.g.floats(`${node.name}/bias`, bias, [bias.length]));
    return this.g.node("Conv", inputs, {kernel_shape: kernel, strides, dilations: dilation, pads, group}, node.name);
  }

  /** NCHW → NHWC when 4-D (for Flatten, Reshape and outputs). */
  toTfLayout(node: GraphNode, name: string): string {
    return node.shape.length === 4 ? this.g.node("Transpose", [name], {perm: TO_NHWC}, `${node.name}/nhwc`) : name;
  }

  convertInput(node: GraphNode): void {
    const p = this.options.preprocessing;
    let x = this.g.reserve(INPUT_NAME);
    if (p) {
      // pixels·(hi−lo)/255 + lo, then (· − mean)/std: one per-channel scale and shift (last axis, NHWC).
      const [lo, hi] = p.range;
      const scale = Float32Array.from(p.std, (s) => (hi - lo) / 255 / s);
      const shift = Float32Array.from(p.std, (s, c) => (lo - p.mean[c]!) / s);
      x = this.g.node("Mul", [x, this.g.floats("preprocess/scale", scale, [3])], {}, "preprocess/scaled");
      x = this.g.node("Add", [x, this.g.floats("preprocess/shift", shift, [3])], {}, "preprocess/shifted");
    }
    this.set(node, this.g.node("Transpose", [x], {perm: TO_NCHW}, "input/nchw"));
  }

  convertLayer(node: GraphNode, logitsOnly: boolean): void {
    const g = this.g;
    const layer = node.layer!;
    const config = layer.getConfig() as Config;
    const inputs = node.inputs.map((n) => this.value(n));
    const x = inputs[0]!;
    const rank = node.shape.length;
    const inRank = node.inputs[0]?.shape.length ?? 0;
    const dropFinal = logitsOnly && ["softmax", "sigmoid"].includes(finalActivation(layer));
    switch (node.className) {
      case "Conv2D": {
        this.checkChannelsLast(node, config);
        if (inRank !== 4) this.fail(node, `input rank ${inRank}`);
        const [kernel, bias] = this.weights(node);
        // tfjs [kh, kw, in, out] → ONNX [out, in, kh, kw].
        const w = permute4d(kernel!.data, kernel!.shape, [3, 2, 0, 1]);
        const y = this.conv(
          node,
          x,
          config,
          w,
          [kernel!.shape[3]!, kernel!.shape[2]!, kernel!.shape[0]!, kernel!.shape[1]!],
          config.useBias === false ? null : bias!.data,
          1
        );
        return this.set(node, this.activation(node, this.configActivation(node, config), y, 4));
      }
      case "DepthwiseConv2D": {
        this.checkChannelsLast(node, config);
        const [kernel, bias] = this.weights(node);
        const [kh, kw, cin, mult] = kernel!.shape as [number, number, number, number];
        // tfjs [kh, kw, in, m] → ONNX [in·m, 1, kh, kw] with group = in: output channel c·m + j, as in tfjs.
        const w = permute4d(kernel!.data, kernel!.shape, [2, 3, 0, 1]);
        const y = this.conv(node, x, config, w, [cin * mult, 1, kh, kw], config.useBias === false ? null : bias!.data, cin);
        return this.set(node, this.activation(node, this.configActivation(node, config), y, 4));
      }
      case "SeparableConv2D": {
        this.checkChannelsLast(node, config);
        const [depthwise, pointwise, bias] = this.weights(node);
        const [kh, kw, cin, mult] = depthwise!.shape as [number, number, number, number];
        const dw = permute4d(depthwise!.data, depthwise!.shape, [2, 3, 0, 1]);
        const mid = this.conv(node, x, config, dw, [cin * mult, 1, kh, kw], null, cin);
        const [, , pin, pout] = pointwise!.shape as [number, number, number, number];
        const pw = permute4d(pointwise!.data, pointwise!.shape, [3, 2, 0, 1]);
        const pwInputs = [mid, g.floats(`${node.name}/pointwise`, pw, [pout, pin, 1, 1])];
        if (config.useBias !== false) pwInputs.push(g.floats(`${node.name}/bias`, bias!.data, [pout]));
        const y = g.node("Conv", pwInputs, {kernel_shape: [1, 1]}, node.name);
        return this.set(node, this.activation(node, this.configActivation(node, config), y, 4));
      }
      case "Dense": {
        const [kernel, bias] = this.weights(node);
        const [fanIn, units] = kernel!.shape as [number, number];
        const b = config.useBias === false ? null : bias!.data;
        let y: string;
        if (inRank === 2) {
          const w = g.floats(`${node.name}/kernel`, kernel!.data, [fanIn, units]);
          y = b ? g.node("Gemm", [x, w, g.floats(`${node.name}/bias`, b, [units])], {}, node.name) : g.node("MatMul", [x, w], {}, node.name);
        } else if (inRank === 4) {
          // Dense on the last (channel) axis of a 4-D tensor is a 1×1 convolution in NCHW.
          const w = permute4d(kernel!.data, [1, 1, fanIn, units], [3, 2, 0, 1]);
          const inputs4 = [x, g.floats(`${node.name}/kernel`, w, [units, fanIn, 1, 1])];
          if (b) inputs4.push(g.floats(`${node.name}/bias`, b, [units]));
          y = g.node("Conv", inputs4, {kernel_shape: [1, 1]}, node.name);
        } else {
          return this.fail(node, `input rank ${inRank} (only 2 or 4)`);
        }
        return this.set(node, dropFinal ? y : this.activation(node, this.configActivation(node, config), y, rank));
      }
      case "BatchNormalization": {
        const axis = Number(config.axis ?? -1);
        if (!(axis === -1 || axis === inRank - 1) || (inRank !== 4 && inRank !== 2))
          this.fail(node, `axis ${axis} of a rank-${inRank} input (only the last axis of 2-D or 4-D)`);
        const named = new Map(this.weights(node).map((w) => [w.name.replace(/^.*\//, "").replace(/_\d+$/, ""), w.data]));
        const mean = named.get("moving_mean");
        const variance = named.get("moving_variance");
        if (!mean || !variance) this.fail(node, "moving mean or variance not found");
        // scale: false / center: false leave γ = 1 / β = 0.
        const gamma = named.get("gamma") ?? new Float32Array(mean.length).fill(1);
        const beta = named.get("beta") ?? new Float32Array(mean.length);
        const c = mean.length;
        const y = g.node(
          "BatchNormalization",
          [
            x,
            g.floats(`${node.name}/gamma`, gamma, [c]),
            g.floats(`${node.name}/beta`, beta, [c]),
            g.floats(`${node.name}/moving_mean`, mean, [c]),
            g.floats(`${node.name}/moving_variance`, variance, [c])
          ],
          {epsilon: {float: Number(config.epsilon ?? 1e-3)}},
          node.name
        );
        return this.set(node, y);
      }
      case "Activation":
        return this.set(node, dropFinal ? x : this.activation(node, this.configActivation(node, config), x, rank));
      case "ReLU": {
        // tfjs's ReLU layer applies only maxValue (negative slope and threshold are not read).
        const max = config.maxValue;
        if (max === undefined || max === null) return this.set(node, g.node("Relu", [x], {}, node.name));
        const bounds = [g.scalar(0), g.scalar(Number(max))];
        return this.set(node, g.node("Clip", [x, ...bounds], {}, node.name));
      }
      case "LeakyReLU":
        return this.set(node, g.node("LeakyRelu", [x], {alpha: {float: Number(config.alpha ?? 0.3)}}, node.name));
      case "ELU":
        return this.set(node, g.node("Elu", [x], {alpha: {float: Number(config.alpha ?? 1)}}, node.name));
      case "ThresholdedReLU":
        return this.set(node, g.node("ThresholdedRelu", [x], {alpha: {float: Number(config.theta ?? 1)}}, node.name));
      case "Softmax": {
        if (dropFinal) return this.set(node, x);
        const axes = Array.isArray(config.axis) ? config.axis : [config.axis ?? -1];
        if (axes.length !== 1) this.fail(node, `softmax over several axes ${JSON.stringify(config.axis)}`);
        const a = Number(axes[0]);
        const normal = a < 0 ? a + rank : a;
        if (normal !== rank - 1) this.fail(node, `softmax axis ${a} (only the last axis)`);
        return this.set(node, g.node("Softmax", [x], {axis: rank === 4 ? 1 : -1}, node.name));
      }
      case "Dropout":
      case "SpatialDropout1D":
      case "SpatialDropout2D":
      case "GaussianNoise":
      case "GaussianDropout":
      case "AlphaDropout":
        // Identity at inference.
        return this.set(node, x);
      case "Add":
      case "Multiply":
      case "Maximum":
      case "Minimum":
      case "Average": {
        if (node.inputs.some((n) => n.shape.length !== rank)) this.fail(node, "inputs of different ranks");
        const op = {Add: "Add", Multiply: "Mul", Maximum: "Max", Minimum: "Min", Average: "Add"}[node.className]!;
        let y = inputs.slice(1).reduce((acc, v) => g.node(op, [acc, v], {}, node.name), x);
        if (node.className === "Average") y = g.node("Mul", [y, g.scalar(1 / inputs.length)], {}, node.name);
        return this.set(node, y);
      }
      case "Concatenate": {
        const a = Number(config.axis ?? -1);
        const normal = a < 0 ? a + rank : a;
        const axis = rank === 4 ? TO_NCHW.indexOf(normal) : normal;
        return this.set(node, g.node("Concat", inputs, {axis}, node.name));
      }
      case "MaxPooling2D":
      case "AveragePooling2D": {
        this.checkChannelsLast(node, config);
        const kernel = numberPair(config.poolSize ?? 2, "pool size", node);
        const strides = numberPair(config.strides ?? kernel, "strides", node);
        const pads = this.pads(node, config.padding ?? "valid", kernel, strides, [1, 1]);
        // TF's average pooling divides by the pixels inside the image only: count_include_pad = 0.
        const attributes: Record<string, AttributeValue> = {kernel_shape: kernel, strides, pads};
        if (node.className === "AveragePooling2D") attributes.count_include_pad = 0;
        return this.set(node, g.node(node.className === "MaxPooling2D" ? "MaxPool" : "AveragePool", [x], attributes, node.name));
      }
      case "GlobalAveragePooling2D":
      case "GlobalMaxPooling2D": {
        this.checkChannelsLast(node, config);
        const pooled = g.node(node.className === "GlobalAveragePooling2D" ? "GlobalAveragePool" : "GlobalMaxPool", [x], {}, node.name);
        // [N, C, 1, 1]; tfjs gives [N, C] (its 4.22 layers have no keepDims).
        return this.set(node, rank === 4 ? pooled : g.node("Flatten", [pooled], {axis: 1}, node.name));
      }
      case "ZeroPadding2D": {
        this.checkChannelsLast(node, config);
        const p = config.padding as unknown;
        const rows = Array.isArray(p) ? numberPair(p[0], "padding", node) : numberPair(p, "padding", node);
        const cols = Array.isArray(p) ? numberPair(p[1], "padding", node) : numberPair(p, "padding", node);
        const pads = g.int64s(`${node.name}/pads`, [0, 0, rows[0], cols[0], 0, 0, rows[1], cols[1]]);
        return this.set(node, g.node("Pad", [x, pads], {mode: "constant"}, node.name));
      }
      case "Cropping2D": {
        this.checkChannelsLast(node, config);
        const c = config.cropping as unknown;
        const rows = Array.isArray(c) ? numberPair(c[0], "cropping", node) : numberPair(c, "cropping", node);
        const cols = Array.isArray(c) ? numberPair(c[1], "cropping", node) : numberPair(c, "cropping", node);
        const [, h, w] = node.inputs[0]!.shape as number[];
        const starts = g.int64s(`${node.name}/starts`, [rows[0], cols[0]]);
        const ends = g.int64s(`${node.name}/ends`, [h! - rows[1], w! - cols[1]]);
        return this.set(node, g.node("Slice", [x, starts, ends, g.int64s(`${node.name}/axes`, [2, 3])], {}, node.name));
      }
      case "Flatten": {
        // Keras flattens in NHWC order: back to NHWC first (free when H = W = 1).
        const spatial = node.inputs[0]!.shape.slice(1, -1).reduce<number>((a, b) => a * (b ?? 0), 1);
        const source = inRank === 4 && spatial !== 1 ? this.toTfLayout(node.inputs[0]!, x) : x;
        return this.set(node, g.node("Flatten", [source], {axis: 1}, node.name));
      }
      case "Reshape": {
        const target = (config.targetShape as (number | null)[]).map((d) => (d === null ? -1 : d));
        const source = this.toTfLayout(node.inputs[0]!, x);
        const reshaped = g.node("Reshape", [source, g.int64s(`${node.name}/shape`, [0, ...target])], {}, node.name);
        return this.set(node, rank === 4 ? g.node("Transpose", [reshaped], {perm: TO_NCHW}, node.name) : reshaped);
      }
      default:
        return this.fail(node, "this layer class has no ONNX conversion");
    }
  }
}

/**
 * Converts a LayersModel (single image input, single output) to an ONNX model with a dynamic
 * batch dimension. Throws UnsupportedLayerError naming the first layer it cannot convert.
 */
export function layersModelToOnnx(model: tf.LayersModel, options: ConvertOptions = {}): OnnxModel {
  const graph = flattenModel(model);
  const requested = (options.outputs ?? []).map((name) => {
    const node = graph.nodes.find((n) => n.name === name && n !== graph.input);
    if (!node) throw new Error(`model "${model.name}" has no layer "${name}" to output`);
    return node;
  });
  if (options.skipModelOutput && requested.length === 0) throw new Error("skipModelOutput needs at least one layer in outputs");
  const targets = options.skipModelOutput ? requested : [graph.output, ...requested];
  const needed = neededNodes(targets);
  const c = new LayersConverter(options);
  // Output names first, so that no internal tensor takes one (a layer may be called "logits").
  const modelOutputName = options.logits ? "logits" : "output";
  const names = targets.map((node, i) => c.g.reserve(!options.skipModelOutput && i === 0 ? modelOutputName : node.name));
  for (const node of graph.nodes) {
    if (!needed.has(node)) continue;
    if (node === graph.input) c.convertInput(node);
    else c.convertLayer(node, options.logits === true && node === graph.output);
  }
  const outputs: OnnxOutput[] = [];
  const infos = [];
  for (const [i, node] of targets.entries()) {
    const name = names[i]!;
    c.g.node("Identity", [c.toTfLayout(node, c.value(node))], {}, name, name);
    outputs.push({name, layer: node.name, shape: [...node.shape]});
    infos.push(c.g.valueInfo(name, node.shape));
  }
  const bytes = c.g.serialise(model.name, [c.g.valueInfo(INPUT_NAME, graph.input.shape)], infos, `converted from tfjs LayersModel "${model.name}"`);
  return {bytes, inputName: INPUT_NAME, inputShape: [...graph.input.shape], outputs, description: `LayersModel "${model.name}" (${needed.size - 1} layers)`};
}
