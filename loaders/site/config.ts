/**
 * What the site build includes: which models and image sets (and the photographs whose faces go
 * into the gallery), and which methods it precomputes. Read from site.config.json at the
 * repository root, or from the file SALIENCY_SITE_CONFIG names; SALIENCY_DATA_DIR alone (tests,
 * previews of another data folder) takes every model and image set found in that folder.
 *
 * A JSON file rather than a section of observablehq.config.ts: the data loaders run as separate
 * processes and read it without importing the site's configuration, and a file of plain data can
 * be checked entry by entry. Every entry is checked here when a loader first asks (files present,
 * model.json and card.json well formed, annotations consistent, a model for every image set), so a
 * bad entry stops the build with one message that names it. Format: README "Your own models and
 * images".
 */
import {existsSync, readdirSync, readFileSync, statSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {metaFromCard} from "../../src/lib/model/load.js";
import {METHODS} from "../../src/lib/methods/registry.js";
import {listModels, modelInputKind, readModelCard} from "../models/catalogue.js";
import {REPO_ROOT} from "./paths.js";

/** The default configuration: what the repository ships. */
export const DEFAULT_SITE_CONFIG = join(REPO_ROOT, "site.config.json");

/** Image files an image set may hold. */
export const IMAGE_EXTENSIONS = /\.(png|jpe?g)$/i;

/** Names become URL parameters and gallery ids: letters, digits, dot, dash, underscore. */
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export interface SiteModelSource {
  name: string;
  /** The folder holding model.json, its weight files and card.json. */
  directory: string;
  card: Record<string, unknown>;
  classNames: string[];
  /** The build precomputes this model's maps (Compare, Overview). */
  precompute: boolean;
}

export interface SiteImageSetSource {
  name: string;
  /** The folder holding the images (and annotations.json). */
  directory: string;
  /** annotations.json's path; null: no annotations (each image is labelled by `labelledBy`'s top class). */
  annotations: string | null;
  /** The class list: annotations.json's, else the labelling model's. */
  classes: string[];
  /** The model that labels an unannotated set (the first whose card names the set as its data set). */
  labelledBy: string | null;
  precompute: boolean;
}

export interface SiteConfig {
  /** Where the configuration came from, for messages. */
  source: string;
  dataDir: string;
  models: SiteModelSource[];
  imageSets: SiteImageSetSource[];
  /** Photographs whose faces the face-crop model explains (data/photos); null: none. */
  photos: string | null;
  /** Methods to precompute; null: the profile's. */
  methods: string[] | null;
}

/** A problem with one entry: stops the build with `source: message`. */
export class SiteConfigError extends Error {}

type Fail = (message: string) => never;

interface RawEntry {
  name: string;
  path: string | null;
  precompute: boolean;
  /** Found by "*" / "all" rather than named: an image set no model takes is left out, not an error. */
  discovered: boolean;
}

function readJsonFile(path: string, what: string, fail: Fail): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    return fail(`${what}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    return fail(`${what}: ${path} is not valid JSON (${(error as Error).message})`);
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** "*" in a list (or the whole field "all"): every model / image set found in dataDir that the list does not name. */
const EVERYTHING = "*";

/** A list's entries, with the wildcard kept in place as null. */
function rawEntries(value: unknown, field: string, fail: Fail): (RawEntry | null)[] {
  if (value === "all") return [null];
  if (!Array.isArray(value)) return fail(`"${field}" must be a list of names or {"name", "path"} objects (and "*" for every one found in dataDir), or "all"`);
  const seen = new Set<string>();
  return value.map((item, i) => {
    if (item === EVERYTHING) {
      if (seen.has(EVERYTHING)) fail(`${field}: "*" is listed twice`);
      seen.add(EVERYTHING);
      return null;
    }
    const entry: RawEntry =
      typeof item === "string"
        ? {name: item, path: null, precompute: true, discovered: false}
        : isObject(item)
          ? {
              name: item.name as string,
              path: item.path === undefined ? null : (item.path as string),
              precompute: item.precompute === undefined ? true : (item.precompute as boolean),
              discovered: false
            }
          : fail(`${field}[${i}] must be a name, "*", or an object with "name" (and "path", "precompute")`);
    if (typeof entry.name !== "string" || !NAME_PATTERN.test(entry.name)) {
      fail(`${field}[${i}]: the name ${JSON.stringify(entry.name)} must be letters, digits, ".", "-" or "_"`);
    }
    if (entry.path !== null && typeof entry.path !== "string") fail(`${field} "${entry.name}": "path" must be a string`);
    if (typeof entry.precompute !== "boolean") fail(`${field} "${entry.name}": "precompute" must be true or false`);
    if (isObject(item)) {
      const unknown = Object.keys(item).filter((k) => !["name", "path", "precompute"].includes(k));
      if (unknown.length) fail(`${field} "${entry.name}": unknown field ${unknown.map((k) => `"${k}"`).join(", ")}`);
    }
    if (seen.has(entry.name)) fail(`${field}: "${entry.name}" is listed twice`);
    seen.add(entry.name);
    return entry;
  });
}

/** The wildcard replaced by what `discover` finds, less the names listed explicitly. */
function expand(entries: readonly (RawEntry | null)[], discover: () => RawEntry[]): RawEntry[] {
  const named = new Set(entries.filter((e): e is RawEntry => e !== null).map((e) => e.name));
  return entries.flatMap((entry) => (entry === null ? discover().filter((found) => !named.has(found.name)) : [entry]));
}

const classNamesOf = (card: Record<string, unknown>): unknown => card.classNames ?? card.classes;

/** Checks one model folder: model.json (a LayersModel with RGB input), its weight files, card.json with class names. */
function checkModel(entry: RawEntry, directory: string, fail: Fail): SiteModelSource {
  const what = `model "${entry.name}"`;
  if (!existsSync(directory) || !statSync(directory).isDirectory()) fail(`${what}: folder ${directory} does not exist`);
  const modelJsonPath = join(directory, "model.json");
  if (!existsSync(modelJsonPath)) fail(`${what}: ${modelJsonPath} is missing`);
  const modelJson = readJsonFile(modelJsonPath, what, fail);
  if (!isObject(modelJson) || !isObject(modelJson.modelTopology)) fail(`${what}: model.json has no "modelTopology" (is it a TensorFlow.js model?)`);
  if ((modelJson as {format?: unknown}).format === "graph-model") {
    fail(`${what}: model.json is a GraphModel; the site's pages load LayersModels (tensorflowjs_converter --output_format tfjs_layers_model)`);
  }
  const manifest = (modelJson as {weightsManifest?: unknown}).weightsManifest;
  if (!Array.isArray(manifest)) fail(`${what}: model.json has no "weightsManifest"`);
  for (const group of manifest as {paths?: unknown}[]) {
    for (const path of Array.isArray(group.paths) ? (group.paths as string[]) : []) {
      if (!existsSync(join(directory, path))) fail(`${what}: weight file ${path} (listed in model.json) is missing from ${directory}`);
    }
  }
  const inputShape = inputShapeOf(modelJson);
  if (inputShape && inputShape[2] !== 3) fail(`${what}: takes ${inputShape[2]}-channel input; the site explains RGB images (3 channels)`);
  const cardPath = join(directory, "card.json");
  if (!existsSync(cardPath)) fail(`${what}: ${cardPath} is missing (it gives the class names and the preprocessing)`);
  let card: Record<string, unknown>;
  try {
    card = readModelCard(directory)!;
    metaFromCard(card, cardPath);
    modelInputKind(card, cardPath);
  } catch (error) {
    return fail(`${what}: ${(error as Error).message}`);
  }
  const names = classNamesOf(card);
  if (!Array.isArray(names) || names.length === 0) fail(`${what}: malformed model card ${cardPath}: "classNames" must list the model's classes`);
  if (card.dataset != null && typeof card.dataset !== "string") fail(`${what}: malformed model card ${cardPath}: "dataset" must be a data set's name or null`);
  return {name: entry.name, directory, card, classNames: (names as unknown[]).map(String), precompute: entry.precompute};
}

