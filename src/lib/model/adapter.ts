/**
 * The engine's view of a CNN classifier: preprocessing and class names travel with the model,
 * layers are listed with SISE's block ends marked, and the graph can be probed at any layer
 * (inside residual blocks and nested models too).
 */
import * as tf from "@tensorflow/tfjs";
import {layersModelRunner, type GraphNode, type LayerGraph, type ModelRunner} from "./graph.js";
import {graphModelRunner} from "./graph-model-runner.js";
import {describeLayers, type LayerInfo} from "./layers.js";
import {preprocess, validatePreprocessing, UNIT_RANGE, type Preprocessing} from "./preprocessing.js";
import {activateLogits, classScores, targetClasses, type ClassTarget, type ScoreMode} from "./score.js";

export interface ModelMeta {
  name: string;
  preprocessing: Preprocessing;
  classNames: string[];
  /**
   * How the model's class probabilities come from its logits: softmax over the classes (single
   * label, the default) or a sigmoid per class (multi-label; card.json `"score": "sigmoid"`).
   */
  probability?: "softmax" | "sigmoid";
}

export interface ProbeRequest {
  /** Layers whose activations (and gradients, when `classIndex` is set) are returned. */
  layers: readonly string[];
  /** Class whose score is differentiated ("top": each image's prediction); omit for a forward pass only. */
  classIndex?: ClassTarget;
  score?: ScoreMode;
  /** Also return the gradient of the score w.r.t. the pixel input. */
  inputGradient?: boolean;
  /** Allow layers of any output shape (dense layers, 1×1 maps), not only CAM-capable ones. */
  anyShape?: boolean;
}

export interface ProbeResult {
  /** Logits [N, classes]. */
  logits: tf.Tensor2D;
  /** Score of the target class per image [N] (present when classIndex was given). */
  scores?: tf.Tensor1D;
  /** Target class per image, int32 [N] (present when classIndex was given). */
  classes?: tf.Tensor1D;
  activations: tf.Tensor4D[];
  /** ∂score/∂activation per layer, same shapes as activations (when classIndex was given). */
  gradients?: tf.Tensor4D[];
  inputGradient?: tf.Tensor4D;
}

export class ExplainableModel {
  readonly graph: LayerGraph;
  readonly runner: ModelRunner;
  readonly layers: LayerInfo[];
  readonly meta: ModelMeta;
  readonly inputHeight: number;
  readonly inputWidth: number;
  readonly numClasses: number;
  /** Activation of the final layer; "logit" scores undo it (softmax/sigmoid). */
  readonly outputActivation: string;

  constructor(
    readonly model: tf.LayersModel | tf.GraphModel,
    meta: Partial<ModelMeta> = {}
  ) {
    this.runner = model instanceof tf.GraphModel ? graphModelRunner(model) : layersModelRunner(model);
    this.graph = this.runner.graph;
    const [, height, width, channels] = this.graph.input.shape;
    if (this.graph.input.shape.length !== 4 || !height || !width || channels !== 3) {
      throw new Error(`model input must be [batch, height, width, 3] with a fixed size, got ${JSON.stringify(this.graph.input.shape)}`);
    }
    this.inputHeight = height;
    this.inputWidth = width;
    const outShape = this.graph.output.shape;
    if (outShape.length !== 2 || !outShape[1]) {
      throw new Error(`model output must be [batch, classes], got ${JSON.stringify(outShape)}`);
    }
    this.numClasses = outShape[1];
    this.outputActivation = this.runner.outputActivation;
    const classNames = meta.classNames ?? Array.from({length: this.numClasses}, (_, i) => `class ${i}`);
    if (classNames.length !== this.numClasses) {
      throw new Error(`model has ${this.numClasses} outputs but ${classNames.length} class names were given`);
    }
    this.meta = {
      name: meta.name ?? (model instanceof tf.GraphModel ? "graph model" : model.name),
      preprocessing: validatePreprocessing(meta.preprocessing ?? UNIT_RANGE),
      classNames,
      probability: meta.probability ?? "softmax"
    };
    this.layers = describeLayers(this.graph);
  }

