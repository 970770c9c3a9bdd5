/**
 * Annotated image sets for `saliency evaluate`, read into one shape: images with their objects
 * (class name, box [x0, y0, x1, y1) in pixels, and a mask when the format has one).
 * - `voc:DIR`: PASCAL VOC, DIR/Annotations/*.xml (read with fast-xml-parser) and the images in
 *   DIR/JPEGImages (or beside the XML files). VOC boxes are 1-based and inclusive: [xmin−1, ymin−1, xmax, ymax).
 * - `coco:FILE.json[:IMAGES_DIR]`: COCO instances; bbox [x, y, w, h]; segmentation polygons or
 *   RLE (coco-masks.ts); images in IMAGES_DIR (default: the JSON's folder).
 * - `saliency:DIR`: this project's test splits (annotations.json with run-length masks).
 */
import {existsSync, readdirSync, readFileSync} from "node:fs";
import {basename, dirname, join} from "node:path";
import {XMLParser} from "fast-xml-parser";
import type {Box} from "../../src/lib/metrics/masks.js";
import {decodeRle} from "../../src/lib/metrics/masks.js";
import {readSplitAnnotations} from "../datasets/splits.js";
import {cocoSegmentationToMask, type CocoSegmentation} from "./coco-masks.js";

export interface AnnotatedObject {
  className: string;
  box: Box;
  /** Visible pixels (row-major, image size), when the format has them. */
  mask?: () => Uint8Array;
}

export interface AnnotatedImage {
  /** Name in records and tables (file name relative to the image folder). */
  id: string;
  path: string;
  /** Size the annotation states (checked against the decoded image). */
  width: number;
  height: number;
  objects: AnnotatedObject[];
}

export interface AnnotatedDataset {
  kind: "voc" | "coco" | "saliency";
  source: string;
  /** Class names in the data set's own order (first seen, for VOC). */
  classes: string[];
  images: AnnotatedImage[];
  /** Whether every object has a mask (ground truth "mask" possible). */
  masks: boolean;
}

