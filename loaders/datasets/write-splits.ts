/**
 * Writes the committed test splits (data/<set>/test) from the generators and TEST_SEED, and the
 * validation splits (data/<set>/val, VALIDATION_SEED) of the sets that commit one.
 *   npx tsx loaders/datasets/write-splits.ts [set ...]     (default: all sets)
 * Output is deterministic: rerunning reproduces the files byte for byte.
 */
import {mkdirSync, readdirSync, rmSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {DATASET_NAMES, getDataset, isDatasetName} from "./index.js";
import {encodePng} from "./png.js";
import {TEST_SEED, VALIDATION_SEED} from "./seeds.js";
import {
  annotateSample,
  formatAnnotations,
  imageFileName,
  MASK_ENCODING,
  TEST_SPLIT_SIZES,
  testSplitDirectory,
  VALIDATION_SPLIT_SIZES,
  validationSplitDirectory,
  type ImageAnnotation
} from "./splits.js";
import type {DatasetName} from "./types.js";

function writeSplit(name: DatasetName, dir: string, seed: number, count: number): void {
  const dataset = getDataset(name);
  mkdirSync(dir, {recursive: true});
  // Remove stale files from an earlier, possibly larger, split (only our own file kinds).
  for (const file of readdirSync(dir)) if (/^\d+\.png$/.test(file) || file === "annotations.json") rmSync(join(dir, file));
  const images: ImageAnnotation[] = [];
  for (let index = 0; index < count; index++) {
    const sample = dataset.sample(index, seed);
    const file = imageFileName(index);
    writeFileSync(join(dir, file), encodePng(sample.rgb, sample.width, sample.height));
    images.push(annotateSample(sample, dataset.classes, file, index));
  }
  const annotations = formatAnnotations({
    dataset: name,
    classes: [...dataset.classes],
    width: dataset.width,
    height: dataset.height,
    seed,
    count,
    maskEncoding: MASK_ENCODING,
    images
  });
  writeFileSync(join(dir, "annotations.json"), annotations);
  console.log(`${name}: wrote ${count} images to ${dir}`);
}

const requested = process.argv.slice(2);
for (const name of requested) if (!isDatasetName(name)) throw new Error(`unknown set ${name}; expected one of ${DATASET_NAMES.join(", ")}`);
for (const name of requested.length > 0 ? (requested as DatasetName[]) : DATASET_NAMES) {
  writeSplit(name, testSplitDirectory(name), TEST_SEED, TEST_SPLIT_SIZES[name]);
  const validation = VALIDATION_SPLIT_SIZES[name];
  if (validation !== undefined) writeSplit(name, validationSplitDirectory(name), VALIDATION_SEED, validation);
}