  /** The score that is this model's class probability: softmax, or sigmoid for a multi-label model. */
  get probabilityMode(): "softmax" | "sigmoid" {
    return this.meta.probability ?? "softmax";
  }

  get camLayers(): string[] {
    return this.layers.filter((l) => l.camCapable).map((l) => l.name);
  }

  get blockEnds(): string[] {
    return this.layers.filter((l) => l.blockEnd).map((l) => l.name);
  }

  /** The usual Grad-CAM layer: the deepest block end. */
  get defaultCamLayer(): string {
    const ends = this.blockEnds;
    const fallback = this.camLayers;
    const name = ends[ends.length - 1] ?? fallback[fallback.length - 1];
    if (!name) throw new Error(`model "${this.meta.name}" has no 4-D layer with spatial extent to explain`);
    return name;
  }

  /** Looks up any layer by name, with a clear error (and near names) for unknown ones. */
  node(name: string): GraphNode {
    const node = this.graph.nodes.find((n) => n.name === name && n !== this.graph.input);
    if (!node) {
      const close = this.layers.filter((l) => l.name.includes(name) || name.includes(l.name)).slice(0, 5);
      const hint = close.length ? ` (did you mean ${close.map((l) => `"${l.name}"`).join(", ")}?)` : "";
      throw new Error(`layer "${name}" does not exist in model "${this.meta.name}"${hint}`);
    }
    return node;
  }

  /** Looks up a layer usable for CAMs, with a clear error for unknown or non-4-D layers. */
  camNode(name: string): GraphNode {
    const node = this.node(name);
    const info = this.layers.find((l) => l.name === name)!;
    if (!info.camCapable) {
      throw new Error(`layer "${name}" has output shape ${JSON.stringify(info.outputShape)}; explanations need a 4-D layer with spatial extent`);
    }
    return node;
  }

