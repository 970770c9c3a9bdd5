/**
 * Save handler that writes a tfjs LayersModel to a directory as `model.json` + `weights.bin`
 * (the layout `tf.loadLayersModel` reads over http). Needed because tfjs-node's `file://`
 * handler is not installed here.
 */
import * as tf from "@tensorflow/tfjs";
import {mkdir, rename, writeFile} from "node:fs/promises";
import {join} from "node:path";

export const MODEL_JSON = "model.json";
const WEIGHTS_BIN = "weights.bin";

/** Joins tfjs' WeightData (one buffer or several) into one ArrayBuffer. */
export function joinWeightData(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  return tf.io.CompositeArrayBuffer.join(data);
}

/** Writes atomically (temp file + rename) so an interrupted checkpoint never leaves half a file. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = `${path}.tmp-${process.pid}`;
  await writeFile(temp, data);
  await rename(temp, path);
}

function directorySaveHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) throw new Error("binary model topology is not supported");
      await mkdir(dir, {recursive: true});
      const weights = joinWeightData(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? []}]
      };
      if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
      await writeFileAtomic(join(dir, WEIGHTS_BIN), new Uint8Array(weights));
      await writeFileAtomic(join(dir, MODEL_JSON), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: "JSON",
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs ?? []).length,
          weightDataBytes: weights.byteLength
        }
      };
    }
  };
}

export async function saveLayersModelToDir(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(directorySaveHandler(dir));
}
