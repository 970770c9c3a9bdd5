/**
 * Faces in the site build: the gallery's face crops of the committed photos (labelled by the face
 * model, with their place in the downscaled photo), the photos themselves, the packed file's round
 * trip, detection cached between loaders, and precomputed maps for the face model. A small data
 * folder (two photos, the face-expression model) keeps it quick.
 */
import {cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join, resolve} from "node:path";
import * as tf from "@tensorflow/tfjs";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {openModel} from "../loaders/model-files.js";
import {galleryFile, loadSiteGallery} from "../loaders/site/gallery.js";
import {loadFaceGallery, scaledCrop, shrinkByBlocks} from "../loaders/site/faces.js";
import {precompute} from "../loaders/site/precompute.js";
import {unpack} from "../src/lib/format/pack.js";
import {readGallery, type PrecomputedMeta} from "../src/lib/format/site-data.js";
import {mapToImage, squareCrop} from "../src/lib/model/face-crop.js";

const ROOT = resolve(import.meta.dirname, "..");
const work = mkdtempSync(join(tmpdir(), "saliency-site-faces-"));
const dataDir = join(work, "data");
const saved: Record<string, string | undefined> = {};
const ENV = {SALIENCY_DATA_DIR: dataDir, SALIENCY_SITE_CACHE: join(work, "cache"), SALIENCY_SITE_PROFILE: "quick", SALIENCY_WORKERS: "1"};
const EXPRESSIONS = ["neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised"];

beforeAll(async () => {
  for (const [name, value] of Object.entries(ENV)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  // Two photos (one face, four small faces) and the face model; no test split.
  const photos = join(dataDir, "photos");
  mkdirSync(photos, {recursive: true});
  const sources = JSON.parse(readFileSync(join(ROOT, "data", "photos", "sources.json"), "utf8")) as {photos: {file: string}[]};
  sources.photos = sources.photos.filter((p) => p.file === "astronaut.jpg" || p.file === "reenactors.jpg");
  writeFileSync(join(photos, "sources.json"), JSON.stringify(sources));
  for (const {file} of sources.photos) cpSync(join(ROOT, "data", "photos", file), join(photos, file));
  cpSync(join(ROOT, "data", "models", "face-expression"), join(dataDir, "models", "face-expression"), {recursive: true});
  await selectNodeBackend("wasm");
});

afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe("photo geometry for the gallery", () => {
  it("shrinks a photo by block means (hand-computed)", () => {
    // 5x2 image, pixel (x, y) = (x + 10y, 2x, 100): factor 2 keeps 2x1 blocks, the last column dropped.
    const rgb = new Uint8Array(5 * 2 * 3);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 5; x++) rgb.set([x + 10 * y, 2 * x, 100], (y * 5 + x) * 3);
    const small = shrinkByBlocks({width: 5, height: 2, rgb}, 2);
    // Block (0, 0): R (0 + 1 + 10 + 11) / 4 = 5.5 → 6, G (0 + 2 + 0 + 2) / 4 = 1; block (1, 0): R 7.5 → 8, G 5.
    expect(small).toEqual({width: 2, height: 1, rgb: new Uint8Array([6, 1, 100, 8, 5, 100])});
    expect(() => shrinkByBlocks({width: 5, height: 2, rgb}, 3)).toThrow(/cannot shrink/);
    expect(() => shrinkByBlocks({width: 5, height: 2, rgb}, 1.5)).toThrow(/positive integer/);
  });

  it("scales a crop into the shrunk photo's pixels, rounded and kept inside", () => {
    const crop = squareCrop({x: 181, y: 71, width: 84, height: 104}, 512, 512);
    expect(crop).toMatchObject({x: 145, y: 45, size: 156});
    expect(scaledCrop(crop, 0.5, 256, 256)).toMatchObject({
      x: 73,
      y: 23,
      size: 78,
      imageWidth: 256,
      imageHeight: 256,
      box: {x: 90.5, y: 35.5, width: 42, height: 52}
    });
    // A square at the edge stays inside after rounding.
    expect(scaledCrop({...crop, x: 357, size: 155}, 0.5, 256, 256)).toMatchObject({x: 178, size: 78});
  });
});