/** The input shape [height, width, channels] from a LayersModel topology's input layer (null: not stated). */
export function inputShapeOf(modelJson: unknown): [number, number, number] | null {
  const topology = (modelJson as {modelTopology?: {config?: {layers?: unknown[]}; model_config?: {config?: {layers?: unknown[]}}}}).modelTopology;
  const layers = topology?.model_config?.config?.layers ?? topology?.config?.layers ?? [];
  for (const layer of layers as {config?: {batch_input_shape?: unknown[]; batchInputShape?: unknown[]}}[]) {
    const shape = layer.config?.batch_input_shape ?? layer.config?.batchInputShape;
    if (Array.isArray(shape) && shape.length === 4) return shape.slice(1) as [number, number, number];
  }
  return null;
}

interface AnnotationImage {
  file: string;
  label?: number;
  labels?: number[];
  instances?: {classIndex?: number; className?: string; box?: number[]; rle?: number[]}[];
}

/** Checks annotations.json: classes, and for every image its file, labels and instances. Returns the classes. */
function checkAnnotations(what: string, directory: string, path: string, fail: Fail): string[] {
  const json = readJsonFile(path, what, fail);
  if (!isObject(json)) return fail(`${what}: ${path} must be a JSON object with "classes" and "images"`);
  const classes = json.classes;
  if (!Array.isArray(classes) || classes.length === 0 || !classes.every((c) => typeof c === "string")) {
    fail(`${what}: ${path}: "classes" must be a non-empty list of class names`);
  }
  const count = (classes as string[]).length;
  const images = json.images;
  if (!Array.isArray(images) || images.length === 0) fail(`${what}: ${path}: "images" must list the images`);
  const classIndex = (value: unknown) => Number.isInteger(value) && (value as number) >= 0 && (value as number) < count;
  for (const [i, image] of (images as AnnotationImage[]).entries()) {
    const at = `${what}: ${path}: images[${i}]`;
    if (!isObject(image) || typeof image.file !== "string") fail(`${at} needs a "file"`);
    if (!existsSync(join(directory, image.file))) fail(`${at}: ${image.file} is missing from ${directory}`);
    const labels = image.labels ?? (image.label === undefined ? undefined : [image.label]);
    if (!Array.isArray(labels) || labels.length === 0 || !labels.every(classIndex)) {
      fail(`${at} (${image.file}): "label" (or "labels") must be class indices from 0 to ${count - 1}`);
    }
    for (const [k, instance] of (image.instances ?? []).entries()) {
      const index = instance.classIndex ?? (instance.className === undefined ? undefined : (classes as string[]).indexOf(instance.className));
      if (!classIndex(index)) fail(`${at} (${image.file}): instances[${k}] needs a "classIndex" from 0 to ${count - 1} or a "className" of "classes"`);
      const box = instance.box;
      if (!Array.isArray(box) || box.length !== 4 || !box.every(Number.isFinite) || box[2]! <= box[0]! || box[3]! <= box[1]!) {
        fail(`${at} (${image.file}): instances[${k}].box must be [x0, y0, x1, y1] with x1 > x0 and y1 > y0`);
      }
      if (instance.rle !== undefined && (!Array.isArray(instance.rle) || !instance.rle.every(Number.isInteger))) {
        fail(`${at} (${image.file}): instances[${k}].rle must be a list of run lengths`);
      }
    }
  }
  return classes as string[];
}

