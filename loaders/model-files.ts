/**
 * Models from files: a directory or model.json path (with card.json beside it for class names
 * and preprocessing), and the pretrained nsfwjs models shipped inside that npm package.
 */
import {existsSync, readFileSync, statSync} from "node:fs";
import {createRequire} from "node:module";
import {dirname, join, resolve} from "node:path";
import type * as tf from "@tensorflow/tfjs";
import {ExplainableModel, type ModelMeta} from "../src/lib/model/adapter.js";
import {loadLayersModelFromParts, loadModelFromParts, metaFromCard} from "../src/lib/model/load.js";
import {CATALOGUE_DIR, listModels, modelDirectory, readModelCard, resolveModelSpec} from "./models/catalogue.js";

function resolveModelJson(path: string): string {
  if (!existsSync(path)) throw new Error(`model path ${path} does not exist`);
  const file = statSync(path).isDirectory() ? join(path, "model.json") : path;
  if (!existsSync(file)) throw new Error(`no model.json in ${path}`);
  return resolve(file);
}

/** A LayersModel or GraphModel from a model.json path or its directory. */
export async function loadModelFile(path: string): Promise<tf.LayersModel | tf.GraphModel> {
  const file = resolveModelJson(path);
  const dir = dirname(file);
  return loadModelFromParts(
    readFileSync(file, "utf8"),
    async (shard) => {
      const bytes = readFileSync(join(dir, shard));
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
    file
  );
}

/** The model meta (name, class names, preprocessing) that card.json beside model.json gives, and the card itself. */
export function readModelMeta(path: string): Partial<ModelMeta> & {card?: Record<string, unknown>} {
  const card = readModelCard(resolveModelJson(path));
  return card === null ? {} : {...metaFromCard(card, join(modelDirectory(resolveModelJson(path)), "card.json")), card};
}

/** nsfwjs ships its weights as JS modules (model JSON object + base64 shard strings). */
export const NSFWJS_MODELS = {
  mobilenet_v2: {size: 224, shards: ["group1-shard1of1"]},
  mobilenet_v2_mid: {size: 224, shards: ["group1-shard1of2", "group1-shard2of2"]},
  inception_v3: {size: 299, shards: [1, 2, 3, 4, 5, 6].map((i) => `group1-shard${i}of6`)}
} as const;
const NSFWJS_CLASSES = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"];

async function loadNsfwjsModel(name: keyof typeof NSFWJS_MODELS): Promise<tf.LayersModel> {
  const require = createRequire(import.meta.url);
  let base: string;
  try {
    // The package's export map hides its model files; find them from its main entry.
    base = join(dirname(require.resolve("nsfwjs")), "..", "models", name);
  } catch {
    throw new Error("the nsfwjs package is not installed (it is a devDependency: run npm install)");
  }
  const modelJson = require(join(base, "model.min.js")) as object;
  return loadLayersModelFromParts(
    modelJson,
    async (path) => {
      const stem = path.replace(/\.bin$/, "").replace(/^.*\//, "");
      const base64 = require(join(base, `${stem}.min.js`)) as string;
      const bytes = Buffer.from(base64, "base64");
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    },
    `nsfwjs ${name}`
  );
}

/** A model path, or a committed model's catalogue name resolved to its folder; a missing one is an error naming the catalogue. */
function modelPathOf(spec: string): string {
  const path = resolveModelSpec(spec);
  if (!existsSync(path)) {
    const names = listModels(CATALOGUE_DIR).map((entry) => entry.name);
    throw new Error(`model path ${spec} does not exist${names.length ? ` and is no catalogue name (${names.join(", ")})` : ""}`);
  }
  return path;
}

/** The card of a model spec (path or catalogue name); null for the packaged nsfwjs models and for models without one. */
export function modelCardOf(spec: string): Record<string, unknown> | null {
  return spec.startsWith("nsfwjs:") ? null : (readModelMeta(modelPathOf(spec)).card ?? null);
}

/**
 * Opens a model for explanation: `nsfwjs:<name>` for the packaged pretrained models, else a
 * directory or model.json path, or a committed model's catalogue name (card.json beside it
 * supplies class names and preprocessing).
 */
export async function openModel(spec: string): Promise<ExplainableModel> {
  if (spec.startsWith("nsfwjs:")) {
    const name = spec.slice("nsfwjs:".length) as keyof typeof NSFWJS_MODELS;
    if (!(name in NSFWJS_MODELS)) throw new Error(`unknown nsfwjs model "${name}": choose one of ${Object.keys(NSFWJS_MODELS).join(", ")}`);
    return new ExplainableModel(await loadNsfwjsModel(name), {name: `nsfwjs ${name}`, classNames: NSFWJS_CLASSES});
  }
  const path = modelPathOf(spec);
  const {card: _card, ...meta} = readModelMeta(path);
  const model = await loadModelFile(path);
  return new ExplainableModel(model, {name: meta.name ?? spec, ...meta});
}