function readJson(path: string): unknown {
  if (!existsSync(path)) throw new Error(`${path} does not exist`);
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`);
  }
}

const finite = (value: unknown, what: string): number => {
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) throw new Error(`${what} is not a number (${JSON.stringify(value)})`);
  return n;
};

// ---- PASCAL VOC ----

interface VocObject {
  name?: unknown;
  bndbox?: {xmin?: unknown; ymin?: unknown; xmax?: unknown; ymax?: unknown};
}

interface VocAnnotation {
  annotation?: {filename?: unknown; size?: {width?: unknown; height?: unknown}; object?: VocObject[]};
}

const vocParser = new XMLParser({isArray: (name) => name === "object", parseTagValue: false, trimValues: true});

/** One VOC annotation file. */
export function parseVocXml(xml: string, source: string): {filename: string; width: number; height: number; objects: AnnotatedObject[]} {
  let parsed: VocAnnotation;
  try {
    parsed = vocParser.parse(xml, true) as VocAnnotation;
  } catch (error) {
    throw new Error(`${source}: malformed XML: ${(error as Error).message}`);
  }
  const annotation = parsed.annotation;
  if (!annotation) throw new Error(`${source}: no <annotation> element`);
  if (typeof annotation.filename !== "string" || annotation.filename === "") throw new Error(`${source}: no <filename>`);
  const width = finite(annotation.size?.width, `${source}: <size><width>`);
  const height = finite(annotation.size?.height, `${source}: <size><height>`);
  const objects = (annotation.object ?? []).map((object, n): AnnotatedObject => {
    const where = `${source}: object ${n + 1}`;
    if (typeof object.name !== "string" || object.name === "") throw new Error(`${where} has no <name>`);
    const b = object.bndbox;
    if (!b) throw new Error(`${where} (${object.name}) has no <bndbox>`);
    const [xmin, ymin, xmax, ymax] = [b.xmin, b.ymin, b.xmax, b.ymax].map((v, i) => finite(v, `${where} <${["xmin", "ymin", "xmax", "ymax"][i]}>`));
    if (xmax! < xmin! || ymax! < ymin!) throw new Error(`${where} has an empty box (${xmin}, ${ymin}, ${xmax}, ${ymax})`);
    return {className: object.name, box: [xmin! - 1, ymin! - 1, xmax!, ymax!]};
  });
  return {filename: annotation.filename, width, height, objects};
}

export function readVoc(dir: string): AnnotatedDataset {
  const annotations = join(dir, "Annotations");
  if (!existsSync(annotations)) throw new Error(`voc:${dir}: no Annotations folder`);
  const imagesDir = existsSync(join(dir, "JPEGImages")) ? join(dir, "JPEGImages") : annotations;
  const classes: string[] = [];
  const images = readdirSync(annotations)
    .filter((name) => name.endsWith(".xml"))
    .sort()
    .map((name): AnnotatedImage => {
      const file = join(annotations, name);
      const parsed = parseVocXml(readFileSync(file, "utf8"), file);
      for (const object of parsed.objects) if (!classes.includes(object.className)) classes.push(object.className);
      const path = join(imagesDir, parsed.filename);
      if (!existsSync(path)) throw new Error(`${file}: image ${parsed.filename} is not in ${imagesDir}`);
      return {id: parsed.filename, path, width: parsed.width, height: parsed.height, objects: parsed.objects};
    });
  if (images.length === 0) throw new Error(`voc:${dir}: no .xml files in Annotations`);
  return {kind: "voc", source: `voc:${dir}`, classes, images, masks: false};
}

// ---- COCO ----

interface CocoFile {
  images?: {id: number; file_name: string; width: number; height: number}[];
  annotations?: {image_id: number; category_id: number; bbox: number[]; segmentation?: CocoSegmentation; iscrowd?: number}[];
  categories?: {id: number; name: string}[];
}

export function readCoco(file: string, imagesDir = dirname(file)): AnnotatedDataset {
  const coco = readJson(file) as CocoFile;
  if (!Array.isArray(coco.images) || !Array.isArray(coco.annotations) || !Array.isArray(coco.categories)) {
    throw new Error(`${file}: a COCO file needs "images", "annotations" and "categories" lists`);
  }
  const categories = new Map(coco.categories.map((c) => [c.id, c.name]));
  const byImage = new Map<number, AnnotatedObject[]>();
  let allMasks = true;
  for (const [n, a] of coco.annotations.entries()) {
    const where = `${file}: annotation ${n}`;
    const className = categories.get(a.category_id);
    if (className === undefined) throw new Error(`${where} has unknown category_id ${a.category_id}`);
    const image = coco.images.find((i) => i.id === a.image_id);
    if (!image) throw new Error(`${where} refers to unknown image_id ${a.image_id}`);
    if (!Array.isArray(a.bbox) || a.bbox.length !== 4) throw new Error(`${where} has no bbox [x, y, w, h]`);
    const [x, y, w, h] = a.bbox.map((v) => finite(v, `${where} bbox`)) as [number, number, number, number];
    const object: AnnotatedObject = {className, box: [x, y, x + w, y + h]};
    const segmentation = a.segmentation;
    if (segmentation && (!Array.isArray(segmentation) || segmentation.length > 0)) {
      object.mask = () => {
        try {
          return cocoSegmentationToMask(segmentation, image.width, image.height);
        } catch (error) {
          throw new Error(`${where}: ${(error as Error).message}`);
        }
      };
    } else allMasks = false;
    byImage.set(a.image_id, [...(byImage.get(a.image_id) ?? []), object]);
  }
  const images = [...coco.images]
    .sort((a, b) => (a.file_name < b.file_name ? -1 : a.file_name > b.file_name ? 1 : 0))
    .map((image): AnnotatedImage => {
      const path = join(imagesDir, image.file_name);
      if (!existsSync(path)) throw new Error(`${file}: image ${image.file_name} is not in ${imagesDir}`);
      return {id: image.file_name, path, width: image.width, height: image.height, objects: byImage.get(image.id) ?? []};
    });
  return {kind: "coco", source: `coco:${file}`, classes: coco.categories.map((c) => c.name), images, masks: allMasks};
}

// ---- this project's splits ----

export function readSaliencySplit(dir: string): AnnotatedDataset {
  if (!existsSync(join(dir, "annotations.json"))) throw new Error(`saliency:${dir}: no annotations.json`);
  const split = readSplitAnnotations(dir);
  const images = split.images.map((image): AnnotatedImage => ({
    id: image.file,
    path: join(dir, image.file),
    width: split.width,
    height: split.height,
    objects: image.instances.map((instance) => ({
      className: split.classes[instance.classIndex] ?? instance.className,
      box: instance.box,
      mask: () => decodeRle(instance.rle, split.width * split.height)
    }))
  }));
  return {kind: "saliency", source: `saliency:${dir}`, classes: [...split.classes], images, masks: true};
}

/** `voc:DIR`, `coco:FILE.json[:IMAGES_DIR]` or `saliency:DIR`. */
export function readDataset(spec: string): AnnotatedDataset {
  const colon = spec.indexOf(":");
  const kind = colon < 0 ? "" : spec.slice(0, colon);
  const rest = spec.slice(colon + 1);
  if (kind === "voc") return readVoc(rest);
  if (kind === "saliency") return readSaliencySplit(rest);
  if (kind === "coco") {
    // FILE.json[:IMAGES_DIR]: the image folder follows the .json's colon.
    const at = rest.toLowerCase().indexOf(".json:");
    return at < 0 ? readCoco(rest) : readCoco(rest.slice(0, at + 5), rest.slice(at + 6));
  }
  throw new Error(`--dataset must be voc:DIR, coco:FILE.json[:IMAGES_DIR] or saliency:DIR, got "${spec}"`);
}

/**
 * How data-set class names map to the model's class indices: `--class-map FILE` (JSON object,
 * name → index or model class name; unmapped classes are left out), else by name.
 */
export function classMapping(dataset: AnnotatedDataset, modelClasses: readonly string[], mapFile?: string): Map<string, number> {
  const mapping = new Map<string, number>();
  if (mapFile) {
    const given = readJson(mapFile);
    if (!given || typeof given !== "object" || Array.isArray(given))
      throw new Error(`--class-map ${mapFile} must be a JSON object: {"dataset class": model index or name}`);
    for (const [name, target] of Object.entries(given as Record<string, unknown>)) {
      const index = typeof target === "number" ? target : modelClasses.indexOf(String(target));
      if (!Number.isInteger(index) || index < 0 || index >= modelClasses.length) {
        throw new Error(
          `--class-map ${basename(mapFile)}: "${name}" → ${JSON.stringify(target)} is not a class of the model (0..${modelClasses.length - 1} or a name)`
        );
      }
      mapping.set(name, index);
    }
    return mapping;
  }
  const unknown = dataset.classes.filter((name) => !modelClasses.includes(name));
  if (unknown.length > 0) {
    throw new Error(
      `the model has no class named ${unknown.map((n) => `"${n}"`).join(", ")} (its classes: ${modelClasses.slice(0, 12).join(", ")}` +
        `${modelClasses.length > 12 ? ", …" : ""}): pass --class-map FILE`
    );
  }
  for (const name of dataset.classes) mapping.set(name, modelClasses.indexOf(name));
  return mapping;
}
