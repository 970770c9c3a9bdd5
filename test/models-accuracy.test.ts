/**
 * Every committed model under data/models/<name>/ reaches the test accuracy stated in its
 * card on its committed test split; a multi-label model (card `multiLabel`) also its mean average
 * precision and calibrated expected calibration error, and the bar (mAP ≥ 0.85). A model
 * directory without model.json or card.json fails (e.g. a training still in progress): nothing is
 * skipped silently.
 */
import {existsSync, readdirSync, statSync} from "node:fs";
import {join} from "node:path";
import {beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {isPretrained, listModels} from "../loaders/models/catalogue.js";
import {getDataset, isDatasetName} from "../loaders/datasets/index.js";
import {loadSplit, testSplitDirectory} from "../loaders/datasets/splits.js";
import {CARD_JSON} from "../loaders/models/card.js";
import {readCard} from "./helpers/model-card.js";
import {loadLayersModelFromDir} from "../loaders/models/load.js";
import {MODEL_JSON} from "../loaders/models/save.js";
import {evaluate} from "../loaders/train/evaluate.js";
import {multiLabelTopOne, multiLabelValidation} from "../loaders/train/multilabel-run.js";

const MODELS_DIR = join(import.meta.dirname, "..", "data", "models");
// Pretrained ports (card `pretrained: true`) are checked against their source package instead
// (test/face-expression.test.ts); every model trained here must reach its card's accuracy.
const modelDirs = listModels(MODELS_DIR)
  .filter((entry) => !isPretrained(entry.card))
  .map((entry) => entry.name);

beforeAll(async () => {
  await selectNodeBackend("wasm");
});

describe("committed models", () => {
  it("data/models holds at least one model", () => {
    expect(modelDirs.length).toBeGreaterThan(0);
  });

  for (const name of modelDirs) {
    it(`${name} reaches its card's test accuracy (multi-label: mAP and ECE)`, async () => {
      const dir = join(MODELS_DIR, name);
      for (const file of [MODEL_JSON, CARD_JSON]) {
        expect(existsSync(join(dir, file)), `${dir}/${file} is missing (training unfinished?)`).toBe(true);
      }
      const card = readCard(dir);
      if (!isDatasetName(card.dataset)) throw new Error(`${name}: unknown data set ${card.dataset}`);
      const model = await loadLayersModelFromDir(dir);
      const split = loadSplit(testSplitDirectory(card.dataset));
      expect(split.images.length).toBe(card.testSplit.images);
      expect(card.classes).toEqual([...getDataset(card.dataset).classes]);
      expect(model.outputs[0]!.shape).toEqual([null, card.classes.length]);
      if (card.multiLabel) {
        // Multi-label: the card's top-1 figure is "is the top class present" (multilabel-run.ts).
        expect(multiLabelTopOne(model, split.images, card.classes).accuracy).toBeGreaterThanOrEqual(card.testAccuracy - 1 / split.images.length - 1e-9);
        const evaluation = multiLabelValidation(model, split.images, card.classes);
        expect(evaluation.map).toBeCloseTo(card.multiLabel.testMap, 3);
        expect(evaluation.map).toBeGreaterThanOrEqual(0.85);
        expect(evaluation.ece).toBeCloseTo(card.multiLabel.calibration.testEceAfter, 3);
        expect(evaluation.positives).toBe(card.multiLabel.testPositives);
      } else {
        const result = evaluate(model, split.images, card.classes);
        // One image of slack: the card may come from another backend with different rounding.
        expect(result.accuracy).toBeGreaterThanOrEqual(card.testAccuracy - 1 / result.count - 1e-9);
      }
      model.dispose();
    });
  }
});
