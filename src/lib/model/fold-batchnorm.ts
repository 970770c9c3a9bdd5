/**
 * Inference-time batch-norm folding: an equivalent LayersModel in which every Conv2D (or
 * DepthwiseConv2D) followed by a BatchNormalization with its moving statistics becomes one
 * convolution with a scaled kernel and a bias, and a ReLU right after a folded Conv2D becomes the
 * convolution's own activation (tfjs layers then run conv + bias + ReLU as one FusedConv2D kernel).
 *
 *   BN(conv(x, W) + b) = γ·(conv(x, W) + b − μ)/√(σ² + ε) + β = conv(x, W·s) + (b − μ)·s + β,
 *   with s = γ/√(σ² + ε) per output channel.
 *
 * Names: each folded chain (conv → BN [→ ReLU]) becomes one layer named after the chain's LAST
 * layer, so every tensor the folded model still computes keeps the name it had: `conv1_relu`,
 * `conv2_block1_3_bn`, `conv2_block1_add`, `conv2_block1_out`, `conv5_block3_out` all exist and
 * hold the same values as before, and the explainers' layer rules (block ends, the default CAM
 * layer) resolve to the same names. Only the intermediate tensors that no longer exist (the
 * conv's raw output, and the BN output when a ReLU was fused) lose their names.
 *
 * The result is for inference and gradients w.r.t. inputs or activations (what the explainers
 * take); it is not a training copy (the BN statistics are baked into the weights). Weights of
 * layers that are not folded are shared with the original by reference counting (no copy).
 */
import * as tf from "@tensorflow/tfjs";
import {ExplainableModel} from "./adapter.js";

type ConfigDict = Record<string, unknown>;
/** One entry of a functional model's config: a layer and the calls that feed it. */
interface LayerEntry {
  name: string;
  className: string;
  config: ConfigDict;
  /** Calls; each call is a list of [layer name, node index, tensor index, kwargs]. */
  inboundNodes: Array<Array<[string, number, number, ConfigDict?]>>;
}
interface ModelConfig {
  name: string;
  layers: LayerEntry[];
  inputLayers: Array<[string, number, number]>;
  outputLayers: Array<[string, number, number]>;
}

export interface FoldedChain {
  /** Name of the layer in the folded model (the chain's last layer). */
  name: string;
  conv: string;
  batchNorm: string;
  /** The ReLU fused into the convolution, if any. */
  relu?: string;
}

export interface FoldOptions {
  /**
   * Keep batch norms that cannot be folded (input not a lone convolution, ...) as they are
   * instead of throwing. Default false: a model that cannot be folded entirely is an error.
   */
  allowUnfolded?: boolean;
}

export interface FoldPlan {
  chains: FoldedChain[];
  /** Batch norms left in place, with the reason (only with allowUnfolded). */
  unfolded: Array<{batchNorm: string; reason: string}>;
}

const CONVS = new Set(["Conv2D", "DepthwiseConv2D"]);
const NESTED = new Set(["Model", "Functional", "Sequential"]);

function modelConfig(model: tf.LayersModel): ModelConfig {
  if (model.getClassName() === "Sequential") {
    throw new Error(`cannot fold batch norm in "${model.name}": Sequential models are not supported (rebuild it with tf.model)`);
  }
  // A deep copy: getConfig() may hand out the layers' own objects.
  const config = JSON.parse(JSON.stringify(model.getConfig())) as ModelConfig;
  if (!Array.isArray(config.layers) || !Array.isArray(config.outputLayers)) {
    throw new Error(`cannot fold batch norm in "${model.name}": not a functional model`);
  }
  return config;
}

