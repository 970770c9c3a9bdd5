/**
 * The gallery: a few images of every committed test split (data/<set>/test), chosen
 * deterministically to cover the classes (the first image of each class, then the second, ...),
 * and the face crops of the committed photographs with the photos themselves (./faces.ts).
 * Shipped as one packed file: the index (labels, boxes, instance masks as run lengths, face
 * geometry) in the header and the RGB bytes of each image and photo as a part named by its id
 * ("shapes/0003", "faces/astronaut-0", "photos/astronaut").
 */
import {existsSync, readdirSync, readFileSync, statSync} from "node:fs";
import {join} from "node:path";
import {pack} from "../../src/lib/format/pack.js";
import type {GalleryDataset, GalleryImageMeta, GalleryMeta} from "../../src/lib/format/site-data.js";
import {loadSplit, type InstanceAnnotation, type SplitAnnotations} from "../datasets/splits.js";
import {loadFaceGallery, type LoadedGalleryPhoto} from "./faces.js";
import {dataDirectory, siteProfile} from "./paths.js";

export type {GalleryDataset, GalleryImageMeta, GalleryMeta};

export interface LoadedGalleryImage extends GalleryImageMeta {
  rgb: Uint8Array;
}

/** Data sets with a committed test split, sorted. */
export function listSplits(): string[] {
  const root = dataDirectory();
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((name) => name !== "models" && statSync(join(root, name)).isDirectory() && existsSync(join(root, name, "test", "annotations.json")))
    .sort();
}

/** Up to `count` positions covering the classes round-robin, in split order. */
export function chooseGalleryPositions(labels: readonly number[], count: number): number[] {
  const byClass = new Map<number, number[]>();
  labels.forEach((label, position) => byClass.set(label, [...(byClass.get(label) ?? []), position]));
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const chosen: number[] = [];
  for (let round = 0; chosen.length < count; round++) {
    let added = false;
    for (const c of classes) {
      const position = byClass.get(c)![round];
      if (position !== undefined && chosen.length < count) {
        chosen.push(position);
        added = true;
      }
    }
    if (!added) break;
  }
  return chosen.sort((a, b) => a - b);
}

function readAnnotations(name: string): SplitAnnotations {
  return JSON.parse(readFileSync(join(dataDirectory(), name, "test", "annotations.json"), "utf8")) as SplitAnnotations;
}

export function loadGallery(perDataset = siteProfile().galleryPerDataset): {meta: GalleryMeta; images: LoadedGalleryImage[]} {
  const datasets: GalleryDataset[] = [];
  const images: LoadedGalleryImage[] = [];
  for (const name of listSplits()) {
    const annotations = readAnnotations(name);
    const positions = chooseGalleryPositions(
      annotations.images.map((i) => i.label),
      perDataset
    );
    const split = loadSplit(join(dataDirectory(), name, "test"));
    datasets.push({name, classes: annotations.classes, width: annotations.width, height: annotations.height, splitSize: annotations.images.length});
    for (const position of positions) {
      const annotation = annotations.images[position]!;
      const sample = split.images[position]!;
      images.push({
        id: `${name}/${annotation.file.replace(/\.png$/, "")}`,
        dataset: name,
        file: annotation.file,
        width: sample.width,
        height: sample.height,
        label: annotation.label,
        className: annotations.classes[annotation.label] ?? `class ${annotation.label}`,
        labels: annotation.labels ?? [annotation.label],
        instances: annotation.instances.map((i: InstanceAnnotation) => ({classIndex: i.classIndex, className: i.className, box: i.box, rle: i.rle})),
        rgb: sample.rgb
      });
    }
  }
  return {meta: {datasets, images: images.map(({rgb: _rgb, ...rest}) => rest)}, images};
}

/** The whole site gallery: the splits' images, then the face crops and their photographs. */
export async function loadSiteGallery(
  perDataset = siteProfile().galleryPerDataset,
  faces = siteProfile().galleryFaces
): Promise<{meta: GalleryMeta; images: LoadedGalleryImage[]; photos: LoadedGalleryPhoto[]}> {
  const splits = loadGallery(perDataset);
  const found = await loadFaceGallery(faces);
  if (!found.dataset) return {...splits, photos: []};
  const images = [...splits.images, ...found.images];
  const meta: GalleryMeta = {
    datasets: [...splits.meta.datasets, found.dataset],
    images: images.map(({rgb: _rgb, ...rest}) => rest),
    photos: found.photos.map(({rgb: _rgb, ...rest}) => rest)
  };
  return {meta, images, photos: found.photos};
}

export async function galleryFile(): Promise<Uint8Array> {
  const {meta, images, photos} = await loadSiteGallery();
  return pack(
    meta,
    [...images, ...photos].map((item) => ({name: item.id, bytes: item.rgb}))
  );
}
