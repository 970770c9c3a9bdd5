/**
 * The gallery: a few images of every image set in the build's configuration (./config.ts), chosen
 * deterministically to cover the classes (the first image of each class, then the second, ...),
 * and the face crops of the configured photographs with the photos themselves (./faces.ts).
 * Shipped as one packed file: the index (labels, boxes, instance masks as run lengths, face
 * geometry) in the header and the RGB bytes of each image and photo as a part named by its id
 * ("shapes/0003", "faces/astronaut-0", "photos/astronaut").
 *
 * An image set is a folder of PNG / JPEG images with an annotations.json (the committed splits'
 * format, or a lighter one: boxes without masks) or without one: then the model whose card names
 * the set as its data set labels each image with its top class (as the face crops are labelled).
 */
import {existsSync, readdirSync, readFileSync} from "node:fs";
import {join} from "node:path";
import * as tf from "@tensorflow/tfjs";
import {pack} from "../../src/lib/format/pack.js";
import type {GalleryDataset, GalleryImageMeta, GalleryInstance, GalleryMeta} from "../../src/lib/format/site-data.js";
import {imageToPixels} from "../../src/lib/explain/pixels.js";
import {encodeRle} from "../../src/lib/metrics/masks.js";
import {selectNodeBackend} from "../backend.js";
import {readImageFile, type DecodedImage} from "../image-io.js";
import {IMAGE_EXTENSIONS, siteConfig, SiteConfigError, type SiteImageSetSource} from "./config.js";
import {loadFaceGallery, shrinkByBlocks, type LoadedGalleryPhoto} from "./faces.js";
import {openSiteModel} from "./models.js";
import {siteProfile} from "./paths.js";

export type {GalleryDataset, GalleryImageMeta, GalleryMeta};

export interface LoadedGalleryImage extends GalleryImageMeta {
  rgb: Uint8Array;
}

/** An unannotated image's longest side in the gallery: larger ones are shrunk by a whole factor. */
export const GALLERY_IMAGE_SIDE = 256;

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

interface AnnotatedImage {
  file: string;
  label?: number;
  labels?: number[];
  instances?: {classIndex?: number; className?: string; box: [number, number, number, number]; rle?: number[]}[];
}

interface Annotations {
  classes: string[];
  width?: number;
  height?: number;
  images: AnnotatedImage[];
}

const problem = (set: SiteImageSetSource, message: string) => new SiteConfigError(`${siteConfig().source}: image set "${set.name}": ${message}`);

async function decode(set: SiteImageSetSource, file: string): Promise<DecodedImage> {
  try {
    return await readImageFile(join(set.directory, file));
  } catch (error) {
    throw problem(set, (error as Error).message);
  }
}

/** A box as a mask's run lengths (row-major, zeros first), clipped to the image. */
function boxRle([x0, y0, x1, y1]: readonly number[], width: number, height: number): number[] {
  const mask = new Uint8Array(width * height);
  for (let y = Math.max(0, Math.floor(y0!)); y < Math.min(height, Math.ceil(y1!)); y++) {
    mask.fill(1, y * width + Math.max(0, Math.floor(x0!)), y * width + Math.min(width, Math.ceil(x1!)));
  }
  return encodeRle(mask);
}

async function annotatedImages(set: SiteImageSetSource, count: number): Promise<{dataset: GalleryDataset; images: LoadedGalleryImage[]}> {
  const annotations = JSON.parse(readFileSync(set.annotations!, "utf8")) as Annotations;
  const labelsOf = (image: AnnotatedImage) => image.labels ?? [image.label!];
  const positions = chooseGalleryPositions(
    annotations.images.map((image) => labelsOf(image)[0]!),
    count
  );
  const images: LoadedGalleryImage[] = [];
  for (const position of positions) {
    const annotation = annotations.images[position]!;
    const {width, height, rgb} = await decode(set, annotation.file);
    if ((annotations.width !== undefined && annotations.width !== width) || (annotations.height !== undefined && annotations.height !== height)) {
      throw problem(set, `${annotation.file} is ${width}x${height}, but annotations.json says ${annotations.width}x${annotations.height}`);
    }
    const instances: GalleryInstance[] = (annotation.instances ?? []).map((instance) => {
      const classIndex = instance.classIndex ?? annotations.classes.indexOf(instance.className!);
      const rle = instance.rle ?? boxRle(instance.box, width, height);
      if (rle.reduce((sum, run) => sum + run, 0) !== width * height)
        throw problem(set, `${annotation.file}: an instance's "rle" does not cover ${width}x${height} pixels`);
      return {classIndex, className: annotations.classes[classIndex]!, box: instance.box, rle};
    });
    const labels = labelsOf(annotation);
    images.push({
      id: `${set.name}/${annotation.file.replace(IMAGE_EXTENSIONS, "")}`,
      dataset: set.name,
      file: annotation.file,
      width,
      height,
      label: labels[0]!,
      className: annotations.classes[labels[0]!]!,
      labels,
      instances,
      rgb
    });
  }
  const first = images[0];
  return {
    dataset: {
      name: set.name,
      classes: annotations.classes,
      width: annotations.width ?? first?.width ?? 0,
      height: annotations.height ?? first?.height ?? 0,
      splitSize: annotations.images.length
    },
    images
  };
}

