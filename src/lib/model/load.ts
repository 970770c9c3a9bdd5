/**
 * Loading a tfjs LayersModel from its parts (model.json + weight shards), wherever they come
 * from: files in Node, URLs or dropped files in the browser, file attachments in the built
 * site. Every failure names the problem and the source.
 */
import * as tf from "@tensorflow/tfjs";
import type {ModelMeta} from "./adapter.js";
import {validatePreprocessing} from "./preprocessing.js";

interface WeightsGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

interface ModelJson {
  modelTopology?: unknown;
  weightsManifest?: WeightsGroup[];
  format?: string;
}

const DTYPE_BYTES: Record<string, number> = {float32: 4, int32: 4, bool: 1, uint8: 1, float16: 2, int16: 2, complex64: 8};

function expectedBytes(entry: tf.io.WeightsManifestEntry): number {
  const count = entry.shape.reduce((a, b) => a * b, 1);
  const perValue = entry.quantization ? (DTYPE_BYTES[entry.quantization.dtype] ?? 1) : (DTYPE_BYTES[entry.dtype] ?? 4);
  return count * perValue;
}

export function parseModelJson(text: string | object, source: string): ModelJson {
  let json: unknown;
  try {
    json = typeof text === "string" ? JSON.parse(text) : text;
  } catch (error) {
    throw new Error(`malformed model.json (${source}): ${(error as Error).message}`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new Error(`malformed model.json (${source}): expected a JSON object`);
  }
  const model = json as ModelJson;
  if (!model.modelTopology || typeof model.modelTopology !== "object") {
    throw new Error(`malformed model.json (${source}): no "modelTopology"`);
  }
  if (!Array.isArray(model.weightsManifest)) {
    throw new Error(`malformed model.json (${source}): no "weightsManifest" list`);
  }
  return model;
}

/**
 * Builds a LayersModel or GraphModel (by model.json's "format") from model.json and a shard
 * reader. Shards are read in manifest order and checked against the sizes the manifest implies.
 */
export async function loadModelFromParts(
  modelJson: string | object,
  readShard: (path: string) => Promise<ArrayBuffer>,
  source: string
): Promise<tf.LayersModel | tf.GraphModel> {
  const parsed = parseModelJson(modelJson, source);
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: ArrayBuffer[] = [];
  for (const group of parsed.weightsManifest!) {
    const groupBuffers: ArrayBuffer[] = [];
    for (const path of group.paths) {
      let buffer: ArrayBuffer;
      try {
        buffer = await readShard(path);
      } catch (error) {
        throw new Error(`missing weight shard "${path}" of ${source}: ${(error as Error).message}`);
      }
      groupBuffers.push(buffer);
    }
    const have = groupBuffers.reduce((s, b) => s + b.byteLength, 0);
    const need = group.weights.reduce((s, w) => s + expectedBytes(w), 0);
    if (have !== need) {
      throw new Error(`weight shards ${group.paths.join(", ")} of ${source} hold ${have} bytes; the manifest needs ${need}`);
    }
    weightSpecs.push(...group.weights);
    buffers.push(...groupBuffers);
  }
  const weightData = concatBuffers(buffers);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: parsed.modelTopology as tf.io.ModelArtifacts["modelTopology"],
    weightSpecs,
    weightData,
    ...(parsed.format ? {format: parsed.format} : {})
  };
  try {
    return parsed.format === "graph-model" ? await tf.loadGraphModel(tf.io.fromMemory(artifacts)) : await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new Error(`could not build the model from ${source}: ${(error as Error).message}`);
  }
}

/** As loadModelFromParts, for callers that need a LayersModel (training, weight randomisation). */
export async function loadLayersModelFromParts(
  modelJson: string | object,
  readShard: (path: string) => Promise<ArrayBuffer>,
  source: string
): Promise<tf.LayersModel> {
  const model = await loadModelFromParts(modelJson, readShard, source);
  if (model instanceof tf.GraphModel) throw new Error(`${source} is a GraphModel; a LayersModel is needed here`);
  return model;
}

function concatBuffers(buffers: ArrayBuffer[]): ArrayBuffer {
  const total = buffers.reduce((s, b) => s + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out.buffer;
}

/** The part of a model card (card.json beside model.json) the engine needs. */
export function metaFromCard(card: unknown, source: string): Partial<ModelMeta> {
  if (typeof card !== "object" || card === null) throw new Error(`malformed model card (${source}): expected an object`);
  const c = card as {name?: unknown; classNames?: unknown; classes?: unknown; preprocessing?: unknown; score?: unknown};
  const meta: Partial<ModelMeta> = {};
  if (typeof c.name === "string") meta.name = c.name;
  const classNames = c.classNames ?? c.classes;
  if (classNames !== undefined) {
    if (!Array.isArray(classNames) || !classNames.every((n) => typeof n === "string")) {
      throw new Error(`malformed model card (${source}): classNames must be a list of strings`);
    }
    meta.classNames = classNames as string[];
  }
  if (c.score !== undefined) {
    if (c.score !== "softmax" && c.score !== "sigmoid")
      throw new Error(`malformed model card (${source}): "score" must be "softmax" or "sigmoid", got ${JSON.stringify(c.score)}`);
    meta.probability = c.score;
  }
  if (c.preprocessing !== undefined) {
    const p = c.preprocessing as {range?: [number, number]; scale?: string; mean?: number[]; std?: number[]};
    const scaleRanges: Record<string, [number, number]> = {"0-1": [0, 1], "0-255": [0, 255], "-1-1": [-1, 1]};
    if (p.scale !== undefined && !scaleRanges[p.scale]) {
      throw new Error(`malformed model card (${source}): unknown preprocessing scale "${p.scale}"`);
    }
    meta.preprocessing = validatePreprocessing({
      range: p.range ?? (p.scale ? scaleRanges[p.scale]! : [0, 1]),
      mean: (p.mean ?? [0, 0, 0]) as [number, number, number],
      std: (p.std ?? [1, 1, 1]) as [number, number, number]
    });
  }
  return meta;
}
