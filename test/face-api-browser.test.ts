/**
 * The face detector the pages run (loaders/site/face-api-browser.ts): face-api's no-bundle ES
 * module rewritten to take the page's tfjs from a global, and the detectors' weights as shipped.
 * Loaded here from the rewritten text exactly as a browser would import it, on this process's
 * tfjs, it finds the same faces in a committed photograph as the Node build the CLI and site use.
 */
import {mkdtempSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {pathToFileURL} from "node:url";
import * as tf from "@tensorflow/tfjs";
import type * as FaceApi from "@vladmandic/face-api";
import {beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {detectFaces} from "../loaders/faces/detect.js";
import {readPhoto} from "../loaders/faces/photos.js";
import {browserFaceApiModule, faceDetectorManifest, faceDetectorWeights, FACE_API_TFJS_GLOBAL} from "../loaders/site/face-api-browser.js";
import {REPO_ROOT} from "../loaders/site/paths.js";

const PHOTOS = join(REPO_ROOT, "data", "photos");

describe("face-api for the browser", () => {
  beforeAll(async () => {
    await selectNodeBackend("wasm");
  });

  it("has no imports left and takes tfjs from the page's global", () => {
    const module = browserFaceApiModule();
    expect(module).not.toMatch(/(^|[;\s])import\s*(\*|\{|\w)[^;]*?from\s*"/);
    expect(module).not.toMatch(/from\s*"@tensorflow\//);
    expect(module.startsWith(`if (!globalThis.${FACE_API_TFJS_GLOBAL}) throw`)).toBe(true);
  });

  it("ships each detector's single weights shard, the size its manifest declares (uint8-quantised)", () => {
    for (const detector of ["ssd", "tiny"] as const) {
      const manifest = JSON.parse(faceDetectorManifest(detector)) as {weights: {shape: number[]; quantization?: {dtype: string}}[]}[];
      const expected = manifest
        .flatMap((g) => g.weights)
        .reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1) * (w.quantization?.dtype === "uint8" ? 1 : 4), 0);
      expect(faceDetectorWeights(detector).length).toBe(expected);
    }
  });

  it("imported as the browser imports it, finds the same faces as the Node build", async () => {
    const dir = mkdtempSync(join(tmpdir(), "face-api-browser-"));
    const file = join(dir, "face-api.mjs");
    writeFileSync(file, browserFaceApiModule());
    (globalThis as Record<string, unknown>)[FACE_API_TFJS_GLOBAL] = tf;
    const api = (await import(pathToFileURL(file).href)) as typeof FaceApi;
    expect((api.tf as unknown as typeof tf).engine()).toBe(tf.engine());
    const manifest = JSON.parse(faceDetectorManifest("ssd")) as {weights: tf.io.WeightsManifestEntry[]}[];
    const weights = faceDetectorWeights("ssd");
    const map = tf.io.decodeWeights(
      Uint8Array.from(weights).buffer,
      manifest.flatMap((g) => g.weights)
    );
    api.nets.ssdMobilenetv1.loadFromWeightMap(map as unknown as FaceApi.tf.NamedTensorMap);

    const photo = await readPhoto("reenactors.jpg", PHOTOS);
    const input = tf.tensor3d(Int32Array.from(photo.rgb), [photo.height, photo.width, 3], "int32");
    const found = await api.nets.ssdMobilenetv1.locateFaces(
      input as unknown as FaceApi.tf.Tensor3D,
      new api.SsdMobilenetv1Options({minConfidence: 0.5, maxResults: 100})
    );
    input.dispose();
    const browser = found
      .map((d) => ({box: {x: d.box.x, y: d.box.y, width: d.box.width, height: d.box.height}, score: d.score}))
      .sort((a, b) => b.score - a.score || a.box.x - b.box.x);
    const node = await detectFaces(photo);
    expect(node.length).toBeGreaterThanOrEqual(2);
    expect(browser).toHaveLength(node.length);
    browser.forEach((face, i) => {
      expect(face.score).toBeCloseTo(node[i]!.score, 5);
      for (const k of ["x", "y", "width", "height"] as const) expect(face.box[k]).toBeCloseTo(node[i]!.box[k], 3);
    });
  });
});
