/**
 * A model's copy for a worker: saved from the main thread's model (topology + weight bytes +
 * meta) and rebuilt on the other side, or opened there by spec.
 */
import * as tf from "@tensorflow/tfjs";
import {ExplainableModel} from "../../src/lib/model/adapter.js";
import {openModel} from "../model-files.js";
import type {ModelPayload} from "./protocol.js";

function joinWeightData(data: tf.io.ModelArtifacts["weightData"]): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  const buffers = Array.isArray(data) ? data : [data];
  const out = new Uint8Array(buffers.reduce((s, b) => s + b.byteLength, 0));
  let offset = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out.buffer;
}

/** Saves `model` in memory (no files): what a worker needs to rebuild it exactly. */
export async function modelPayload(model: ExplainableModel): Promise<ModelPayload> {
  let saved: tf.io.ModelArtifacts | null = null;
  await model.model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: "JSON"}};
    })
  );
  const artifacts = saved as tf.io.ModelArtifacts | null;
  if (!artifacts?.modelTopology || !artifacts.weightSpecs) throw new Error(`model "${model.meta.name}" could not be saved for the worker pool`);
  return {
    kind: "artifacts",
    format: model.model instanceof tf.GraphModel ? "graph-model" : "layers-model",
    modelTopology: artifacts.modelTopology as object,
    weightSpecs: artifacts.weightSpecs,
    weightData: joinWeightData(artifacts.weightData),
    meta: {...model.meta, classNames: [...model.meta.classNames]}
  };
}

/** Rebuilds the model a payload describes (in a worker). */
export async function modelFromPayload(payload: ModelPayload): Promise<ExplainableModel> {
  if (payload.kind === "spec") return openModel(payload.spec);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: payload.modelTopology as tf.io.ModelArtifacts["modelTopology"],
    weightSpecs: payload.weightSpecs as tf.io.WeightsManifestEntry[],
    weightData: payload.weightData,
    format: payload.format
  };
  const model = payload.format === "graph-model" ? await tf.loadGraphModel(tf.io.fromMemory(artifacts)) : await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  return new ExplainableModel(model, payload.meta);
}
