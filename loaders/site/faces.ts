/**
 * The gallery's faces: every face face-api's detector finds in the committed photographs
 * (data/photos/), each cut to the face model's square crop (data set "faces", classes = the
 * model's), and the photographs themselves, downscaled, so pages can draw a crop's map back onto
 * the whole photo. A face crop has no ground truth: its label is the face model's top class.
 * The face model is the site configuration's model whose card says "input": "face-crop"; the
 * photographs are its "photos" folder (./config.ts).
 *
 * Detection and labels need tfjs, so they are cached (SALIENCY_SITE_CACHE) by the photos, the
 * model and this code: the gallery and the precompute loaders, which both read the gallery,
 * detect once per change.
 */
import {existsSync} from "node:fs";
import {join} from "node:path";
import * as tf from "@tensorflow/tfjs";
import type {GalleryDataset, GalleryFace, GalleryImageMeta, GalleryPhotoMeta} from "../../src/lib/format/site-data.js";
import {DEFAULT_FACE_MARGIN, FACE_INPUT_SIZE, isSmallFace, type FaceBox, type FaceCrop} from "../../src/lib/model/face-crop.js";
import {selectNodeBackend} from "../backend.js";
import {detectFaces} from "../faces/detect.js";
import {faceInput} from "../faces/face-inputs.js";
import {readPhoto, readPhotoSources} from "../faces/photos.js";
import {openModel} from "../model-files.js";
import {modelInputKind} from "../models/catalogue.js";
import {cachedBytes, contentKey} from "./cache.js";
import {siteConfig} from "./config.js";
import {REPO_ROOT} from "./paths.js";

export const FACES_DATASET = "faces";
/** Gallery photos are shrunk by the smallest whole factor that brings the long side to this or less. */
export const GALLERY_PHOTO_SIDE = 320;

/** What detection and the face model say about one photo (cached as JSON). */
interface DetectedPhoto {
  file: string;
  width: number;
  height: number;
  faces: {box: FaceBox; score: number; label: number}[];
}

export interface LoadedGalleryPhoto extends GalleryPhotoMeta {
  rgb: Uint8Array;
}

export interface FaceGallery {
  /** Null when there is no face model or no photo with a face. */
  dataset: GalleryDataset | null;
  images: (GalleryImageMeta & {rgb: Uint8Array})[];
  photos: LoadedGalleryPhoto[];
}

/** The build's face model (card "input": "face-crop"), the first in the site configuration; null when there is none. */
function faceModel(log: (line: string) => void): {name: string; directory: string; classes: string[]; inputSize: number} | null {
  const found = siteConfig().models.filter((entry) => modelInputKind(entry.card, `${entry.name}/card.json`) === "face-crop");
  if (found.length === 0) return null;
  if (found.length > 1)
    log(
      `gallery: face crops are labelled by ${found[0]!.name}; ${found
        .slice(1)
        .map((e) => e.name)
        .join(", ")} left out`
    );
  const {name, directory, card} = found[0]!;
  const classes = Array.isArray(card?.classNames ?? card?.classes) ? ((card?.classNames ?? card?.classes) as unknown[]).map(String) : [];
  const size = card?.inputSize;
  const inputSize = Array.isArray(size) && Number.isInteger(size[0]) && size[0] === size[1] ? (size[0] as number) : FACE_INPUT_SIZE;
  return {name, directory, classes, inputSize};
}

/** The face model's top class of each crop (one batch). */
async function topClasses(directory: string, crops: readonly Uint8Array[], size: number): Promise<number[]> {
  if (crops.length === 0) return [];
  const model = await openModel(directory);
  try {
    const batch = new Float32Array(crops.length * size * size * 3);
    crops.forEach((rgb, i) => batch.set(rgb, i * size * size * 3));
    // The largest logit is the largest probability, softmax or sigmoid alike.
    const top = tf.tidy(() => tf.argMax(model.logits(tf.tensor4d(batch, [crops.length, size, size, 3])), 1));
    const classes = Array.from(await top.data());
    top.dispose();
    return classes;
  } finally {
    model.dispose();
  }
}

async function detectPhotos(photosDir: string, model: {directory: string; inputSize: number}): Promise<DetectedPhoto[]> {
  // The backend the caller chose (precompute selects one first); else the default one.
  if (!tf.engine().backendName) await selectNodeBackend();
  const detected: DetectedPhoto[] = [];
  for (const source of readPhotoSources(photosDir)) {
    const photo = await readPhoto(source.file, photosDir);
    const faces = await detectFaces(photo);
    const crops = faces.map((face, index) => faceInput(photo, face, index, {outSize: model.inputSize}).pixels.rgb);
    const labels = await topClasses(model.directory, crops, model.inputSize);
    detected.push({
      file: source.file,
      width: photo.width,
      height: photo.height,
      faces: faces.map((face, i) => ({box: face.box, score: face.score, label: labels[i]!}))
    });
  }
  return detected;
}