/** Why a BN (entry) cannot be folded into its input, or null when it can. */
function unfoldableReason(bn: LayerEntry, byName: Map<string, LayerEntry>, consumers: Map<string, number>, rankOf: (name: string) => number): string | null {
  if (bn.inboundNodes.length !== 1 || bn.inboundNodes[0]!.length !== 1) return "it is called more than once (shared layer)";
  const [source, , tensorIndex] = bn.inboundNodes[0]![0]!;
  const conv = byName.get(source);
  if (!conv || !CONVS.has(conv.className)) return `its input "${source}" is a ${conv?.className ?? "model input"}, not a Conv2D or DepthwiseConv2D`;
  if (tensorIndex !== 0 || conv.inboundNodes.length !== 1) return `its input "${source}" is a shared layer`;
  if ((consumers.get(source) ?? 0) !== 1) return `the output of "${source}" is also used elsewhere`;
  const activation = String(conv.config.activation ?? "linear");
  if (activation !== "linear") return `"${source}" applies activation "${activation}" before the batch norm`;
  if ((conv.config.dataFormat ?? "channelsLast") !== "channelsLast") return `"${source}" is channels-first`;
  const rank = rankOf(bn.name);
  const axes = ([] as unknown[]).concat(bn.config.axis ?? -1).map(Number);
  if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== rank - 1)) return `it normalises axis ${JSON.stringify(bn.config.axis)}, not the channel axis`;
  return null;
}

function isRelu(entry: LayerEntry): boolean {
  if (entry.className === "Activation") return entry.config.activation === "relu";
  if (entry.className === "ReLU") return entry.config.maxValue == null;
  return false;
}

function plan(model: tf.LayersModel, config: ModelConfig, options: FoldOptions): FoldPlan {
  const byName = new Map(config.layers.map((l) => [l.name, l]));
  const nested = config.layers.find((l) => NESTED.has(l.className));
  if (nested) throw new Error(`cannot fold batch norm in "${model.name}": layer "${nested.name}" is a nested model (fold that model first)`);
  // Calls that read each layer's output (a model output counts as one more reader).
  const consumers = new Map<string, number>();
  const readers = new Map<string, LayerEntry[]>();
  for (const layer of config.layers) {
    for (const call of layer.inboundNodes) {
      for (const [source] of call) {
        consumers.set(source, (consumers.get(source) ?? 0) + 1);
        readers.set(source, [...(readers.get(source) ?? []), layer]);
      }
    }
  }
  for (const [name] of config.outputLayers) consumers.set(name, (consumers.get(name) ?? 0) + 1);
  const rankOf = (name: string) => {
    const shape = model.getLayer(name).outputShape;
    return (Array.isArray(shape[0]) ? (shape[0] as unknown[]) : (shape as unknown[])).length;
  };
  const result: FoldPlan = {chains: [], unfolded: []};
  for (const bn of config.layers) {
    if (bn.className !== "BatchNormalization") continue;
    const reason = unfoldableReason(bn, byName, consumers, rankOf);
    if (reason) {
      if (!options.allowUnfolded) throw new Error(`cannot fold batch norm "${bn.name}" in "${model.name}": ${reason}`);
      result.unfolded.push({batchNorm: bn.name, reason});
      continue;
    }
    const conv = bn.inboundNodes[0]![0]![0];
    const next = readers.get(bn.name) ?? [];
    const relu = next[0];
    // tfjs layers fuse an activation into Conv2D only (not DepthwiseConv2D).
    const fuseRelu =
      byName.get(conv)!.className === "Conv2D" && consumers.get(bn.name) === 1 && relu !== undefined && isRelu(relu) && relu.inboundNodes.length === 1;
    result.chains.push({name: fuseRelu ? relu.name : bn.name, conv, batchNorm: bn.name, ...(fuseRelu ? {relu: relu.name} : {})});
  }
  return result;
}

/** What foldBatchNorm would do to `model` (throws as it would). */
export function batchNormFoldPlan(model: tf.LayersModel, options: FoldOptions = {}): FoldPlan {
  return plan(model, modelConfig(model), options);
}

function weightNamed(layer: tf.layers.Layer, suffix: string): Float32Array | null {
  const variable = layer.weights.find((w) => w.originalName.endsWith(`/${suffix}`) || w.originalName === suffix);
  return variable ? (variable.read().dataSync() as Float32Array) : null;
}

