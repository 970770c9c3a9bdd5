/**
 * The models the site offers: every data/models/<name>/ holding a model.json, in name order.
 * Each goes out as one packed file (model.json, card, weight shards; see
 * src/components/pack.ts) in a numbered slot: the pages attach a fixed list of slots
 * (src/components/site-files.js), because file attachments must be named in the page source.
 */
import {existsSync, readFileSync, statSync} from "node:fs";
import {join} from "node:path";
import {pack} from "../../src/lib/format/pack.js";
import type {PackedModelMeta, SiteModelEntry} from "../../src/lib/format/site-data.js";
import {dataDirectory} from "./paths.js";
import {listModels, readModelCard} from "../models/catalogue.js";

/** Slots the pages attach; models beyond this are left out (with a warning). */
export const MODEL_SLOTS = 8;

export type {SiteModelEntry, PackedModelMeta};

export function modelsDirectory(): string {
  return join(dataDirectory(), "models");
}

/** Model directory names, sorted; only directories with a model.json. */
export function listModelDirectories(): string[] {
  return listModels(modelsDirectory()).map((entry) => entry.name);
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/** Input shape from the topology's input layer (best effort). */
function inputShapeOf(modelJson: unknown): [number, number, number] | null {
  const topology = (modelJson as {modelTopology?: {config?: {layers?: unknown[]}; model_config?: {config?: {layers?: unknown[]}}}}).modelTopology;
  const layers = topology?.model_config?.config?.layers ?? topology?.config?.layers ?? [];
  for (const layer of layers as {class_name?: string; config?: {batch_input_shape?: unknown[]; batchInputShape?: unknown[]}}[]) {
    const shape = layer.config?.batch_input_shape ?? layer.config?.batchInputShape;
    if (Array.isArray(shape) && shape.length === 4) return shape.slice(1) as [number, number, number];
  }
  return null;
}

function classNamesOf(card: Record<string, unknown> | null): string[] {
  const names = card?.classNames ?? card?.classes;
  return Array.isArray(names) ? names.map(String) : [];
}

export function packModel(name: string): Uint8Array {
  const dir = join(modelsDirectory(), name);
  const modelJson = readJson(join(dir, "model.json")) as {weightsManifest?: {paths: string[]}[]};
  const paths = (modelJson.weightsManifest ?? []).flatMap((group) => group.paths);
  const meta: PackedModelMeta = {name, modelJson, card: readModelCard(join(modelsDirectory(), name))};
  return pack(
    meta,
    paths.map((path) => {
      const file = join(dir, path);
      if (!existsSync(file)) throw new Error(`model ${name}: weight shard ${path} is missing`);
      return {name: path, bytes: new Uint8Array(readFileSync(file))};
    })
  );
}

export function modelEntries(): SiteModelEntry[] {
  const names = listModelDirectories();
  if (names.length > MODEL_SLOTS) {
    console.warn(`site: ${names.length} models found; the site has ${MODEL_SLOTS} slots, leaving out ${names.slice(MODEL_SLOTS).join(", ")}`);
  }
  return names.slice(0, MODEL_SLOTS).map((name, slot) => {
    const dir = join(modelsDirectory(), name);
    const card = readModelCard(join(modelsDirectory(), name));
    const modelJson = readJson(join(dir, "model.json")) as {weightsManifest?: {paths: string[]}[]};
    const weightBytes = (modelJson.weightsManifest ?? [])
      .flatMap((g) => g.paths)
      .reduce((sum, path) => sum + (existsSync(join(dir, path)) ? statSync(join(dir, path)).size : 0), 0);
    const architecture = card?.architecture;
    return {
      name,
      slot,
      dataset: typeof card?.dataset === "string" ? card.dataset : null,
      classNames: classNamesOf(card),
      inputShape: inputShapeOf(modelJson),
      architecture:
        typeof architecture === "string"
          ? architecture
          : typeof (architecture as {family?: unknown})?.family === "string"
            ? (architecture as {family: string}).family
            : null,
      testAccuracy: typeof card?.testAccuracy === "number" ? card.testAccuracy : null,
      bytes: weightBytes
    };
  });
}

/** The packed file of slot `slot`, or an empty file when no model fills it. */
export function modelSlotFile(slot: number): Uint8Array {
  const entry = modelEntries().find((e) => e.slot === slot);
  return entry ? packModel(entry.name) : new Uint8Array(0);
}