/** The image shrunk by a whole factor: each output pixel the mean of a factor × factor block (edge pixels of a partial block dropped). */
export function shrinkByBlocks(image: {width: number; height: number; rgb: Uint8Array}, factor: number): {width: number; height: number; rgb: Uint8Array} {
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`shrink factor must be a positive integer, got ${factor}`);
  const width = Math.floor(image.width / factor);
  const height = Math.floor(image.height / factor);
  if (width < 1 || height < 1) throw new Error(`a ${image.width}x${image.height} image cannot shrink by ${factor}`);
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < factor; dy++) for (let dx = 0; dx < factor; dx++) sum += image.rgb[((y * factor + dy) * image.width + x * factor + dx) * 3 + c]!;
        rgb[(y * width + x) * 3 + c] = Math.round(sum / (factor * factor));
      }
    }
  }
  return {width, height, rgb};
}

const scaledBox = (box: FaceBox, scale: number): FaceBox => ({x: box.x * scale, y: box.y * scale, width: box.width * scale, height: box.height * scale});

/** A crop of the original photo expressed in the shrunk photo's pixels, rounded to whole pixels and kept inside it. */
export function scaledCrop(crop: FaceCrop, scale: number, width: number, height: number): FaceCrop {
  const size = Math.min(Math.max(1, Math.round(crop.size * scale)), width, height);
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  return {
    ...crop,
    x: clamp(Math.round(crop.x * scale), width - size),
    y: clamp(Math.round(crop.y * scale), height - size),
    size,
    box: scaledBox(crop.box, scale),
    imageWidth: width,
    imageHeight: height
  };
}

/**
 * The faces of the committed photographs as gallery images (up to `maxFaces`, in photo then
 * detector order) and the photos they come from. Empty without a face model or photos.
 */
export async function loadFaceGallery(
  maxFaces: number | undefined,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)
): Promise<FaceGallery> {
  const empty: FaceGallery = {dataset: null, images: [], photos: []};
  const photosDir = siteConfig().photos;
  const model = faceModel(log);
  if (!model || photosDir === null || !existsSync(join(photosDir, "sources.json"))) return empty;
  const key = contentKey(
    [
      photosDir,
      model.directory,
      join(REPO_ROOT, "loaders", "faces"),
      join(REPO_ROOT, "src", "lib", "model", "face-crop.ts"),
      join(REPO_ROOT, "loaders", "site", "faces.ts")
    ],
    [tf.version.tfjs]
  );
  const cached = await cachedBytes("faces", key, async () => new TextEncoder().encode(JSON.stringify(await detectPhotos(photosDir, model))), log);
  const detected = JSON.parse(new TextDecoder().decode(cached)) as DetectedPhoto[];

  const sources = new Map(readPhotoSources(photosDir).map((s) => [s.file, s]));
  const images: FaceGallery["images"] = [];
  const photos: LoadedGalleryPhoto[] = [];
  for (const entry of detected) {
    if (entry.faces.length === 0 || (maxFaces !== undefined && images.length >= maxFaces)) continue;
    const original = await readPhoto(entry.file, photosDir);
    const factor = Math.ceil(Math.max(original.width, original.height) / GALLERY_PHOTO_SIDE);
    const small = shrinkByBlocks(original, factor);
    const scale = 1 / factor;
    const stem = entry.file.replace(/\.[^.]+$/, "");
    const photoId = `photos/${stem}`;
    const photoFaces: GalleryPhotoMeta["faces"] = [];
    for (const [index, found] of entry.faces.entries()) {
      const included = maxFaces === undefined || images.length < maxFaces;
      const id = `${FACES_DATASET}/${stem}-${index}`;
      const faceSmall = isSmallFace(found.box);
      photoFaces.push({index, box: scaledBox(found.box, scale), score: found.score, small: faceSmall, image: included ? id : null});
      if (!included) continue;
      const {crop, pixels} = faceInput(original, {box: found.box, score: found.score}, index, {margin: DEFAULT_FACE_MARGIN, outSize: model.inputSize});
      const face: GalleryFace = {
        photo: photoId,
        index,
        score: found.score,
        small: faceSmall,
        box: scaledBox(found.box, scale),
        photoCrop: scaledCrop(crop, scale, small.width, small.height),
        originalCrop: crop
      };
      images.push({
        id,
        dataset: FACES_DATASET,
        file: entry.file,
        width: pixels.width,
        height: pixels.height,
        label: found.label,
        className: model.classes[found.label] ?? `class ${found.label}`,
        labels: [found.label],
        instances: [],
        labelSource: "model",
        face,
        rgb: pixels.rgb
      });
    }
    const source = sources.get(entry.file);
    photos.push({
      id: photoId,
      file: entry.file,
      title: source?.title ?? entry.file,
      licence: source?.licence ?? "",
      width: small.width,
      height: small.height,
      originalWidth: original.width,
      originalHeight: original.height,
      scale,
      faces: photoFaces,
      rgb: small.rgb
    });
  }
  if (images.length === 0) return empty;
  const total = detected.reduce((n, d) => n + d.faces.length, 0);
  return {
    dataset: {name: FACES_DATASET, classes: model.classes, width: model.inputSize, height: model.inputSize, splitSize: total},
    images,
    photos
  };
}
