/**
 * Loads a LayersModel written by `directorySaveHandler` (or any tfjs `model.json` + shards in one
 * directory) from the file system, without tfjs-node.
 */
import * as tf from "@tensorflow/tfjs";
import {readFile} from "node:fs/promises";
import {join} from "node:path";
import {MODEL_JSON} from "./save.js";

export async function readModelArtifactsFromDir(dir: string): Promise<tf.io.ModelArtifacts> {
  const json = JSON.parse(await readFile(join(dir, MODEL_JSON), "utf8")) as tf.io.ModelJSON;
  const manifest = json.weightsManifest ?? [];
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of manifest) {
    weightSpecs.push(...group.weights);
    for (const path of group.paths) {
      const bytes = await readFile(join(dir, path));
      buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    }
  }
  return {
    modelTopology: json.modelTopology,
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
    trainingConfig: json.trainingConfig,
    userDefinedMetadata: json.userDefinedMetadata,
    weightSpecs,
    weightData: tf.io.CompositeArrayBuffer.join(buffers)
  };
}

export async function loadLayersModelFromDir(dir: string): Promise<tf.LayersModel> {
  const artifacts = await readModelArtifactsFromDir(dir);
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}
