/**
 * Loads a LayersModel written by `directorySaveHandler` (or any tfjs `model.json` + shards in one
 * directory) from the file system: the checked file loader of loaders/model-files.ts, narrowed
 * to LayersModels (training and checkpoints need one).
 */
import * as tf from "@tensorflow/tfjs";
import {loadModelFile} from "../model-files.js";

export async function loadLayersModelFromDir(dir: string): Promise<tf.LayersModel> {
  const model = await loadModelFile(dir);
  if (!(model instanceof tf.LayersModel)) throw new Error(`${dir} holds a GraphModel; a LayersModel is needed here`);
  return model;
}
