/**
 * The site configuration (loaders/site/config.ts, site.config.json): an author's own model and
 * image sets enter the build from a config file alone, the default picks up every model folder
 * that lands in data/models without an edit, and a bad entry stops the build with its name.
 */
import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from "node:fs";
import {tmpdir} from "node:os";
import {join, resolve} from "node:path";
import * as tf from "@tensorflow/tfjs";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {encodePng} from "../loaders/datasets/png.js";
import {saveLayersModelToDir} from "../loaders/models/save.js";
import {DEFAULT_SITE_CONFIG, readSiteConfig, SiteConfigError} from "../loaders/site/config.js";
import {galleryFile, loadImageSets} from "../loaders/site/gallery.js";
import {checkedModelEntries, modelEntries} from "../loaders/site/models.js";
import {precompute} from "../loaders/site/precompute.js";
import {unpack} from "../src/lib/format/pack.js";
import {decodeRle, readGallery, type PrecomputedMeta} from "../src/lib/format/site-data.js";
import {residualModel, testImage} from "./helpers/tiny-models.js";

const ROOT = resolve(import.meta.dirname, "..");
const work = mkdtempSync(join(tmpdir(), "saliency-site-config-"));
const CLASSES = ["cat", "dog", "bird"];
const saved: Record<string, string | undefined> = {};
const quiet = () => {};

async function writeModel(dir: string, card: Record<string, unknown>, model = residualModel(16, CLASSES.length, 5)): Promise<void> {
  await saveLayersModelToDir(model, dir);
  writeFileSync(join(dir, "card.json"), JSON.stringify(card));
  model.dispose();
}

function writeImages(dir: string, count: number, width: number, height: number): void {
  mkdirSync(dir, {recursive: true});
  for (let i = 0; i < count; i++) writeFileSync(join(dir, `photo-${i}.png`), encodePng(testImage(width, height, i).rgb, width, height));
}

function writeConfig(name: string, config: Record<string, unknown>): string {
  const path = join(work, `${name}.json`);
  writeFileSync(path, JSON.stringify({dataDir: join(ROOT, "data"), photos: null, ...config}));
  return path;
}

const card = (dataset: string) => ({name: "extra-net", dataset, classNames: CLASSES, preprocessing: {range: [0, 1], mean: [0, 0, 0], std: [1, 1, 1]}});

beforeAll(async () => {
  await tf.setBackend("cpu");
  // An author's model (16x16 input) for their own images: one folder unannotated (the model labels
  // them), one with a light annotations.json (boxes, no masks), of another size than the model's input.
  await writeModel(join(work, "extra-net"), card("extra-images"));
  writeImages(join(work, "extra-images"), 3, 40, 30);
  writeImages(join(work, "extra-boxes"), 2, 24, 24);
  writeFileSync(
    join(work, "extra-boxes", "annotations.json"),
    JSON.stringify({
      classes: CLASSES,
      images: [
        {file: "photo-0.png", label: 2, instances: [{className: "bird", box: [2, 4, 10, 12]}]},
        {file: "photo-1.png", label: 0, instances: [{classIndex: 0, box: [0, 0, 24, 6]}]}
      ]
    })
  );
  const config = writeConfig("extra", {
    models: ["vgg-shapes", {name: "extra-net", path: "extra-net"}],
    imageSets: ["shapes", {name: "extra-images", path: "extra-images"}, {name: "extra-boxes", path: "extra-boxes"}],
    precompute: {methods: ["gradcam"]}
  });
  const env = {
    SALIENCY_SITE_CONFIG: config,
    SALIENCY_DATA_DIR: undefined,
    SALIENCY_SITE_CACHE: join(work, "cache"),
    SALIENCY_SITE_PROFILE: "quick",
    SALIENCY_WORKERS: "1"
  };
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(work, {recursive: true, force: true});
});