describe("faces in the site gallery", () => {
  it("has each face crop labelled by the model, with its photo, box and crop; every face found is listed on its photo", async () => {
    const {meta, images, photos} = await loadSiteGallery(2, 3);
    expect(meta.datasets).toEqual([{name: "faces", classes: EXPRESSIONS, width: 112, height: 112, splitSize: 5}]);
    expect(images.map((i) => i.id)).toEqual(["faces/astronaut-0", "faces/reenactors-0", "faces/reenactors-1"]);
    expect(photos.map((p) => [p.id, p.width, p.height, p.originalWidth, p.scale])).toEqual([
      ["photos/astronaut", 256, 256, 512, 0.5],
      ["photos/reenactors", 320, 240, 320, 1]
    ]);
    expect(photos[1]!.faces.map((f) => [f.index, f.small, f.image])).toEqual([
      [0, true, "faces/reenactors-0"],
      [1, true, "faces/reenactors-1"],
      [2, true, null],
      [3, true, null]
    ]);

    const model = await openModel(join(dataDir, "models", "face-expression"));
    try {
      const logits = tf.tidy(() => model.logits(tf.tensor4d(Float32Array.from(images.flatMap((i) => Array.from(i.rgb))), [images.length, 112, 112, 3])));
      const top = (await tf.argMax(logits, 1).data()) as Int32Array;
      logits.dispose();
      images.forEach((image, n) => {
        expect(image).toMatchObject({
          dataset: "faces",
          width: 112,
          height: 112,
          labelSource: "model",
          instances: [],
          labels: [top[n]],
          className: EXPRESSIONS[top[n]!]
        });
      });
    } finally {
      model.dispose();
    }

    for (const image of images) {
      const face = image.face!;
      const photo = photos.find((p) => p.id === face.photo)!;
      // The crop in the shipped photo is the original crop scaled, to half a pixel.
      expect(Math.abs(face.photoCrop.x - face.originalCrop.x * photo.scale)).toBeLessThanOrEqual(0.5);
      expect(Math.abs(face.photoCrop.size - face.originalCrop.size * photo.scale)).toBeLessThanOrEqual(0.5);
      expect(face.box.width).toBeCloseTo(face.originalCrop.box.width * photo.scale, 6);
      // A crop map drawn back covers exactly the crop square of the shipped photo.
      const placed = mapToImage(face.photoCrop, {width: 112, height: 112, data: new Float32Array(112 * 112).fill(1)});
      expect([placed.width, placed.height]).toEqual([photo.width, photo.height]);
      expect(placed.data.reduce((s, v) => s + v, 0)).toBeCloseTo(face.photoCrop.size ** 2, 3);
    }
    expect(images[0]!.face).toMatchObject({photo: "photos/astronaut", index: 0, small: false, originalCrop: {x: 145, y: 45, size: 156, outSize: 112}});
  });

  it("detects once: the next loader reads the cached faces", async () => {
    const lines: string[] = [];
    const found = await loadFaceGallery(1, (line) => lines.push(line));
    expect(found.images.map((i) => i.id)).toEqual(["faces/astronaut-0"]);
    expect(found.photos.map((p) => p.id)).toEqual(["photos/astronaut"]);
    expect(lines.some((l) => /^faces: using cached output/.test(l))).toBe(true);
  });

  it("packs the photos and face geometry into the gallery file, and reads them back", async () => {
    const gallery = readGallery(new Uint8Array(await galleryFile()).buffer);
    // The quick profile: two faces.
    expect(gallery.images.map((i) => i.id)).toEqual(["faces/astronaut-0", "faces/reenactors-0"]);
    const face = gallery.byId.get("faces/reenactors-0")!;
    const photo = gallery.photoById.get(face.face!.photo)!;
    expect(photo.rgb.length).toBe(photo.width * photo.height * 3);
    expect(face.rgb.length).toBe(112 * 112 * 3);
    expect(face.face!.photoCrop).toEqual(face.face!.originalCrop); // reenactors is shipped at full size
    expect(photo.faces.filter((f) => f.image !== null)).toHaveLength(1);
  });

  it("precomputes the face model's maps of its own top class for every face crop", async () => {
    const file = await precompute(() => {}, {methods: ["gradcam", "layercam"], methodOptions: {gradcam: {}, layercam: {}}});
    const {meta} = unpack<PrecomputedMeta>(file, "precomputed");
    const {images} = await loadSiteGallery();
    expect(meta.entries.map((e) => [e.image, e.model, e.method, e.width])).toEqual(
      images.flatMap((i) => ["gradcam", "layercam"].map((m) => [i.id, "face-expression", m, 112]))
    );
    for (const entry of meta.entries) expect(entry.classIndex).toBe(images.find((i) => i.id === entry.image)!.label);
  });
});
