/**
 * The models the site offers: the models of the build's configuration (./config.ts), in its
 * order. Each goes out as one packed file (model.json, card, weight shards; see
 * src/lib/format/pack.ts) in a numbered slot: the pages attach a fixed list of slots
 * (src/components/site-files.js), because file attachments must be named in the page source.
 */
import {existsSync, readFileSync, statSync} from "node:fs";
import {join} from "node:path";
import * as tf from "@tensorflow/tfjs";
import {pack, partBuffer, unpack} from "../../src/lib/format/pack.js";
import type {PackedModelMeta, SiteModelEntry} from "../../src/lib/format/site-data.js";
import {ExplainableModel} from "../../src/lib/model/adapter.js";
import {loadLayersModelFromParts, metaFromCard} from "../../src/lib/model/load.js";
import {inputShapeOf, siteConfig, SiteConfigError, type SiteModelSource} from "./config.js";

/** Slots the pages attach (src/components/site-files.js lists as many); a configuration may list at most this many models. */
export const MODEL_SLOTS = 12;

export type {SiteModelEntry, PackedModelMeta};

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/** The configured models, in order; more than the site's slots is an error. */
export function siteModels(): SiteModelSource[] {
  const config = siteConfig();
  if (config.models.length > MODEL_SLOTS) {
    throw new SiteConfigError(
      `${config.source}: ${config.models.length} models listed; the site has ${MODEL_SLOTS} model slots (src/components/site-files.js)`
    );
  }
  return config.models;
}

function sourceOf(name: string): SiteModelSource {
  const source = siteModels().find((m) => m.name === name);
  if (!source) throw new Error(`model "${name}" is not in the site configuration`);
  return source;
}

export function packModel(name: string): Uint8Array {
  const {directory, card} = sourceOf(name);
  const modelJson = readJson(join(directory, "model.json")) as {weightsManifest?: {paths: string[]}[]};
  const paths = (modelJson.weightsManifest ?? []).flatMap((group) => group.paths);
  const meta: PackedModelMeta = {name, modelJson, card};
  return pack(
    meta,
    paths.map((path) => {
      const file = join(directory, path);
      if (!existsSync(file)) throw new Error(`model ${name}: weight shard ${path} is missing`);
      return {name: path, bytes: new Uint8Array(readFileSync(file))};
    })
  );
}

/** A site model opened in this process (on the current tfjs backend), as the pages open it. */
export async function openSiteModel(name: string): Promise<ExplainableModel> {
  const {meta, parts} = unpack<PackedModelMeta>(packModel(name), name);
  const layersModel = await loadLayersModelFromParts(meta.modelJson as object, async (path) => partBuffer(parts.get(path)!), name);
  return new ExplainableModel(layersModel, {name, ...(meta.card ? metaFromCard(meta.card, `${name}/card.json`) : {})});
}

export function modelEntries(): SiteModelEntry[] {
  return siteModels().map(({name, directory, card, classNames}, slot) => {
    const modelJson = readJson(join(directory, "model.json")) as {weightsManifest?: {paths: string[]}[]};
    const weightBytes = (modelJson.weightsManifest ?? [])
      .flatMap((g) => g.paths)
      .reduce((sum, path) => sum + (existsSync(join(directory, path)) ? statSync(join(directory, path)).size : 0), 0);
    const architecture = card.architecture;
    return {
      name,
      slot,
      dataset: typeof card.dataset === "string" ? card.dataset : null,
      classNames,
      inputShape: inputShapeOf(modelJson),
      architecture:
        typeof architecture === "string"
          ? architecture
          : typeof (architecture as {family?: unknown})?.family === "string"
            ? (architecture as {family: string}).family
            : null,
      testAccuracy: typeof card.testAccuracy === "number" ? card.testAccuracy : null,
      bytes: weightBytes
    };
  });
}

/**
 * The model index, after opening every model once in tfjs as a page would: a model whose topology
 * does not load, or whose output does not match its card's class names, stops the build here with
 * its name.
 */
export async function checkedModelEntries(): Promise<SiteModelEntry[]> {
  const entries = modelEntries();
  await tf.setBackend("cpu");
  for (const entry of entries) {
    try {
      (await openSiteModel(entry.name)).dispose();
    } catch (error) {
      throw new SiteConfigError(`${siteConfig().source}: model "${entry.name}" does not load: ${(error as Error).message}`);
    }
  }
  return entries;
}

/** The packed file of slot `slot`, or an empty file when no model fills it. */
export function modelSlotFile(slot: number): Uint8Array {
  const entry = modelEntries().find((e) => e.slot === slot);
  return entry ? packModel(entry.name) : new Uint8Array(0);
}