describe("an author's own model and images from a config file", () => {
  it("lists the model in the index (a slot after the committed one) and opens it", async () => {
    const entries = await checkedModelEntries();
    expect(entries.map((e) => [e.name, e.slot])).toEqual([
      ["vgg-shapes", 0],
      ["extra-net", 1]
    ]);
    expect(entries[1]).toMatchObject({dataset: "extra-images", classNames: CLASSES, inputShape: [16, 16, 3]});
  });

  it("puts both image sets in the gallery: model-labelled images and boxes as masks", async () => {
    const gallery = readGallery(new Uint8Array(await galleryFile()).buffer);
    expect(gallery.datasets.map((d) => d.name)).toEqual(["shapes", "extra-images", "extra-boxes"]);
    const unannotated = gallery.images.filter((image) => image.dataset === "extra-images");
    // Quick profile: two per set, by file name; labelled by the model's top class.
    expect(unannotated.map((image) => image.id)).toEqual(["extra-images/photo-0", "extra-images/photo-1"]);
    for (const image of unannotated) {
      expect(image).toMatchObject({width: 40, height: 30, labelSource: "model", instances: []});
      expect(image.className).toBe(CLASSES[image.label]);
      expect(image.rgb).toEqual(testImage(40, 30, Number(image.id.slice(-1))).rgb);
    }
    const boxed = gallery.images.filter((image) => image.dataset === "extra-boxes");
    expect(boxed.map((image) => [image.id, image.label, image.className])).toEqual([
      ["extra-boxes/photo-0", 2, "bird"],
      ["extra-boxes/photo-1", 0, "cat"]
    ]);
    // The box [2, 4, 10, 12] as a 24x24 mask: 8 rows of 8 pixels.
    const mask = decodeRle(boxed[0]!.instances[0]!.rle, 24 * 24);
    expect(mask.reduce((sum, v) => sum + v, 0)).toBe(64);
    expect(mask[4 * 24 + 2]).toBe(1);
    expect(mask[4 * 24 + 10]).toBe(0);
    expect(mask[3 * 24 + 2]).toBe(0);
  });

  it("precomputes the config's methods for the author's model on its images", async () => {
    const file = await precompute(quiet);
    const {meta} = unpack<PrecomputedMeta>(file, "precomputed");
    expect(meta.methods.map((m) => m.name)).toEqual(["gradcam"]);
    const extra = meta.entries.filter((e) => e.model === "extra-net");
    expect(new Set(extra.map((e) => e.image.split("/")[0]))).toEqual(new Set(["extra-images", "extra-boxes"]));
    expect(extra.length).toBe(4);
    expect(meta.entries.some((e) => e.model === "vgg-shapes" && e.image.startsWith("shapes/"))).toBe(true);
  });
});

describe("the default configuration", () => {
  it("takes every model folder of data/models and every image set a model takes: a new model appears without an edit", async () => {
    const data = join(work, "default-data");
    mkdirSync(join(data, "shapes", "test"), {recursive: true});
    const split = JSON.parse(readFileSync(join(ROOT, "data", "shapes", "test", "annotations.json"), "utf8")) as {images: {file: string}[]; classes: string[]};
    split.images = split.images.slice(0, 2);
    writeFileSync(join(data, "shapes", "test", "annotations.json"), JSON.stringify(split));
    for (const image of split.images) copyFileSync(join(ROOT, "data", "shapes", "test", image.file), join(data, "shapes", "test", image.file));
    writeImages(join(data, "holiday"), 2, 16, 16);
    // The default config names the photos folder (whose faces the gallery takes): an empty one here.
    mkdirSync(join(data, "photos"), {recursive: true});
    writeFileSync(join(data, "photos", "sources.json"), "[]");
    const shapesCard = {name: "a-shapes", dataset: "shapes", classNames: split.classes, preprocessing: {range: [0, 1], mean: [0, 0, 0], std: [1, 1, 1]}};
    await writeModel(join(data, "models", "a-shapes"), shapesCard, residualModel(16, split.classes.length, 2));
    const logged: string[] = [];
    const before = readSiteConfig(DEFAULT_SITE_CONFIG, data, (line) => logged.push(line));
    expect(before.models.map((m) => m.name)).toEqual(["a-shapes"]);
    // "holiday" has no annotations and no model labels it yet: left out with a note, not an error.
    expect(before.imageSets.map((s) => s.name)).toEqual(["shapes"]);
    expect(logged.join("\n")).toMatch(/image set "holiday" left out/);
    // A model trained for it lands in data/models: both appear.
    await writeModel(join(data, "models", "b-holiday"), {...card("holiday"), name: "b-holiday"});
    const after = readSiteConfig(DEFAULT_SITE_CONFIG, data, quiet);
    expect(after.models.map((m) => m.name)).toEqual(["a-shapes", "b-holiday"]);
    expect(after.imageSets.map((s) => [s.name, s.labelledBy])).toEqual([
      ["holiday", "b-holiday"],
      ["shapes", null]
    ]);
  });

  it("is the repository's site.config.json, with every committed model", () => {
    const config = readSiteConfig(DEFAULT_SITE_CONFIG, undefined, quiet);
    const committed = ["face-expression", "resnet-shapes", "vgg-defects", "vgg-shapes"];
    expect(config.models.map((m) => m.name)).toEqual(expect.arrayContaining(committed));
    expect(config.imageSets.map((s) => s.name)).toEqual(expect.arrayContaining(["defects", "shapes", "shapes-pairs"]));
    expect(config.photos).toBe(join(ROOT, "data", "photos"));
  });
});

