/**
 * tfjs model → ONNX: LayersModels (convert-layers.ts) and GraphModels (convert-graph.ts), and an
 * ExplainableModel with its preprocessing baked in.
 */
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {layersModelToOnnx, type ConvertOptions, type OnnxModel} from "./convert-layers.js";
import {graphModelToOnnx} from "./convert-graph.js";

export {UnsupportedLayerError} from "./errors.js";
export type {ConvertOptions, OnnxModel, OnnxOutput} from "./convert-layers.js";

export function modelToOnnx(model: tf.LayersModel | tf.GraphModel, options: ConvertOptions = {}): OnnxModel {
  return model instanceof tf.GraphModel ? graphModelToOnnx(model, options) : layersModelToOnnx(model, options);
}

/**
 * The ONNX model of an ExplainableModel as its scoring passes use it: input pixels 0..255 NHWC
 * (its preprocessing inside the graph), output its logits, plus any named layer outputs.
 */
export function explainableModelToOnnx(model: ExplainableModel, options: Omit<ConvertOptions, "preprocessing"> = {}): OnnxModel {
  return modelToOnnx(model.model, {logits: true, ...options, preprocessing: model.meta.preprocessing});
}
