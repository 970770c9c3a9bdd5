/**
 * Faces in the browser: face-api's own detector (the package's module and weights, shipped by the
 * site: src/data/face-api*), the face crop the face model explains (the same rule as the Node side:
 * src/lib/model/face-crop.ts), a picker that draws the boxes on the photo and lets the reader click
 * a face, and the crop's map drawn back on the whole photograph.
 *
 * Detection runs on the page's tfjs, on whatever backend the page chose.
 */
import * as tf from "@tensorflow/tfjs";
import type * as FaceApi from "@vladmandic/face-api";
import {
  cropPixels,
  isSmallFace,
  mapToImage,
  normaliseDetections,
  squareCrop,
  SMALL_FACE_PIXELS,
  type DetectedFace,
  type FaceCrop
} from "../lib/model/face-crop.js";
import type {SaliencyMap} from "../lib/maps/types.js";
import type {GalleryDataset} from "../lib/format/site-data.js";
import type {ExplainableModel} from "../lib/model/adapter.js";
import {mapView, viewPixels, type DrawColormap} from "./draw.js";
import type {NamedImage} from "./images.js";

/** The global the rewritten face-api module reads tfjs from (loaders/site/face-api-browser.ts). */
const TFJS_GLOBAL = "__saliencyTfjsCore";

export type FaceDetectorName = "ssd" | "tiny";

/** URLs of the shipped face-api files (src/components/face-files.js). */
export interface FaceApiFiles {
  module: string;
  detectors: Record<FaceDetectorName, {manifest: string; weights: string}>;
}

export type {DetectedFace};

let apiPromise: Promise<typeof FaceApi> | null = null;
const detectorPromises = new Map<FaceDetectorName, Promise<void>>();

function faceApi(files: FaceApiFiles): Promise<typeof FaceApi> {
  apiPromise ??= (async () => {
    (globalThis as Record<string, unknown>)[TFJS_GLOBAL] = tf;
    return (await import(/* @vite-ignore */ files.module)) as typeof FaceApi;
  })();
  apiPromise.catch(() => (apiPromise = null));
  return apiPromise;
}

async function fetchOk(url: string, what: string): Promise<Response> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cannot read ${what} (${url}): HTTP ${response.status}`);
  return response;
}

/** Loads a detector's weights once (manifest + shard, decoded by tfjs, uint8-quantised as shipped). */
function loadDetector(files: FaceApiFiles, name: FaceDetectorName): Promise<void> {
  let promise = detectorPromises.get(name);
  if (!promise) {
    promise = (async () => {
      const api = await faceApi(files);
      const net = name === "ssd" ? api.nets.ssdMobilenetv1 : api.nets.tinyFaceDetector;
      if (net.isLoaded) return;
      const manifest = (await (await fetchOk(files.detectors[name].manifest, `the ${name} face detector's manifest`)).json()) as {
        weights: tf.io.WeightsManifestEntry[];
      }[];
      const weights = await (await fetchOk(files.detectors[name].weights, `the ${name} face detector's weights`)).arrayBuffer();
      const map = tf.io.decodeWeights(
        weights,
        manifest.flatMap((group) => group.weights)
      );
      net.loadFromWeightMap(map as unknown as FaceApi.tf.NamedTensorMap);
    })();
    promise.catch(() => detectorPromises.delete(name));
    detectorPromises.set(name, promise);
  }
  return promise;
}

export interface DetectOptions {
  /** "ssd" (SSD MobileNetV1, as the site build and CLI use) or "tiny" (Tiny Face Detector: faster, for the camera). */
  detector?: FaceDetectorName;
  minConfidence?: number;
  /** Tiny Face Detector input size (multiple of 32). */
  inputSize?: number;
}

/** Faces in an RGB image, most confident first (ties: left to right), as loaders/faces/detect.ts orders them. */
export async function detectFaces(
  files: FaceApiFiles,
  image: {width: number; height: number; rgb: ArrayLike<number>},
  options: DetectOptions = {}
): Promise<DetectedFace[]> {
  const detector = options.detector ?? "ssd";
  const minConfidence = options.minConfidence ?? 0.5;
  await loadDetector(files, detector);
  const api = await faceApi(files);
  const input = tf.tensor3d(Int32Array.from(image.rgb), [image.height, image.width, 3], "int32");
  try {
    const found =
      detector === "ssd"
        ? await api.nets.ssdMobilenetv1.locateFaces(input as unknown as FaceApi.tf.Tensor3D, new api.SsdMobilenetv1Options({minConfidence, maxResults: 100}))
        : await api.nets.tinyFaceDetector.locateFaces(
            input as unknown as FaceApi.tf.Tensor3D,
            new api.TinyFaceDetectorOptions({inputSize: options.inputSize ?? 224, scoreThreshold: minConfidence})
          );
    return normaliseDetections(found);
  } finally {
    input.dispose();
  }
}

