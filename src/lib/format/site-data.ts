/**
 * The site's data files as the pages see them: the model index, the gallery and the
 * precomputed maps, unpacked from their packed form (pack.ts) into typed views. Pure (no DOM, no
 * Node): shared by the pages and the Node loaders that write these files (loaders/site/).
 */
import {unpack} from "./pack.js";
import type {SaliencyMap} from "../maps/types.js";
import {decodeRle, unionMasks} from "../metrics/masks.js";

export {decodeRle};

export interface SiteModelEntry {
  name: string;
  slot: number;
  /** Data set the model was trained on (card "dataset"), when known. */
  dataset: string | null;
  classNames: string[];
  inputShape: [number, number, number] | null;
  architecture: string | null;
  testAccuracy: number | null;
  /** Bytes of the weight shards. */
  bytes: number;
}

export interface PackedModelMeta {
  name: string;
  modelJson: unknown;
  card: Record<string, unknown> | null;
}

export interface GalleryInstance {
  classIndex: number;
  className: string;
  /** [x0, y0, x1, y1), pixels. */
  box: [number, number, number, number];
  /** Row-major run lengths starting with zeros (annotations.json's encoding). */
  rle: number[];
}

export interface GalleryImageMeta {
  id: string;
  dataset: string;
  file: string;
  width: number;
  height: number;
  label: number;
  className: string;
  /** Every class present (pairs), else [label]. */
  labels: number[];
  instances: GalleryInstance[];
}

export interface GalleryDataset {
  name: string;
  classes: string[];
  width: number;
  height: number;
  splitSize: number;
}

export interface GalleryMeta {
  datasets: GalleryDataset[];
  images: GalleryImageMeta[];
}

export interface GalleryImage extends GalleryImageMeta {
  rgb: Uint8Array;
}

export interface Gallery {
  datasets: GalleryDataset[];
  images: GalleryImage[];
  byId: Map<string, GalleryImage>;
}

export interface PrecomputedEntry {
  image: string;
  model: string;
  method: string;
  classIndex: number;
  className: string;
  score: {mode: string; value: number};
  layer: string | string[] | null;
  totalMs: number;
  /** Index of the map in the maps part (each width·height bytes). */
  map: number;
  width: number;
  height: number;
  forward: number;
  masksPerLayer?: Record<string, number>;
}

export interface PrecomputedPrediction {
  image: string;
  model: string;
  probabilities: number[];
}

export interface PrecomputedMeta {
  profile: string;
  backend: string;
  provider: string;
  generated: string;
  methods: {name: string; title: string; options: Record<string, unknown>}[];
  models: SiteModelEntry[];
  predictions: PrecomputedPrediction[];
  entries: PrecomputedEntry[];
  seconds: number;
}

export interface Precomputed extends PrecomputedMeta {
  /** The map of an entry, back in [0, 1]. */
  mapOf(entry: PrecomputedEntry): SaliencyMap;
  find(query: {image: string; model: string; method: string; classIndex?: number}): PrecomputedEntry | undefined;
}

/** Union of the instance masks of one class (all classes when `classIndex` is undefined); empty when none. */
export function groundTruthMask(image: GalleryImageMeta, classIndex?: number): Uint8Array {
  const length = image.width * image.height;
  const own = image.instances.filter((instance) => classIndex === undefined || instance.classIndex === classIndex);
  return own.length === 0 ? new Uint8Array(length) : unionMasks(own.map((instance) => decodeRle(instance.rle, length)));
}

export function readGallery(buffer: ArrayBuffer): Gallery {
  const {meta, parts} = unpack<GalleryMeta>(buffer, "gallery.bin");
  const images = meta.images.map((image) => ({...image, rgb: parts.get(image.id) ?? new Uint8Array(image.width * image.height * 3)}));
  return {datasets: meta.datasets, images, byId: new Map(images.map((i) => [i.id, i]))};
}

export function readPrecomputed(buffer: ArrayBuffer): Precomputed {
  const {meta, parts} = unpack<PrecomputedMeta>(buffer, "precomputed.bin");
  const maps = parts.get("maps") ?? new Uint8Array(0);
  const offsets: number[] = [];
  let offset = 0;
  for (const entry of [...meta.entries].sort((a, b) => a.map - b.map)) {
    offsets[entry.map] = offset;
    offset += entry.width * entry.height;
  }
  const key = (image: string, model: string, method: string) => `${image}\u0000${model}\u0000${method}`;
  const index = new Map<string, PrecomputedEntry[]>();
  for (const entry of meta.entries) {
    const k = key(entry.image, entry.model, entry.method);
    index.set(k, [...(index.get(k) ?? []), entry]);
  }
  return {
    ...meta,
    mapOf(entry) {
      const start = offsets[entry.map]!;
      const bytes = maps.subarray(start, start + entry.width * entry.height);
      const data = new Float32Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) data[i] = bytes[i]! / 255;
      return {width: entry.width, height: entry.height, data};
    },
    find({image, model, method, classIndex}) {
      const candidates = index.get(key(image, model, method)) ?? [];
      return classIndex === undefined ? candidates[0] : candidates.find((e) => e.classIndex === classIndex);
    }
  };
}