const sameClasses = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((c, i) => c === b[i]);

/** Does the model explain images of this set (its card names the set, or it has the same classes)? */
export function modelTakesSet(model: Pick<SiteModelSource, "card" | "classNames">, set: {name: string; classes: readonly string[]}): boolean {
  return model.card.dataset === set.name || sameClasses(model.classNames, set.classes);
}

/** Checks one image set; a discovered set that no model in the build takes is left out (null). */
function checkImageSet(
  entry: RawEntry,
  directory: string,
  models: readonly SiteModelSource[],
  fail: Fail,
  log: (line: string) => void
): SiteImageSetSource | null {
  const what = `image set "${entry.name}"`;
  if (!existsSync(directory) || !statSync(directory).isDirectory()) fail(`${what}: folder ${directory} does not exist`);
  const annotations = join(directory, "annotations.json");
  if (existsSync(annotations)) {
    const classes = checkAnnotations(what, directory, annotations, fail);
    if (!models.some((m) => modelTakesSet(m, {name: entry.name, classes}))) {
      if (entry.discovered) {
        log(`site: ${what} left out: no model in the build takes it (none has "dataset": "${entry.name}" or its classes)`);
        return null;
      }
      fail(`${what}: no model in the build takes it: give a model whose card.json says "dataset": "${entry.name}" or has its classes (${classes.join(", ")})`);
    }
    return {name: entry.name, directory, annotations, classes, labelledBy: null, precompute: entry.precompute};
  }
  if (!readdirSync(directory).some((f) => IMAGE_EXTENSIONS.test(f))) fail(`${what}: ${directory} holds no PNG or JPEG image`);
  const labeller = models.find((m) => m.card.dataset === entry.name);
  if (!labeller) {
    if (entry.discovered) {
      log(`site: ${what} left out: it has no annotations.json and no model's card.json says "dataset": "${entry.name}"`);
      return null;
    }
    fail(
      `${what}: has no annotations.json, so a model labels its images: give one model's card.json "dataset": "${entry.name}" (or add annotations.json with "classes" and "images")`
    );
  }
  return {name: entry.name, directory, annotations: null, classes: labeller!.classNames, labelledBy: labeller!.name, precompute: entry.precompute};
}