/** Folded kernel and bias of one chain, computed in double precision. */
function foldedWeights(convLayer: tf.layers.Layer, bnLayer: tf.layers.Layer): [tf.Tensor, tf.Tensor1D] {
  const bnConfig = bnLayer.getConfig() as {epsilon: number};
  const mean = weightNamed(bnLayer, "moving_mean")!;
  const variance = weightNamed(bnLayer, "moving_variance")!;
  const gamma = weightNamed(bnLayer, "gamma");
  const beta = weightNamed(bnLayer, "beta");
  const [kernelVar, biasVar] = convLayer.getWeights();
  const kernel = kernelVar!.dataSync() as Float32Array;
  const channels = mean.length;
  const bias = biasVar ? (biasVar.dataSync() as Float32Array) : new Float32Array(channels);
  const scale = new Float64Array(channels);
  const foldedBias = new Float32Array(channels);
  for (let c = 0; c < channels; c++) {
    scale[c] = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + bnConfig.epsilon);
    foldedBias[c] = (bias[c]! - mean[c]!) * scale[c]! + (beta ? beta[c]! : 0);
  }
  // Conv2D kernels are [kh, kw, in, out]; depthwise [kh, kw, in, multiplier] with output channel
  // in·multiplier + m: either way the output channel is the flat index modulo `channels`.
  if (kernel.length % channels !== 0) throw new Error(`kernel of "${convLayer.name}" does not match the ${channels} channels of "${bnLayer.name}"`);
  const folded = new Float32Array(kernel.length);
  for (let i = 0; i < kernel.length; i += channels) {
    for (let c = 0; c < channels; c++) folded[i + c] = kernel[i + c]! * scale[c]!;
  }
  return [tf.tensor(folded, kernelVar!.shape), tf.tensor1d(foldedBias)];
}

/**
 * Returns a new LayersModel equivalent to `model` at inference, with batch norms folded into the
 * preceding convolutions (see the file comment). Throws for models it cannot fold: Sequential or
 * nested models, and (unless `allowUnfolded`) any batch norm that does not directly follow a
 * convolution whose output nothing else reads. A model without batch norm comes back as an
 * equivalent copy. The original model is left untouched; dispose either independently.
 */
export function foldBatchNorm(model: tf.LayersModel, options: FoldOptions = {}): tf.LayersModel {
  const config = modelConfig(model);
  const {chains} = plan(model, config, options);
  const byConv = new Map(chains.map((c) => [c.conv, c]));
  const removed = new Set(chains.flatMap((c) => [c.batchNorm, ...(c.relu ? [c.relu] : [])]));
  config.layers = config.layers
    .filter((l) => !removed.has(l.name))
    .map((layer) => {
      const chain = byConv.get(layer.name);
      if (!chain) return layer;
      const layerConfig: ConfigDict = {...layer.config, name: chain.name, useBias: true, biasInitializer: {className: "Zeros", config: {}}};
      if (chain.relu) layerConfig.activation = "relu";
      return {...layer, name: chain.name, config: layerConfig};
    });
  config.name = model.name;
  // fastWeightInit: zeros instead of random draws; every weight is set below.
  const folded = tf.LayersModel.fromConfig(tf.LayersModel, config as unknown as tf.serialization.ConfigDict, {}, true) as tf.LayersModel;
  const byName = new Map(chains.map((c) => [c.name, c]));
  for (const layer of folded.layers) {
    if (layer.weights.length === 0) continue;
    const chain = byName.get(layer.name);
    if (chain) {
      const weights = foldedWeights(model.getLayer(chain.conv), model.getLayer(chain.batchNorm));
      layer.setWeights(weights);
      tf.dispose(weights);
    } else {
      layer.setWeights(model.getLayer(layer.name).getWeights());
    }
  }
  return folded;
}

/**
 * The same explainable model with batch norm folded (see foldBatchNorm): same meta (name,
 * preprocessing, class names), same layer names for the explainers' rules. For a CLI or bench
 * that wants the faster inference graph; the original is left as it is (dispose it separately).
 */
export function foldedExplainableModel(model: ExplainableModel, options: FoldOptions = {}): ExplainableModel {
  if (!(model.model instanceof tf.LayersModel))
    throw new Error(`cannot fold batch norm in "${model.meta.name}": only LayersModels can be folded, not GraphModels`);
  return new ExplainableModel(foldBatchNorm(model.model, options), {...model.meta, classNames: [...model.meta.classNames]});
}
