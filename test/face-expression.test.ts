/**
 * The face-expression port (data/models/face-expression, written by
 * scripts/port-face-expression.ts) against @vladmandic/face-api's own FaceExpressionNet:
 * same weights bit for bit, and the same logits and probabilities (1e-4, max abs) on real face
 * crops from the committed photographs, fed through the card's preprocessing as the engine
 * feeds any model. The package's network runs its own normalisation inside, so agreement also
 * proves the card's preprocessing.
 */
import * as tf from "@tensorflow/tfjs";
import {join} from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {detectFaces, faceApiModule} from "../loaders/faces/detect.js";
import {readPhoto, readPhotoSources} from "../loaders/faces/photos.js";
import {loadModelFile, readModelMeta} from "../loaders/model-files.js";
import {buildFaceExpressionModel, FACE_EXPRESSION_CLASSES, faceApiRoot, loadPackageWeightMap} from "../scripts/port-face-expression.js";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {cropPixels, mirroredPixels, squareCrop, type FaceCrop} from "../src/lib/model/face-crop.js";
import {preprocess} from "../src/lib/model/preprocessing.js";

const MODEL_DIR = join(import.meta.dirname, "..", "data", "models", "face-expression");
const TOLERANCE = 1e-4;

interface Sample {
  label: string;
  photo: string;
  rgb: Uint8Array;
}

/**
 * Real face crops: every detected face of every photo at three margins, each also shifted by a
 * tenth of the crop, and each of those mirrored (the photos hold few faces; these variants are
 * still real photographs of faces, seen as the crop UI or a jittery detector would show them).
 */
async function faceCrops(): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const source of readPhotoSources()) {
    const photo = await readPhoto(source.file);
    const faces = await detectFaces(photo);
    faces.forEach((face, index) => {
      for (const margin of [0.1, 0.25, 0.45]) {
        const base = squareCrop(face.box, photo.width, photo.height, {margin});
        for (const shift of [0, 0.1]) {
          const d = Math.round(shift * base.size);
          const crop: FaceCrop = {
            ...base,
            x: Math.min(Math.max(base.x + d, 0), photo.width - base.size),
            y: Math.min(Math.max(base.y - d, 0), photo.height - base.size)
          };
          const pixels = cropPixels(photo, crop);
          const label = `${source.file} face ${index} margin ${margin} shift ${shift}`;
          samples.push({label, photo: source.file, rgb: pixels.rgb});
          samples.push({label: `${label} mirrored`, photo: source.file, rgb: mirroredPixels(pixels).rgb});
        }
      }
    });
  }
  return samples;
}

const maxAbs = (a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe("face-expression port", () => {
  let port: tf.LayersModel;
  let samples: Sample[];

  beforeAll(async () => {
    await selectNodeBackend("wasm");
    const loaded = await loadModelFile(MODEL_DIR);
    if (!(loaded instanceof tf.LayersModel)) throw new Error("the port must be a LayersModel");
    port = loaded;
    samples = await faceCrops();
  }, 120_000);

  afterAll(() => port?.dispose());

  it("carries exactly the package's dequantised weights (the converter's output is what is committed)", async () => {
    const weights = await loadPackageWeightMap(faceApiRoot());
    const rebuilt = buildFaceExpressionModel(weights);
    // Compared layer by layer: a second model in the process gets suffixed variable names.
    expect(port.layers.map((l) => l.name)).toEqual(rebuilt.layers.map((l) => l.name));
    let compared = 0;
    for (const layer of rebuilt.layers) {
      const a = layer.getWeights();
      const b = port.getLayer(layer.name).getWeights();
      expect(b.length, layer.name).toBe(a.length);
      for (let i = 0; i < a.length; i++) {
        expect(b[i]!.shape, layer.name).toEqual(a[i]!.shape);
        expect(maxAbs(a[i]!.dataSync() as Float32Array, b[i]!.dataSync() as Float32Array), layer.name).toBe(0);
        compared++;
      }
    }
    // Every tensor of the package's manifest (49) is in the port.
    expect(compared).toBe(Object.keys(weights).length);
    rebuilt.dispose();
    Object.values(weights).forEach((t) => t.dispose());
  });

  it("has the package's classes and the four dense-block ends as SISE's block ends", () => {
    const meta = readModelMeta(MODEL_DIR);
    expect(meta.classNames).toEqual(FACE_EXPRESSION_CLASSES);
    const explainable = new ExplainableModel(port, meta);
    expect(explainable.layers.filter((l) => l.blockEnd).map((l) => [l.name, ...l.outputShape])).toEqual([
      ["dense0_out", 56, 56, 32],
      ["dense1_out", 28, 28, 64],
      ["dense2_out", 14, 14, 128],
      ["dense3_out", 7, 7, 256]
    ]);
  });

  it("gives the package's logits and probabilities (1e-4) on at least 20 real face crops", async () => {
    expect(samples.length).toBeGreaterThanOrEqual(20);
    const meta = readModelMeta(MODEL_DIR);
    const api = faceApiModule();
    const net = api.nets.faceExpressionNet;
    if (!net.isLoaded) await net.loadFromDisk(join(faceApiRoot(), "model"));
    const n = samples.length;
    const pixels = tf.tensor4d(Float32Array.from(samples.flatMap((s) => Array.from(s.rgb))), [n, 112, 112, 3]);
    const ours = tf.tidy(() => port.predict(preprocess(pixels, meta.preprocessing!)) as tf.Tensor2D);
    const oursProbs = tf.softmax(ours);
    // The package's path: a list of 112x112x3 images (no resize or padding then), its own
    // normalisation inside, runNet → logits, forwardInput → softmax.
    const images = samples.map((s) => tf.tensor3d(s.rgb, [112, 112, 3], "int32"));
    const netInput = await api.toNetInput(images as unknown as Parameters<typeof api.toNetInput>[0]);
    const theirs = net.runNet(netInput) as unknown as tf.Tensor2D;
    const theirsProbs = net.forwardInput(netInput) as unknown as tf.Tensor2D;
    const logitDiff = maxAbs(ours.dataSync() as Float32Array, theirs.dataSync() as Float32Array);
    const probDiff = maxAbs(oursProbs.dataSync() as Float32Array, theirsProbs.dataSync() as Float32Array);
    const top = (t: tf.Tensor2D) => Array.from(tf.tidy(() => tf.argMax(t, 1)).dataSync());
    const oursTop = top(ours);
    expect(oursTop).toEqual(top(theirs));
    const logitRange = tf.tidy(() => tf.sub(tf.max(ours), tf.min(ours)).dataSync()[0]!);
    console.log(
      `face-expression port vs face-api on ${n} crops: max |logit diff| ${logitDiff.toExponential(2)}, max |prob diff| ${probDiff.toExponential(2)} (logits span ${logitRange.toFixed(2)}); top classes ${[...new Set(oursTop)].map((c) => FACE_EXPRESSION_CLASSES[c]).join(", ")}`
    );
    expect(logitDiff).toBeLessThan(TOLERANCE);
    expect(probDiff).toBeLessThan(TOLERANCE);
    // Not a degenerate comparison: the logits vary over several units across the crops.
    expect(logitRange).toBeGreaterThan(1);
    tf.dispose([pixels, ours, oursProbs, theirs, theirsProbs, ...images]);
  }, 120_000);
});