/** An image set named in the data folder: the committed layout <name>/test/, else <name>/ itself. */
function namedSetDirectory(dataDir: string, name: string): string {
  const split = join(dataDir, name, "test");
  return existsSync(join(split, "annotations.json")) ? split : join(dataDir, name);
}

/** Every model folder (with a model.json) of dataDir/models, by name. */
function discoveredModels(dataDir: string): RawEntry[] {
  return listModels(join(dataDir, "models")).map((m) => ({name: m.name, path: m.directory, precompute: true, discovered: true}));
}

/**
 * Every image set of a data folder, by name: a committed test split (<name>/test/annotations.json),
 * a folder with annotations.json, or a folder of PNG / JPEG images. Not the models folder nor the
 * photographs (`photos`, whose faces the gallery takes separately).
 */
function discoveredSets(dataDir: string, photos: string | null): RawEntry[] {
  if (!existsSync(dataDir)) return [];
  return readdirSync(dataDir)
    .filter((name) => NAME_PATTERN.test(name) && name !== "models" && statSync(join(dataDir, name)).isDirectory())
    .filter((name) => photos === null || resolve(dataDir, name) !== resolve(photos))
    .sort()
    .flatMap((name) => {
      const directory = namedSetDirectory(dataDir, name);
      const isSet = existsSync(join(directory, "annotations.json")) || readdirSync(directory).some((f) => IMAGE_EXTENSIONS.test(f));
      return isSet ? [{name, path: directory, precompute: true, discovered: true}] : [];
    });
}

const TOP_LEVEL_FIELDS = ["$comment", "dataDir", "models", "imageSets", "photos", "precompute"];

/**
 * Reads and checks a configuration (or, with `path` null, every model and image set in `dataDir`).
 * Messages about left-out discovered sets go to `log`.
 */