/** Index of the largest face (the photo's main subject, usually), as the CLI picks it. */
export function largestFace(faces: readonly DetectedFace[]): number {
  let best = 0;
  const area = (i: number) => faces[i]!.box.width * faces[i]!.box.height;
  for (let i = 1; i < faces.length; i++) if (area(i) > area(best)) best = i;
  return best;
}

const sameClasses = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((c, i) => c === b[i]);

/** Does this model take face crops? The gallery's "faces" data set carries the face model's classes and input size. */
export function takesFaceCrops(model: ExplainableModel | null, datasets: readonly GalleryDataset[]): boolean {
  const faces = datasets.find((d) => d.name === "faces");
  return !!model && !!faces && model.inputWidth === faces.width && model.inputHeight === faces.height && sameClasses(model.meta.classNames, faces.classes);
}

/** A face's crop, cut as on the Node side: the image the model explains, and where it lies in the photo. */
export function faceCropImage(photo: NamedImage, face: DetectedFace, index: number, outSize: number): {image: NamedImage; crop: FaceCrop} {
  const crop = squareCrop(face.box, photo.width, photo.height, {outSize});
  const pixels = cropPixels(photo, crop);
  return {image: {name: `${photo.name} · face ${index + 1}`, width: pixels.width, height: pixels.height, rgb: pixels.rgb}, crop};
}

/** The crop's map as a map of the whole photo (0 outside the crop). */
export function mapOnPhoto(crop: FaceCrop, map: SaliencyMap): SaliencyMap {
  return mapToImage(crop, map);
}

let styled = false;
function ensureStyle(): void {
  if (styled || typeof document === "undefined") return;
  styled = true;
  const style = document.createElement("style");
  style.textContent = `
.sx-face-photo { position: relative; display: inline-block; max-width: 100%; }
.sx-face-photo canvas { display: block; width: 100%; height: auto; border-radius: 4px; }
.sx-face-box { position: absolute; border: 2px solid #f59e0b; background: transparent; border-radius: 3px; padding: 0; cursor: pointer; box-shadow: 0 0 0 1px rgba(0,0,0,0.5); }
.sx-face-box:hover, .sx-face-box:focus-visible { border-color: #fde68a; outline: none; }
.sx-face-box[aria-checked=true] { border-color: #22c55e; border-width: 3px; }
.sx-face-box span { position: absolute; left: -2px; top: -1.35rem; font: 600 11px var(--sans-serif); background: #111827; color: white; padding: 1px 4px; border-radius: 3px; white-space: nowrap; }
.sx-face-box[aria-checked=true] span { background: #15803d; }
`;
  document.head.append(style);
}

/** The reader's choice on a photo: one of the faces, or the whole image (offered when there is no face). */
export type FaceChoice = {kind: "face"; index: number} | {kind: "whole"} | null;

/**
 * The photo with a clickable box on every face (the largest is chosen first), a line saying what
 * was found, a warning for faces under 48 px, and — without any face — a clear message with a
 * button that explains the whole image instead. value: the choice (null until there is one).
 */
