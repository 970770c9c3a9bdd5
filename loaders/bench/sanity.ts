/**
 * Model-parameter randomisation (Adebayo et al.) for the bench: on a CLONE of the model, layers
 * are re-initialised from the top down with seeded random weights, in `steps` cumulative groups,
 * and each method explains again after every step; Spearman ρ with the original map must fall.
 * Re-initialisation follows the Keras initialisers: kernels He-normal (seeded), biases and
 * batch-norm β / moving mean 0, γ / moving variance 1.
 */
import * as tf from "@tensorflow/tfjs";
import {cascadingRandomization, passesSanityCheck} from "../../src/lib/metrics/sanity-check.js";
import {ExplainableModel} from "../../src/lib/model/adapter.js";
import type {Method, RgbImage} from "../../src/lib/explain/types.js";
import {seededRandom, type Random} from "../../src/lib/random.js";
import type {SanityMethodResult, SanityResult} from "./types.js";

export const SANITY_THRESHOLD = 0.5;

/** A deep copy with its own weights (serialised through memory), so the original stays intact. */
export async function cloneLayersModel(model: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: "JSON"}};
    })
  );
  if (!saved) throw new Error("model could not be serialised for cloning");
  return tf.loadLayersModel(tf.io.fromMemory(saved));
}

/** Layers holding weights, nested models flattened, in graph order (input side first). */
function weightedLayers(model: tf.LayersModel): tf.layers.Layer[] {
  const out: tf.layers.Layer[] = [];
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) out.push(...weightedLayers(layer));
    else if (layer.weights.length > 0) out.push(layer);
  }
  return out;
}

const hasKernel = (layer: tf.layers.Layer): boolean => layer.weights.some((w) => /kernel/.test(w.originalName) && w.shape.length >= 2);

export interface RandomisationStep {
  /** The deepest-from-the-top kernel layer of the step (all layers above it are random too). */
  name: string;
  layers: tf.layers.Layer[];
}

/**
 * Top-down groups: the kernel layers split into `steps` contiguous groups of (nearly) equal
 * size; a weighted layer without a kernel (batch norm) joins the group of the next kernel layer
 * below it, i.e. the convolution it normalises.
 */
export function randomisationSteps(model: tf.LayersModel, steps: number): RandomisationStep[] {
  const topDown = weightedLayers(model).reverse();
  const kernels = topDown.filter(hasKernel);
  if (kernels.length === 0) throw new Error(`model "${model.name}" has no layer with a kernel to randomise`);
  const count = Math.max(1, Math.min(steps, kernels.length));
  const groupOfKernel = new Map(kernels.map((layer, i) => [layer, Math.floor((i * count) / kernels.length)]));
  const groups: RandomisationStep[] = Array.from({length: count}, () => ({name: "", layers: []}));
  let pending: tf.layers.Layer[] = [];
  for (const layer of topDown) {
    const group = groupOfKernel.get(layer);
    if (group === undefined) {
      pending.push(layer);
      continue;
    }
    groups[group]!.layers.push(...pending, layer);
    groups[group]!.name = layer.name;
    pending = [];
  }
  groups[count - 1]!.layers.push(...pending);
  return groups;
}

function reinitialised(variable: tf.LayerVariable, random: Random): tf.Tensor {
  const name = variable.originalName;
  const shape = variable.shape as number[];
  const size = shape.reduce((a, b) => a * b, 1);
  if (/kernel/.test(name) && shape.length >= 2) {
    const fanIn = shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const std = Math.sqrt(2 / fanIn);
    return tf.tensor(
      Float32Array.from({length: size}, () => random.normal() * std),
      shape
    );
  }
  const one = /gamma|moving_variance/.test(name);
  return tf.fill(shape, one ? 1 : 0);
}

/** Re-initialises every weight of the layers with a generator seeded per layer position. */
export function randomiseLayers(layers: readonly tf.layers.Layer[], seed: number): void {
  for (const layer of layers) {
    // Seed by name so every method and image sees the same random model at each step.
    let hash = seed >>> 0;
    for (const ch of layer.name) hash = (Math.imul(hash, 31) + ch.charCodeAt(0)) >>> 0;
    const random = seededRandom(hash);
    const values = layer.weights.map((w) => reinitialised(w, random));
    layer.setWeights(values);
    tf.dispose(values);
  }
}

export interface SanityCase {
  image: RgbImage;
  file: string;
  classIndex: number;
}

export interface SanityMethod {
  name: string;
  method: Method;
  options: Record<string, unknown>;
  control?: boolean;
}

export interface SanityOptions {
  steps: number;
  seed?: number;
  threshold?: number;
  onProgress?: (message: string) => void;
}

/** Runs the cascade for each method on each image; pass when mean |ρ| after the last step < threshold. */
export async function runSanityCheck(
  model: ExplainableModel,
  methods: readonly SanityMethod[],
  cases: readonly SanityCase[],
  options: SanityOptions
): Promise<SanityResult> {
  if (!(model.model instanceof tf.LayersModel)) throw new Error("the sanity check needs a LayersModel (graph models cannot be re-initialised)");
  const {steps: stepCount, seed = 20240601, threshold = SANITY_THRESHOLD, onProgress} = options;
  const clone = await cloneLayersModel(model.model);
  const randomModel = new ExplainableModel(clone, {...model.meta});
  const original = clone.getWeights().map((w) => w.clone());
  const steps = randomisationSteps(clone, stepCount);
  const results: SanityMethodResult[] = [];
  try {
    for (const {name, method, options: methodOptions, control = false} of methods) {
      const correlations: (number | null)[][] = [];
      let error: string | undefined;
      for (const {image, file, classIndex} of cases) {
        onProgress?.(`sanity ${name} ${file}`);
        clone.setWeights(original);
        try {
          const run = await cascadingRandomization({
            layerNamesTopDown: steps.map((s) => s.name),
            randomizeUpTo: (k) => randomiseLayers(steps[k]!.layers, seed),
            explain: async () => (await method.explain(randomModel, image, {...methodOptions, classIndex})).map,
            keepMaps: false
          });
          correlations.push(run.correlations.map((r) => (Number.isNaN(r) ? null : r)));
        } catch (e) {
          error = (e as Error).message;
          break;
        }
      }
      const finals = correlations.map((c) => Math.abs(c[c.length - 1] ?? 0));
      const meanAbsFinal = finals.length > 0 ? finals.reduce((a, b) => a + b, 0) / finals.length : Number.NaN;
      results.push({
        method: name,
        correlations,
        meanAbsFinal,
        threshold,
        pass: error === undefined && finals.length > 0 && passesSanityCheck([meanAbsFinal], threshold),
        control,
        ...(error !== undefined ? {error} : {})
      });
    }
  } finally {
    tf.dispose(original);
    clone.dispose();
  }
  return {images: cases.map((c) => c.file), steps: steps.map((s) => s.name), seed, methods: results};
}
