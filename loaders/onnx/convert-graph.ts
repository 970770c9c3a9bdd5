import type * as tf from "@tensorflow/tfjs";
import type {ConvertOptions, OnnxModel} from "./convert-layers.js";
import {UnsupportedLayerError} from "./errors.js";

export function graphModelToOnnx(_model: tf.GraphModel, _options: ConvertOptions = {}): OnnxModel {
  throw new UnsupportedLayerError("graph", "GraphModel", "not yet");
}
