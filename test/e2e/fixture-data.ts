/**
 * Data for the e2e build. The repository's data/ is used when it holds at least one model and
 * one test split (the real site); otherwise a small fixture is written to test-output/e2e-data:
 * six images per data set from the project's generators, an untrained small ResNet for shapes
 * (listed first, so the live pages open on it) and an untrained small VGG per set.
 * Also: a tiny model for the "model from a URL" test.
 */
import * as tf from "@tensorflow/tfjs";
import {existsSync, mkdirSync, readdirSync, rmSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {DATASET_NAMES, getDataset, TEST_SEED} from "../../loaders/datasets/index.js";
import {encodePng} from "../../loaders/datasets/png.js";
import {annotateSample, formatAnnotations, imageFileName, MASK_ENCODING} from "../../loaders/datasets/splits.js";
import {buildResnet} from "../../loaders/models/resnet.js";
import {buildVgg} from "../../loaders/models/vgg.js";
import {saveLayersModelToDir} from "../../loaders/models/save.js";

export function hasUsableData(dir: string): boolean {
  const models = join(dir, "models");
  const hasModel = existsSync(models) && readdirSync(models).some((m) => existsSync(join(models, m, "model.json")));
  const hasSplit = existsSync(dir) && readdirSync(dir).some((d) => existsSync(join(dir, d, "test", "annotations.json")));
  return hasModel && hasSplit;
}

export async function writeFixtureData(dir: string): Promise<void> {
  rmSync(dir, {recursive: true, force: true});
  await tf.setBackend("cpu");
  for (const name of DATASET_NAMES) {
    const dataset = getDataset(name);
    const split = join(dir, name, "test");
    mkdirSync(split, {recursive: true});
    const images = [];
    for (let i = 0; i < 6; i++) {
      const sample = dataset.sample(i, TEST_SEED);
      writeFileSync(join(split, imageFileName(i)), encodePng(sample.rgb, sample.width, sample.height));
      images.push(annotateSample(sample, dataset.classes, imageFileName(i), i));
    }
    writeFileSync(
      join(split, "annotations.json"),
      formatAnnotations({
        dataset: name,
        classes: [...dataset.classes],
        width: dataset.width,
        height: dataset.height,
        seed: TEST_SEED,
        count: 6,
        maskEncoding: MASK_ENCODING,
        images
      })
    );
    if (name === "shapes-pairs") continue; // explained by the shapes models (same classes)
    const models: [string, tf.LayersModel][] = [
      [`fixture-vgg-${name}`, buildVgg({classes: dataset.classes.length, seed: 3, filters: [8, 8, 16, 16, 16], convsPerBlock: [1, 1, 1, 1, 1]})]
    ];
    if (name === "shapes")
      models.push([
        `fixture-resnet-${name}`,
        buildResnet({classes: dataset.classes.length, seed: 3, stemFilters: 8, stageFilters: [8, 16, 16], blocksPerStage: [1, 1, 1]})
      ]);
    for (const [modelName, model] of models) {
      const modelDir = join(dir, "models", modelName);
      await saveLayersModelToDir(model, modelDir);
      writeFileSync(
        join(modelDir, "card.json"),
        JSON.stringify({name: modelName, dataset: name, classes: [...dataset.classes], preprocessing: {scale: "0-1"}, note: "untrained e2e fixture"})
      );
      model.dispose();
    }
  }
}

/** A three-class model with a 32×32 input, saved as model.json + weights.bin + card.json. */
export async function writeUrlModel(dir: string): Promise<void> {
  rmSync(dir, {recursive: true, force: true});
  await tf.setBackend("cpu");
  const input = tf.input({shape: [32, 32, 3], name: "pixels"});
  let x = tf.layers
    .conv2d({filters: 8, kernelSize: 3, padding: "same", activation: "relu", name: "conv_a", kernelInitializer: tf.initializers.glorotUniform({seed: 1})})
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({poolSize: 2, name: "pool_a"}).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({filters: 16, kernelSize: 3, padding: "same", activation: "relu", name: "conv_b", kernelInitializer: tf.initializers.glorotUniform({seed: 2})})
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({name: "gap"}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({units: 3, name: "logits", kernelInitializer: tf.initializers.glorotUniform({seed: 3})}).apply(x) as tf.SymbolicTensor;
  const model = tf.model({inputs: input, outputs: out, name: "url_model"});
  await saveLayersModelToDir(model, dir);
  writeFileSync(join(dir, "card.json"), JSON.stringify({classNames: ["red-ish", "green-ish", "blue-ish"], preprocessing: {scale: "0-1"}}));
  model.dispose();
}

/** A three-class model without any convolution (flatten + dense), 16×16 input: nothing spatial to explain. */
export async function writeDenseUrlModel(dir: string): Promise<void> {
  rmSync(dir, {recursive: true, force: true});
  await tf.setBackend("cpu");
  const input = tf.input({shape: [16, 16, 3], name: "pixels"});
  const flat = tf.layers.flatten({name: "flat"}).apply(input) as tf.SymbolicTensor;
  const hidden = tf.layers
    .dense({units: 8, activation: "relu", name: "hidden", kernelInitializer: tf.initializers.glorotUniform({seed: 4})})
    .apply(flat) as tf.SymbolicTensor;
  const out = tf.layers.dense({units: 3, name: "logits", kernelInitializer: tf.initializers.glorotUniform({seed: 5})}).apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({inputs: input, outputs: out, name: "dense_model"});
  await saveLayersModelToDir(model, dir);
  writeFileSync(join(dir, "card.json"), JSON.stringify({classNames: ["left", "middle", "right"], preprocessing: {scale: "0-1"}}));
  model.dispose();
}