  checkClass(classIndex: number): number {
    if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= this.numClasses) {
      throw new Error(`class index ${classIndex} is out of range: model "${this.meta.name}" has classes 0..${this.numClasses - 1}`);
    }
    return classIndex;
  }

  /** Logits [N, classes] for pixel images [N,H,W,3] in 0..255. */
  logits(pixels: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const values = this.runner.run(preprocess(pixels, this.meta.preprocessing), {logits: true});
      return values.get(this.graph.output) as tf.Tensor2D;
    });
  }

  /** Class scores [N] for pixel images. */
  scores(pixels: tf.Tensor4D, classIndex: ClassTarget, mode: ScoreMode): tf.Tensor1D {
    return tf.tidy(() => classScores(this.logits(pixels), classIndex, mode));
  }

  /**
   * One forward pass (and, with a class, one backward pass) returning the activations of
   * several layers and the gradients of the class score with respect to each of them.
   * Gradients are total derivatives: each layer gets a zero probe added to its output and the
   * gradient is taken w.r.t. the probes, so paths through deeper probed layers still count.
   */
  probe(pixels: tf.Tensor4D, request: ProbeRequest): ProbeResult {
    const nodes = request.layers.map((name) => (request.anyShape ? this.node(name) : this.camNode(name)));
    if (request.classIndex === undefined) {
      return tf.tidy(() => {
        const values = this.runner.run(preprocess(pixels, this.meta.preprocessing), {
          logits: true,
          targets: [this.graph.output, ...nodes]
        });
        return {
          logits: values.get(this.graph.output) as tf.Tensor2D,
          activations: nodes.map((n) => values.get(n) as tf.Tensor4D)
        };
      });
    }
    const classIndex = request.classIndex === "top" ? "top" : this.checkClass(request.classIndex);
    if (!this.runner.supportsProbes) return this.probeLayerByLayer(pixels, nodes, classIndex, request);
    const mode = request.score ?? "logit";
    const batch = pixels.shape[0];
    const probes = nodes.map((n) => tf.zeros([batch, ...(n.shape.slice(1) as number[])]));
    const kept: {logits?: tf.Tensor2D; scores?: tf.Tensor1D; classes?: tf.Tensor1D; activations: tf.Tensor4D[]} = {
      activations: []
    };
    const scoreSum = (input: tf.Tensor, ...layerProbes: tf.Tensor[]): tf.Scalar => {
      const add = new Map(nodes.map((n, i) => [n.name, layerProbes[i]!]));
      const values = this.runner.run(preprocess(input, this.meta.preprocessing), {
        add,
        logits: true,
        targets: [this.graph.output, ...nodes]
      });
      const logits = values.get(this.graph.output)!;
      const scores = classScores(logits, classIndex, mode);
      kept.logits = tf.keep(logits) as tf.Tensor2D;
      kept.scores = tf.keep(tf.clone(scores));
      kept.classes = tf.keep(targetClasses(logits, classIndex));
      kept.activations = nodes.map((n) => tf.keep(values.get(n)!) as tf.Tensor4D);
      return tf.sum(scores);
    };
    try {
      // Without an input gradient, differentiate w.r.t. the probes only: the backward pass then
      // stops at the shallowest probed layer instead of running on down to the pixels.
      const toPixels = request.inputGradient === true || probes.length === 0;
      const {value, grads} = toPixels
        ? tf.valueAndGrads(scoreSum)([pixels, ...probes])
        : tf.valueAndGrads((...layerProbes: tf.Tensor[]) => scoreSum(pixels, ...layerProbes))(probes);
      value.dispose();
      const [inputGradient, ...gradients] = (toPixels ? grads : [null, ...grads]) as tf.Tensor4D[];
      if (toPixels && !request.inputGradient) inputGradient!.dispose();
      // Kept tensors escape every scope; clones are owned by the caller's scope like any result.
      const owned = <T extends tf.Tensor>(t: T): T => tf.clone(t);
      return {
        logits: owned(kept.logits!),
        scores: owned(kept.scores!),
        classes: owned(kept.classes!),
        activations: kept.activations.map(owned),
        gradients,
        ...(request.inputGradient ? {inputGradient: inputGradient!} : {})
      };
    } finally {
      tf.dispose([...probes, ...kept.activations]);
      if (kept.logits) tf.dispose([kept.logits, kept.scores!, kept.classes!]);
    }
  }

  /**
   * Probe for models without additive probes (GraphModels): the activations come from one
   * forward pass; each layer's gradient from feeding that layer and differentiating the rest.
   */
  private probeLayerByLayer(pixels: tf.Tensor4D, nodes: GraphNode[], target: ClassTarget, request: ProbeRequest): ProbeResult {
    const mode = request.score ?? "logit";
    return tf.tidy(() => {
      const x = preprocess(pixels, this.meta.preprocessing);
      const values = this.runner.run(x, {logits: true, targets: [this.graph.output, ...nodes]});
      const logits = values.get(this.graph.output) as tf.Tensor2D;
      const classes = targetClasses(logits, target);
      const oneHot = tf.cast(tf.oneHot(classes, this.numClasses), "float32");
      const scoreOf = (l: tf.Tensor) => tf.sum(tf.mul(activateLogits(l, mode), oneHot), 1);
      const activations = nodes.map((n) => values.get(n) as tf.Tensor4D);
      const gradients = nodes.map(
        (n, i) =>
          tf.grad((a: tf.Tensor) => tf.sum(scoreOf(this.runner.run(x, {replace: new Map([[n.name, a]]), logits: true}).get(this.graph.output)!)))(
            activations[i]!
          ) as tf.Tensor4D
      );
      const inputGradient = request.inputGradient
        ? (tf.grad((p: tf.Tensor) => tf.sum(scoreOf(this.runner.run(preprocess(p, this.meta.preprocessing), {logits: true}).get(this.graph.output)!)))(
            pixels
          ) as tf.Tensor4D)
        : undefined;
      return {
        logits,
        scores: scoreOf(logits) as tf.Tensor1D,
        classes,
        activations,
        gradients,
        ...(inputGradient ? {inputGradient} : {})
      };
    });
  }

  dispose(): void {
    this.model.dispose();
  }
}