export function readSiteConfig(
  path: string | null,
  dataDirOverride?: string,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)
): SiteConfig {
  const source = path ?? `SALIENCY_DATA_DIR=${dataDirOverride}`;
  const fail: Fail = (message) => {
    throw new SiteConfigError(`${source}: ${message}`);
  };
  let raw: Record<string, unknown>;
  let base: string;
  if (path === null) {
    const dataDir = resolve(dataDirOverride ?? join(REPO_ROOT, "data"));
    raw = {dataDir, models: "all", imageSets: "all", photos: existsSync(join(dataDir, "photos", "sources.json")) ? "photos" : null};
    base = dataDir;
  } else {
    const json = readJsonFile(path, "site configuration", fail);
    if (!isObject(json)) fail(`expected a JSON object with "models" and "imageSets"`);
    raw = json as Record<string, unknown>;
    base = dirname(path);
    const unknown = Object.keys(raw).filter((k) => !TOP_LEVEL_FIELDS.includes(k));
    if (unknown.length) fail(`unknown field ${unknown.map((k) => `"${k}"`).join(", ")} (known: ${TOP_LEVEL_FIELDS.slice(1).join(", ")})`);
  }
  if (raw.dataDir !== undefined && typeof raw.dataDir !== "string") fail(`"dataDir" must be a path`);
  const dataDir = resolve(dataDirOverride ?? resolve(base, (raw.dataDir as string | undefined) ?? "data"));
  let photos: string | null = null;
  if (raw.photos !== undefined && raw.photos !== null) {
    if (typeof raw.photos !== "string") fail(`"photos" must be a folder (with sources.json) or null`);
    photos = /[\\/]/.test(raw.photos as string) ? resolve(base, raw.photos as string) : join(dataDir, raw.photos as string);
    if (!existsSync(join(photos, "sources.json"))) fail(`photos: ${photos} has no sources.json`);
  }
  const models = expand(rawEntries(raw.models ?? [], "models", fail), () => discoveredModels(dataDir)).map((entry) =>
    checkModel(entry, entry.path === null ? join(dataDir, "models", entry.name) : resolve(base, entry.path), fail)
  );
  const imageSets = expand(rawEntries(raw.imageSets ?? [], "imageSets", fail), () => discoveredSets(dataDir, photos)).flatMap((entry) => {
    const set = checkImageSet(entry, entry.path === null ? namedSetDirectory(dataDir, entry.name) : resolve(base, entry.path), models, fail, log);
    return set ? [set] : [];
  });
  let methods: string[] | null = null;
  if (raw.precompute !== undefined) {
    const precompute = raw.precompute as {methods?: unknown};
    if (!isObject(precompute)) fail(`"precompute" must be an object such as {"methods": ["gradcam", "sise"]}`);
    if (precompute.methods !== undefined) {
      if (!Array.isArray(precompute.methods) || !precompute.methods.every((m) => typeof m === "string")) {
        fail(`precompute.methods must be a list of method names`);
      }
      const unknown = (precompute.methods as string[]).filter((m) => !METHODS[m]);
      if (unknown.length) fail(`precompute.methods: unknown method ${unknown.join(", ")} (choose from ${Object.keys(METHODS).join(", ")})`);
      methods = precompute.methods as string[];
    }
  }
  return {source, dataDir, models, imageSets, photos, methods};
}

let cached: {key: string; config: SiteConfig} | null = null;

/**
 * The build's configuration: SALIENCY_SITE_CONFIG's file, else SALIENCY_DATA_DIR's whole folder,
 * else site.config.json. Read and checked once per process.
 */
export function siteConfig(): SiteConfig {
  const file = process.env.SALIENCY_SITE_CONFIG;
  const dataDir = process.env.SALIENCY_DATA_DIR;
  const key = `${file ?? ""}\0${dataDir ?? ""}`;
  if (cached?.key !== key) {
    const config = file ? readSiteConfig(resolve(file), dataDir) : dataDir ? readSiteConfig(null, dataDir) : readSiteConfig(DEFAULT_SITE_CONFIG);
    cached = {key, config};
  }
  return cached.config;
}
