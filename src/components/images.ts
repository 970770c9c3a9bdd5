/** Images from the user (file picker, drag and drop) and predictions on them. */
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../lib/model/adapter.js";
import type {RgbImage} from "../lib/explain/types.js";
import {imageToPixels} from "../lib/explain/pixels.js";
import {rgbaToRgb} from "./draw.js";

export interface NamedImage extends RgbImage {
  rgb: Uint8Array;
  name: string;
}

/** Longest side kept for uploads; larger images are scaled down (the model sees its own input size anyway). */
export const MAX_UPLOAD_SIDE = 1024;

export async function imageFromBlob(blob: Blob, name = (blob as File).name ?? "image"): Promise<NamedImage> {
  if (blob.size === 0) throw new Error(`${name} is empty`);
  if (blob.type && !blob.type.startsWith("image/")) throw new Error(`${name} is not an image (type ${blob.type})`);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch (error) {
    throw new Error(`${name} could not be decoded as an image (${(error as Error).message || "corrupt or unsupported file"})`);
  }
  const scale = Math.min(1, MAX_UPLOAD_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext("2d", {willReadFrequently: true})!;
  context.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const rgba = context.getImageData(0, 0, width, height).data;
  const rgb = rgbaToRgb(rgba, width, height);
  return {name, width, height, rgb};
}

export interface Prediction {
  classIndex: number;
  className: string;
  probability: number;
  logit: number;
}

/** The model's top-k classes for an image (softmax of the logits), read asynchronously. */
export async function topPredictions(model: ExplainableModel, image: RgbImage, k = 5): Promise<Prediction[]> {
  const pixels = imageToPixels(model, image);
  const logits = model.logits(pixels);
  const probabilities = tf.softmax(logits);
  try {
    const [l, p] = await Promise.all([logits.data(), probabilities.data()]);
    return Array.from(p, (probability, classIndex) => ({classIndex, className: model.meta.classNames[classIndex]!, probability, logit: l[classIndex]!}))
      .sort((a, b) => b.probability - a.probability)
      .slice(0, k);
  } finally {
    tf.dispose([pixels, logits, probabilities]);
  }
}

/** Files from a drop event or a file input, flattened. */
export function filesOf(source: DataTransfer | FileList | null | undefined): File[] {
  if (!source) return [];
  const list = "files" in source ? source.files : source;
  return Array.from(list ?? []);
}

/** Makes an element a drop target: highlights while dragging over, calls back with the files. */
export function dropZone(element: HTMLElement, onFiles: (files: File[]) => void): HTMLElement {
  element.classList.add("sx-dropzone");
  element.addEventListener("dragover", (event) => {
    event.preventDefault();
    element.classList.add("sx-dragover");
  });
  element.addEventListener("dragleave", () => element.classList.remove("sx-dragover"));
  element.addEventListener("drop", (event) => {
    event.preventDefault();
    element.classList.remove("sx-dragover");
    const files = filesOf(event.dataTransfer);
    if (files.length > 0) onFiles(files);
  });
  return element;
}
