/**
 * The site's data files as the pages see them: the model index, the gallery and the
 * precomputed maps, unpacked from their packed form (pack.ts) into typed views. Pure (no DOM, no
 * Node): shared by the pages and the Node loaders that write these files (loaders/site/).
 */
import {unpack} from "./pack.js";
import type {SaliencyMap} from "../maps/types.js";
import type {FaceBox, FaceCrop} from "../model/face-crop.js";
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
  /** The split's file; for a face crop, the photograph's file in data/photos/. */
  file: string;
  width: number;
  height: number;
  label: number;
  className: string;
  /** Every class present (pairs), else [label]. */
  labels: number[];
  /** Ground truth objects; none for a face crop. */
  instances: GalleryInstance[];
  /**
   * Where `label` comes from: absent for the test splits (their annotations); "model" for face
   * crops, which have no ground truth: it is the face model's top class on the crop.
   */
  labelSource?: "model";
  /** Set on the face crops (data set "faces"): which photo and face it is, and where it lies there. */
  face?: GalleryFace;
}

/**
 * A face crop's place in its photograph. Maps of the crop (width × height of the crop image) go
 * back onto the photo with src/lib/model/face-crop.ts: `mapToImage(face.photoCrop, map)` gives
 * a map of the gallery photo's size (0 outside the crop), to draw over `Gallery.photoById`'s
 * pixels as any gallery map.
 */
export interface GalleryFace {
  /** Id of the photograph in `Gallery.photos` ("photos/astronaut"). */
  photo: string;
  /** Position in the detector's list for the photo (most confident first). */
  index: number;
  /** Detector confidence, 0..1. */
  score: number;
  /** Box shorter than 48 px in the original photo: the crop is mostly upsampled (say so). */
  small: boolean;
  /** The detected face box, in the gallery photo's pixels. */
  box: FaceBox;
  /** The crop square in the gallery photo's pixels (rounded to whole pixels there; outSize = the crop image's side). */
  photoCrop: FaceCrop;
  /** The exact crop the image was cut from, in the original photograph's pixels (data/photos/<file>). */
  originalCrop: FaceCrop;
}

/** A face the detector found in a gallery photograph. */
export interface GalleryPhotoFace {
  index: number;
  /** In the gallery photo's pixels. */
  box: FaceBox;
  score: number;
  small: boolean;
  /** Gallery id of its crop ("faces/astronaut-0"); null when this build leaves it out (quick profile). */
  image: string | null;
}

/** A whole photograph with faces (data/photos/), downscaled for the site, with every face found in it. */
export interface GalleryPhotoMeta {
  id: string;
  file: string;
  title: string;
  licence: string;
  /** As shipped: the original shrunk by a whole factor (block means), long side at most 320 px. */
  width: number;
  height: number;
  originalWidth: number;
  originalHeight: number;
  /** width / originalWidth (= height / originalHeight, up to the dropped edge pixels of a partial block). */
  scale: number;
  faces: GalleryPhotoFace[];
}

export interface GalleryPhoto extends GalleryPhotoMeta {
  rgb: Uint8Array;
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
  /** Photographs the face crops come from (absent in files written before they existed). */
  photos?: GalleryPhotoMeta[];
}

export interface GalleryImage extends GalleryImageMeta {
  rgb: Uint8Array;
}

export interface Gallery {
  datasets: GalleryDataset[];
  images: GalleryImage[];
  byId: Map<string, GalleryImage>;
  photos: GalleryPhoto[];
  photoById: Map<string, GalleryPhoto>;
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
  const photos = (meta.photos ?? []).map((photo) => ({...photo, rgb: parts.get(photo.id) ?? new Uint8Array(photo.width * photo.height * 3)}));
  return {datasets: meta.datasets, images, byId: new Map(images.map((i) => [i.id, i])), photos, photoById: new Map(photos.map((p) => [p.id, p]))};
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