/** The first `count` images of an unannotated set (by file name), each labelled by its model's top class. */
async function modelLabelledImages(set: SiteImageSetSource, count: number): Promise<{dataset: GalleryDataset; images: LoadedGalleryImage[]}> {
  const files = readdirSync(set.directory)
    .filter((f) => IMAGE_EXTENSIONS.test(f))
    .sort();
  if (!tf.engine().backendName) await selectNodeBackend();
  const model = await openSiteModel(set.labelledBy!);
  const images: LoadedGalleryImage[] = [];
  try {
    for (const file of files.slice(0, count)) {
      const decoded = await decode(set, file);
      const image = shrinkByBlocks(decoded, Math.ceil(Math.max(decoded.width, decoded.height) / GALLERY_IMAGE_SIDE));
      let label: number;
      try {
        const top = tf.tidy(() => tf.argMax(model.logits(imageToPixels(model, image)), 1));
        label = (await top.data())[0]!;
        top.dispose();
      } catch (error) {
        throw problem(set, `model "${set.labelledBy}" cannot take ${file}: ${(error as Error).message}`);
      }
      images.push({
        id: `${set.name}/${file.replace(IMAGE_EXTENSIONS, "")}`,
        dataset: set.name,
        file,
        width: image.width,
        height: image.height,
        label,
        className: set.classes[label] ?? `class ${label}`,
        labels: [label],
        instances: [],
        labelSource: "model",
        rgb: image.rgb
      });
    }
  } finally {
    model.dispose();
  }
  return {dataset: {name: set.name, classes: set.classes, width: images[0]?.width ?? 0, height: images[0]?.height ?? 0, splitSize: files.length}, images};
}

/** Gallery images of every configured image set (`perDataset` from each). */
export async function loadImageSets(perDataset = siteProfile().galleryPerDataset): Promise<{meta: GalleryMeta; images: LoadedGalleryImage[]}> {
  const datasets: GalleryDataset[] = [];
  const images: LoadedGalleryImage[] = [];
  for (const set of siteConfig().imageSets) {
    const loaded = set.annotations ? await annotatedImages(set, perDataset) : await modelLabelledImages(set, perDataset);
    datasets.push(loaded.dataset);
    images.push(...loaded.images);
  }
  return {meta: {datasets, images: images.map(({rgb: _rgb, ...rest}) => rest)}, images};
}

/** The files an image set's gallery entries depend on (for content keys). */
export function imageSetFiles(): string[] {
  return siteConfig().imageSets.flatMap((set) => (set.annotations ? [set.annotations] : existsSync(set.directory) ? [set.directory] : []));
}

/** The whole site gallery: the image sets' images, then the face crops and their photographs. */
export async function loadSiteGallery(
  perDataset = siteProfile().galleryPerDataset,
  faces = siteProfile().galleryFaces
): Promise<{meta: GalleryMeta; images: LoadedGalleryImage[]; photos: LoadedGalleryPhoto[]}> {
  const sets = await loadImageSets(perDataset);
  const found = await loadFaceGallery(faces);
  if (!found.dataset) return {...sets, photos: []};
  const images = [...sets.images, ...found.images];
  const meta: GalleryMeta = {
    datasets: [...sets.meta.datasets, found.dataset],
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