describe("a bad entry stops the build with its name", () => {
  const fails = (config: Record<string, unknown>, pattern: RegExp) => {
    const path = writeConfig("broken", {models: ["vgg-shapes"], imageSets: ["shapes"], ...config});
    expect(() => readSiteConfig(path, undefined, quiet)).toThrow(SiteConfigError);
    expect(() => readSiteConfig(path, undefined, quiet)).toThrow(pattern);
  };

  it("a model folder that does not exist", () => {
    fails({models: ["vgg-shapes", "ghost-net"]}, /model "ghost-net": folder .*ghost-net does not exist/);
  });

  it("a weight file missing", async () => {
    const dir = join(work, "no-weights");
    await writeModel(dir, card("extra-images"));
    rmSync(join(dir, "weights.bin"));
    fails(
      {models: ["vgg-shapes", {name: "no-weights", path: "no-weights"}]},
      /model "no-weights": weight file .*weights.bin \(listed in model.json\) is missing/
    );
  });

  it("a malformed card", async () => {
    const dir = join(work, "bad-card");
    await writeModel(dir, {name: "bad-card", classNames: "cat, dog, bird"});
    fails({models: ["vgg-shapes", {name: "bad-card", path: "bad-card"}]}, /model "bad-card": malformed model card .*card.json.*classNames must be a list/);
    writeFileSync(join(dir, "card.json"), "{not json");
    fails({models: ["vgg-shapes", {name: "bad-card", path: "bad-card"}]}, /model "bad-card": .*card.json/);
  });

  it("a model that cannot take RGB images", async () => {
    const input = tf.input({shape: [16, 16, 1]});
    const flat = tf.layers.flatten().apply(tf.layers.conv2d({filters: 2, kernelSize: 3}).apply(input) as tf.SymbolicTensor) as tf.SymbolicTensor;
    const gray = tf.model({inputs: input, outputs: tf.layers.dense({units: 3, activation: "softmax"}).apply(flat) as tf.SymbolicTensor});
    await writeModel(join(work, "gray-net"), {...card("extra-images"), name: "gray-net"}, gray);
    fails({models: [{name: "gray-net", path: "gray-net"}], imageSets: []}, /model "gray-net": takes 1-channel input/);
  });

  it("an image set no model takes, and one holding an image that is not an image", async () => {
    fails({imageSets: ["shapes", "defects"]}, /image set "defects": no model in the build takes it/);
    const dir = join(work, "broken-images");
    writeImages(dir, 1, 16, 16);
    writeFileSync(join(dir, "photo-1.png"), "not a png");
    const path = writeConfig("broken-images", {models: [{name: "extra-net", path: "extra-net"}], imageSets: [{name: "broken-images", path: "broken-images"}]});
    const before = process.env.SALIENCY_SITE_CONFIG;
    writeFileSync(join(work, "extra-net", "card.json"), JSON.stringify(card("broken-images")));
    process.env.SALIENCY_SITE_CONFIG = path;
    try {
      await expect(loadImageSets(2)).rejects.toThrow(/image set "broken-images": .*photo-1.png is not a PNG or JPEG image/);
    } finally {
      process.env.SALIENCY_SITE_CONFIG = before;
      writeFileSync(join(work, "extra-net", "card.json"), JSON.stringify(card("extra-images")));
    }
  });

  it("a model whose card names more classes than it has outputs: the model index stops when it opens the model", async () => {
    await writeModel(join(work, "four-names"), {...card("extra-images"), name: "four-names", classNames: [...CLASSES, "fish"]});
    const path = writeConfig("four-names", {models: [{name: "four-names", path: "four-names"}], imageSets: []});
    const before = process.env.SALIENCY_SITE_CONFIG;
    process.env.SALIENCY_SITE_CONFIG = path;
    try {
      await expect(checkedModelEntries()).rejects.toThrow(/model "four-names" does not load: model has 3 outputs but 4 class names/);
    } finally {
      process.env.SALIENCY_SITE_CONFIG = before;
    }
  });

  it("an image set's annotations naming a missing file or a class out of range", () => {
    const dir = join(work, "bad-annotations");
    writeImages(dir, 1, 16, 16);
    const annotations = (images: unknown[]) => writeFileSync(join(dir, "annotations.json"), JSON.stringify({classes: CLASSES, images}));
    const config = {models: [{name: "extra-net", path: "extra-net"}], imageSets: [{name: "bad-annotations", path: "bad-annotations"}]};
    annotations([{file: "photo-9.png", label: 0}]);
    fails(config, /image set "bad-annotations": .*images\[0\]: photo-9.png is missing/);
    annotations([{file: "photo-0.png", label: 3}]);
    fails(config, /image set "bad-annotations": .*\(photo-0.png\): "label" \(or "labels"\) must be class indices from 0 to 2/);
  });

  it("modelEntries reads the configuration named by SALIENCY_SITE_CONFIG", () => {
    expect(modelEntries().map((e) => e.name)).toEqual(["vgg-shapes", "extra-net"]);
  });
});
