/**
 * Resumable checkpoints in `<out>/checkpoint/`: the model (model.json + weights.bin), Adam's
 * state (optimizer.json + optimizer.bin) and the progress (state.json). Files are replaced
 * atomically; state.json is written last, so a checkpoint is complete once it exists.
 */
import * as tf from "@tensorflow/tfjs";
import {existsSync} from "node:fs";
import {mkdir, readFile} from "node:fs/promises";
import {join} from "node:path";
import {loadLayersModelFromDir} from "../models/load.js";
import {joinWeightData, saveLayersModelToDir, writeFileAtomic} from "../models/save.js";
import type {NamedTensor, Trainer} from "./trainer.js";

const CHECKPOINT_DIR = "checkpoint";

export interface CheckpointState {
  step: number;
  /** Training wall time accumulated over all runs so far. */
  elapsedSeconds: number;
  /** Settings the run started with; a resume with different ones is refused. */
  settings: Record<string, unknown>;
  lastValidationAccuracy: number | null;
}

function checkpointDir(outDir: string): string {
  return join(outDir, CHECKPOINT_DIR);
}

export function hasCheckpoint(outDir: string): boolean {
  return existsSync(join(checkpointDir(outDir), "state.json"));
}

export async function saveCheckpoint(outDir: string, trainer: Trainer, state: CheckpointState): Promise<void> {
  const dir = checkpointDir(outDir);
  await mkdir(dir, {recursive: true});
  await saveLayersModelToDir(trainer.model, dir);
  const weights = await trainer.optimizerWeights();
  const encoded = await tf.io.encodeWeights(weights);
  // getWeights() makes a fresh scalar for the iteration count; the rest are live variables.
  tf.dispose(weights.map((weight) => weight.tensor).filter((tensor) => !(tensor instanceof tf.Variable)));
  await writeFileAtomic(join(dir, "optimizer.bin"), new Uint8Array(joinWeightData(encoded.data)));
  await writeFileAtomic(join(dir, "optimizer.json"), JSON.stringify({specs: encoded.specs}));
  await writeFileAtomic(join(dir, "state.json"), JSON.stringify(state, null, 2));
}

export interface LoadedCheckpoint {
  model: tf.LayersModel;
  optimizerWeights: NamedTensor[];
  state: CheckpointState;
}

export async function loadCheckpoint(outDir: string): Promise<LoadedCheckpoint> {
  const dir = checkpointDir(outDir);
  const state = JSON.parse(await readFile(join(dir, "state.json"), "utf8")) as CheckpointState;
  const model = await loadLayersModelFromDir(dir);
  const {specs} = JSON.parse(await readFile(join(dir, "optimizer.json"), "utf8")) as {specs: tf.io.WeightsManifestEntry[]};
  const bytes = await readFile(join(dir, "optimizer.bin"));
  const decoded = tf.io.decodeWeights(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, specs);
  // Adam restores its moments by position, so keep the saved order.
  const optimizerWeights = specs.map((spec) => ({name: spec.name, tensor: decoded[spec.name]!}));
  return {model, optimizerWeights, state};
}
