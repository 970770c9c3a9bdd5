/**
 * Face detection in Node with @vladmandic/face-api's own detectors (SSD MobileNetV1 by default,
 * or the Tiny Face Detector), loaded from the weights inside the installed package.
 *
 * The package's Node wasm build (dist/face-api.node-wasm.js) does not bundle tfjs: it requires
 * "@tensorflow/tfjs" and "@tensorflow/tfjs-backend-wasm", which resolve to the project's copies,
 * so the detector shares the project's tfjs engine and runs on whatever backend
 * loaders/backend.ts selected (checked once, with a clear error if that ever stops being true).
 */
import * as tf from "@tensorflow/tfjs";
import {createRequire} from "node:module";
import {dirname, join} from "node:path";
import type * as FaceApi from "@vladmandic/face-api";
import {normaliseDetections, type DetectedFace, type RgbPixels} from "../../src/lib/model/face-crop.js";

export type FaceDetectorName = "ssd" | "tiny";
const FACE_DETECTORS: readonly FaceDetectorName[] = ["ssd", "tiny"];

export interface DetectOptions {
  /** "ssd" (SSD MobileNetV1, the package's most accurate detector) or "tiny" (Tiny Face Detector). */
  detector?: FaceDetectorName;
  /** Lowest score kept (default 0.5, the package's default for both detectors). */
  minConfidence?: number;
  /** Most faces returned (default 100). */
  maxResults?: number;
  /** Tiny Face Detector input size, a multiple of 32 (default 416). */
  inputSize?: number;
}

export type {DetectedFace};

const require = createRequire(import.meta.url);
let faceApi: typeof FaceApi | null = null;
const loaded = new Map<FaceDetectorName, Promise<void>>();

function packageRoot(): string {
  try {
    return dirname(require.resolve("@vladmandic/face-api/package.json"));
  } catch {
    throw new Error("@vladmandic/face-api is not installed (run npm install)");
  }
}

/** The package's Node wasm build, checked to share this process's tfjs engine. */
export function faceApiModule(): typeof FaceApi {
  if (faceApi) return faceApi;
  const api = require(join(packageRoot(), "dist", "face-api.node-wasm.js")) as typeof FaceApi;
  // Two tfjs engines would each hold their own backend and tensors: detection would then run
  // somewhere else than the rest of the pipeline, and tensors could not pass between them.
  if ((api.tf as unknown as typeof tf).engine() !== tf.engine()) {
    throw new Error("@vladmandic/face-api loaded its own copy of @tensorflow/tfjs; it must resolve to the project's (run npm dedupe)");
  }
  faceApi = api;
  return api;
}

/** Loads a detector's weights from the package's model/ folder (once per process). */
function loadDetector(name: FaceDetectorName): Promise<void> {
  if (!FACE_DETECTORS.includes(name)) throw new Error(`unknown face detector "${name}": choose one of ${FACE_DETECTORS.join(", ")}`);
  let promise = loaded.get(name);
  if (!promise) {
    const api = faceApiModule();
    const net = name === "ssd" ? api.nets.ssdMobilenetv1 : api.nets.tinyFaceDetector;
    promise = net.loadFromDisk(join(packageRoot(), "model")).catch((error: unknown) => {
      loaded.delete(name);
      throw new Error(`could not load face-api's ${name} detector: ${(error as Error).message}`);
    });
    loaded.set(name, promise);
  }
  return promise;
}

function validateImage(image: RgbPixels): void {
  if (!Number.isInteger(image.width) || !Number.isInteger(image.height) || image.width < 1 || image.height < 1) {
    throw new Error(`image size must be positive integers, got ${image.width}x${image.height}`);
  }
  if (image.rgb.length !== image.width * image.height * 3) {
    throw new Error(`image data has length ${image.rgb.length}, expected ${image.width}x${image.height}x3`);
  }
}

/**
 * Faces in an RGB image, most confident first (ties: left to right), so face 0 is the
 * detector's best guess. An image without a face gives an empty list.
 */
export async function detectFaces(image: RgbPixels, options: DetectOptions = {}): Promise<DetectedFace[]> {
  validateImage(image);
  const detector = options.detector ?? "ssd";
  const minConfidence = options.minConfidence ?? 0.5;
  const maxResults = options.maxResults ?? 100;
  if (!(minConfidence > 0 && minConfidence < 1)) throw new Error(`minConfidence must be between 0 and 1 (exclusive), got ${minConfidence}`);
  if (!Number.isInteger(maxResults) || maxResults < 1) throw new Error(`maxResults must be a positive integer, got ${maxResults}`);
  await loadDetector(detector);
  const api = faceApiModule();
  const input = tf.tensor3d(Int32Array.from(image.rgb), [image.height, image.width, 3], "int32");
  try {
    let found: FaceApi.FaceDetection[];
    if (detector === "ssd") {
      found = await api.nets.ssdMobilenetv1.locateFaces(input as unknown as FaceApi.tf.Tensor3D, new api.SsdMobilenetv1Options({minConfidence, maxResults}));
    } else {
      const inputSize = options.inputSize ?? 416;
      if (!Number.isInteger(inputSize) || inputSize % 32 !== 0 || inputSize < 32)
        throw new Error(`inputSize must be a positive multiple of 32, got ${inputSize}`);
      found = (
        await api.nets.tinyFaceDetector.locateFaces(
          input as unknown as FaceApi.tf.Tensor3D,
          new api.TinyFaceDetectorOptions({inputSize, scoreThreshold: minConfidence})
        )
      ).slice(0, maxResults);
    }
    return normaliseDetections(found);
  } finally {
    input.dispose();
  }
}
