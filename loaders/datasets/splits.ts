/**
 * The committed test splits: data/<set>/test/NNNN.png plus annotations.json. This module knows
 * their on-disk format (shared with write-splits.ts) and loads them back with masks rebuilt.
 */
import {readFileSync} from "node:fs";
import {dirname, join, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {decodeRle, encodeRle} from "./masks.js";
import {decodePng} from "./png.js";
import type {DatasetName, Sample} from "./types.js";

/** Images per committed test split. */
export const TEST_SPLIT_SIZES: Record<DatasetName, number> = {shapes: 300, "shapes-pairs": 120, defects: 250, scenes: 240};

/**
 * Images per committed validation split (VALIDATION_SEED), for sets that commit one: scenes fits
 * its models' temperature on it, so it must be fixed. Other sets validate on the fly.
 */
export const VALIDATION_SPLIT_SIZES: Partial<Record<DatasetName, number>> = {scenes: 100};

export const MASK_ENCODING = "rle-row-major-zeros-first";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Directory of a set's committed test split (absolute). */
export function testSplitDirectory(name: DatasetName, root = REPO_ROOT): string {
  return join(root, "data", name, "test");
}

/** Directory of a set's committed validation split (absolute); only sets in VALIDATION_SPLIT_SIZES have one. */
export function validationSplitDirectory(name: DatasetName, root = REPO_ROOT): string {
  return join(root, "data", name, "val");
}

export function imageFileName(position: number): string {
  return `${String(position).padStart(4, "0")}.png`;
}

export interface InstanceAnnotation {
  classIndex: number;
  className: string;
  box: [number, number, number, number];
  /** Run lengths over the row-major mask, starting with a (possibly empty) run of zeros. */
  rle: number[];
}

export interface ImageAnnotation {
  file: string;
  /** Sample index: the image is dataset.sample(index, seed). */
  index: number;
  label: number;
  labels?: number[];
  instances: InstanceAnnotation[];
}

export interface SplitAnnotations {
  dataset: DatasetName;
  classes: string[];
  width: number;
  height: number;
  seed: number;
  count: number;
  maskEncoding: typeof MASK_ENCODING;
  images: ImageAnnotation[];
}

export function annotateSample(sample: Sample, classes: readonly string[], file: string, index: number): ImageAnnotation {
  const annotation: ImageAnnotation = {
    file,
    index,
    label: sample.label,
    instances: sample.instances.map((instance) => ({
      classIndex: instance.classIndex,
      className: classes[instance.classIndex]!,
      box: [...instance.box],
      rle: encodeRle(instance.mask)
    }))
  };
  if (sample.labels) annotation.labels = [...sample.labels];
  return annotation;
}

/** JSON with one image per line: readable and diff-friendly without the bulk of full indentation. */
export function formatAnnotations(annotations: SplitAnnotations): string {
  const {images, ...header} = annotations;
  const head = JSON.stringify(header, null, 2).replace(/\n}$/, "");
  const lines = images.map((image) => "    " + JSON.stringify(image));
  return `${head},\n  "images": [\n${lines.join(",\n")}\n  ]\n}\n`;
}

export function readSplitAnnotations(dir: string): SplitAnnotations {
  const annotations = JSON.parse(readFileSync(join(dir, "annotations.json"), "utf8")) as SplitAnnotations;
  if (annotations.maskEncoding !== MASK_ENCODING) throw new Error(`unknown mask encoding ${annotations.maskEncoding} in ${dir}`);
  return annotations;
}

export interface SplitImage extends Sample {
  file: string;
  index: number;
}

export interface LoadedSplit extends Omit<SplitAnnotations, "images"> {
  images: SplitImage[];
}

/** Loads annotations.json and every image of a split directory, rebuilding the masks. */
export function loadSplit(dir: string): LoadedSplit {
  const {images, ...header} = readSplitAnnotations(dir);
  const {width, height} = header;
  return {
    ...header,
    images: images.map((image) => {
      const decoded = decodePng(readFileSync(join(dir, image.file)));
      if (decoded.width !== width || decoded.height !== height) {
        throw new Error(`${image.file} is ${decoded.width}x${decoded.height}, expected ${width}x${height}`);
      }
      const sample: SplitImage = {
        file: image.file,
        index: image.index,
        width,
        height,
        rgb: decoded.rgb,
        label: image.label,
        instances: image.instances.map((instance) => ({
          classIndex: instance.classIndex,
          box: instance.box,
          mask: decodeRle(instance.rle, width * height)
        }))
      };
      if (image.labels) sample.labels = image.labels;
      return sample;
    })
  };
}