export function facePicker(options: {
  photo: NamedImage;
  faces: readonly DetectedFace[];
  size: number;
  modelName: string;
  id?: string;
}): HTMLElement & {value: FaceChoice} {
  ensureStyle();
  const {photo, faces} = options;
  const root = document.createElement("div") as HTMLDivElement & {value: FaceChoice};
  root.className = "sx-face-picker";
  if (options.id) root.id = options.id;
  let value: FaceChoice = faces.length ? {kind: "face", index: largestFace(faces)} : null;
  const emit = () => root.dispatchEvent(new Event("input", {bubbles: true}));

  const scale = Math.min(1, options.size / Math.max(photo.width, photo.height));
  const frame = document.createElement("div");
  frame.className = "sx-face-photo";
  frame.style.width = `${Math.round(photo.width * scale)}px`;
  const canvas = document.createElement("canvas");
  canvas.width = photo.width;
  canvas.height = photo.height;
  canvas
    .getContext("2d")!
    .putImageData(
      new ImageData(viewPixels({image: photo.rgb, width: photo.width, height: photo.height}) as Uint8ClampedArray<ArrayBuffer>, photo.width, photo.height),
      0,
      0
    );
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `${photo.name}: ${faces.length} face${faces.length === 1 ? "" : "s"} found`);
  frame.append(canvas);
  const boxes: HTMLButtonElement[] = [];
  const sync = () => boxes.forEach((b, i) => b.setAttribute("aria-checked", String(value?.kind === "face" && value.index === i)));
  faces.forEach((face, i) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sx-face-box";
    button.setAttribute("role", "radio");
    button.dataset.index = String(i);
    const small = isSmallFace(face.box);
    button.setAttribute(
      "aria-label",
      `Face ${i + 1}, detector score ${face.score.toFixed(2)}, ${Math.round(face.box.width)}×${Math.round(face.box.height)} px${small ? ", small" : ""}`
    );
    button.title = button.getAttribute("aria-label")!;
    Object.assign(button.style, {
      left: `${(100 * face.box.x) / photo.width}%`,
      top: `${(100 * face.box.y) / photo.height}%`,
      width: `${(100 * face.box.width) / photo.width}%`,
      height: `${(100 * face.box.height) / photo.height}%`
    });
    const label = document.createElement("span");
    label.textContent = `${i + 1}${small ? " ⚠" : ""}`;
    button.append(label);
    button.addEventListener("click", () => {
      value = {kind: "face", index: i};
      sync();
      emit();
    });
    boxes.push(button);
    frame.append(button);
  });
  sync();

  const info = document.createElement("div");
  info.className = "sx-face-info";
  info.style.maxWidth = "760px";
  if (faces.length === 0) {
    const note = document.createElement("div");
    note.className = "sx-note";
    note.id = `${options.id ?? "faces"}-none`;
    note.setAttribute("role", "status");
    const strong = document.createElement("strong");
    strong.textContent = "No face found in this photo. ";
    note.append(
      strong,
      `The face detector (face-api's SSD MobileNetV1) found no face in ${photo.name}, and ${options.modelName} is made for face crops: its map of anything else says little. You can still explain the whole image, resized to the model's input. `
    );
    const whole = document.createElement("button");
    whole.type = "button";
    whole.className = "sx-whole-image";
    whole.textContent = "Explain the whole image";
    whole.addEventListener("click", () => {
      value = {kind: "whole"};
      whole.disabled = true;
      emit();
    });
    note.append(whole);
    info.append(note);
  } else {
    const line = document.createElement("div");
    line.className = "sx-muted sx-small";
    line.textContent = `${faces.length} face${faces.length === 1 ? "" : "s"} found (face-api's SSD MobileNetV1 in this tab). ${faces.length > 1 ? "Click a face to explain it; the largest is chosen first." : "Its crop is explained."}`;
    info.append(line);
    const small = faces.map((f, i) => ({f, i})).filter(({f}) => isSmallFace(f.box));
    if (small.length) {
      const warn = document.createElement("div");
      warn.className = "sx-note sx-small-face";
      warn.setAttribute("role", "status");
      warn.textContent = `⚠ ${small.map(({i}) => `Face ${i + 1}`).join(", ")} ${small.length === 1 ? "is" : "are"} under ${SMALL_FACE_PIXELS} px (${small
        .map(({f}) => `${Math.round(Math.min(f.box.width, f.box.height))} px`)
        .join(", ")}): the crop is mostly upsampled, so the model sees little detail and its map is coarse.`;
      info.append(warn);
    }
  }
  root.append(frame, info);
  Object.defineProperty(root, "value", {get: () => value});
  return root;
}

/** The photo with a crop's map drawn over the crop square only (the rest of the photo as it is), and the square outlined. */
export function photoMapView(options: {
  photo: {width: number; height: number; rgb: ArrayLike<number>};
  crop: FaceCrop;
  map: SaliencyMap;
  size: number;
  colormap?: DrawColormap;
  alpha?: number;
  caption?: string | Node;
  className?: string;
}): HTMLElement {
  const {photo, crop} = options;
  const full = mapOnPhoto(crop, options.map);
  const rgb = photo.rgb instanceof Uint8Array ? photo.rgb : Uint8Array.from(photo.rgb);
  const figure = mapView({
    image: rgb,
    map: full,
    width: photo.width,
    height: photo.height,
    size: options.size,
    colormap: options.colormap,
    alpha: options.alpha,
    outlines: [{box: [crop.x, crop.y, crop.x + crop.size, crop.y + crop.size]}],
    caption: options.caption,
    className: options.className,
    title: typeof options.caption === "string" ? options.caption : "saliency map on the photograph"
  });
  // Outside the crop the model saw nothing: show the photo there, not the colormap's zero.
  const canvas = figure.querySelector("canvas")!;
  const context = canvas.getContext("2d")!;
  const drawn = context.getImageData(0, 0, photo.width, photo.height);
  for (let y = 0; y < photo.height; y++) {
    const inside = y >= crop.y && y < crop.y + crop.size;
    for (let x = 0; x < photo.width; x++) {
      if (inside && x >= crop.x && x < crop.x + crop.size) continue;
      const i = y * photo.width + x;
      drawn.data[4 * i] = rgb[3 * i]!;
      drawn.data[4 * i + 1] = rgb[3 * i + 1]!;
      drawn.data[4 * i + 2] = rgb[3 * i + 2]!;
    }
  }
  context.putImageData(drawn, 0, 0);
  return figure;
}
