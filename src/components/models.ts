/**
 * Models in the browser, from three sources: the site's own (a packed slot file), any tfjs
 * LayersModel by URL (model.json, shards beside it, optional card.json), or files the user drops
 * (model.json + shards [+ card.json]). All go through the engine's loadLayersModelFromParts, so
 * errors say what is wrong and with which file.
 */
import {ExplainableModel, type ModelMeta} from "../lib/model/adapter.js";
import {loadLayersModelFromParts, metaFromCard} from "../lib/model/load.js";
import {partBuffer, unpack} from "../lib/format/pack.js";
import type {PackedModelMeta, SiteModelEntry} from "../lib/format/site-data.js";

/** Anything with arrayBuffer(): a FileAttachment or a Blob. */
export interface BytesSource {
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface LoadedModel {
  model: ExplainableModel;
  /** Where it came from, for the page and exports. */
  source: string;
  /** Notes for the user (e.g. "no card.json: class names are numbers"). */
  notes: string[];
  loadMs: number;
}

function build(layersModel: Awaited<ReturnType<typeof loadLayersModelFromParts>>, meta: Partial<ModelMeta>): ExplainableModel {
  try {
    return new ExplainableModel(layersModel, meta);
  } catch (error) {
    layersModel.dispose();
    throw error;
  }
}

export async function loadSiteModel(entry: SiteModelEntry, slotFile: BytesSource): Promise<LoadedModel> {
  const started = performance.now();
  const buffer = await slotFile.arrayBuffer();
  if (buffer.byteLength === 0) throw new Error(`model "${entry.name}" is not in this build (its slot is empty)`);
  const {meta, parts} = unpack<PackedModelMeta>(buffer, `model ${entry.name}`);
  const layersModel = await loadLayersModelFromParts(
    meta.modelJson as object,
    async (path) => {
      const part = parts.get(path);
      if (!part) throw new Error("not in the packed file");
      return partBuffer(part);
    },
    entry.name
  );
  const cardMeta = meta.card ? metaFromCard(meta.card, `${entry.name}/card.json`) : {};
  return {model: build(layersModel, {name: entry.name, ...cardMeta}), source: `site model ${entry.name}`, notes: [], loadMs: performance.now() - started};
}

async function fetchOk(url: string, what: string, signal?: AbortSignal): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, {signal});
  } catch (error) {
    throw new Error(`cannot fetch ${what} ${url}: ${(error as Error).message} (is the server up, and does it allow cross-origin requests?)`);
  }
  if (!response.ok) throw new Error(`cannot fetch ${what} ${url}: HTTP ${response.status} ${response.statusText}`);
  return response;
}

/** A tfjs LayersModel by the URL of its model.json; shards and an optional card.json are read beside it. */
export async function loadModelFromUrl(url: string, signal?: AbortSignal): Promise<LoadedModel> {
  const started = performance.now();
  let modelUrl: URL;
  try {
    modelUrl = new URL(url, document.baseURI);
  } catch {
    throw new Error(`"${url}" is not a URL`);
  }
  if (!/^https?:$/.test(modelUrl.protocol)) throw new Error(`model URLs must be http(s), got ${modelUrl.protocol}`);
  if (!modelUrl.pathname.endsWith(".json")) modelUrl = new URL(modelUrl.pathname.replace(/\/?$/, "/model.json") + modelUrl.search, modelUrl);
  const text = await (await fetchOk(modelUrl.href, "model.json", signal)).text();
  const notes: string[] = [];
  let cardMeta: Partial<ModelMeta> = {};
  try {
    const cardResponse = await fetch(new URL("card.json", modelUrl).href, {signal});
    if (cardResponse.ok) cardMeta = metaFromCard(await cardResponse.json(), "card.json");
    else notes.push("No card.json beside model.json: class names are numbers and pixels are scaled to 0–1.");
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    notes.push(`card.json could not be used (${(error as Error).message}): class names are numbers and pixels are scaled to 0–1.`);
  }
  const layersModel = await loadLayersModelFromParts(
    text,
    async (path) => (await fetchOk(new URL(path, modelUrl).href, "weight shard", signal)).arrayBuffer(),
    modelUrl.href
  );
  const name = decodeURIComponent(modelUrl.pathname.split("/").slice(-2, -1)[0] || modelUrl.hostname);
  return {model: build(layersModel, {name, ...cardMeta}), source: modelUrl.href, notes, loadMs: performance.now() - started};
}

const baseName = (path: string) => path.replace(/^.*[\\/]/, "");

/** A model from dropped or picked files: model.json, its weight shards, optionally card.json. */
export async function loadModelFromFiles(files: readonly File[]): Promise<LoadedModel> {
  const started = performance.now();
  const modelFile = files.find((f) => f.name === "model.json") ?? files.find((f) => f.name.endsWith(".json") && f.name !== "card.json");
  if (!modelFile) {
    throw new Error(
      `no model.json among the ${files.length} file(s) given (${files.map((f) => f.name).join(", ") || "none"}); drop model.json together with its weight files`
    );
  }
  const byName = new Map(files.map((f) => [f.name, f]));
  const notes: string[] = [];
  let cardMeta: Partial<ModelMeta> = {};
  const cardFile = byName.get("card.json");
  if (cardFile) {
    let card: unknown;
    try {
      card = JSON.parse(await cardFile.text());
    } catch (error) {
      throw new Error(`card.json is not valid JSON: ${(error as Error).message}`);
    }
    cardMeta = metaFromCard(card, "card.json");
  } else {
    notes.push("No card.json among the files: class names are numbers and pixels are scaled to 0–1.");
  }
  const layersModel = await loadLayersModelFromParts(
    await modelFile.text(),
    async (path) => {
      const file = byName.get(baseName(path));
      if (!file) throw new Error(`drop it together with ${modelFile.name}`);
      return file.arrayBuffer();
    },
    modelFile.name
  );
  return {
    model: build(layersModel, {name: modelFile.name.replace(/\.json$/, ""), ...cardMeta}),
    source: `dropped files (${files.map((f) => f.name).join(", ")})`,
    notes,
    loadMs: performance.now() - started
  };
}
