/**
 * `npm run train -- --workers N`: a Trainer whose steps run over the worker pool (each shard's
 * gradients averaged, the Trainer's own Adam) follows the same data order, learning-rate schedule
 * and update as its in-thread steps. The model has no batch norm, where the two must agree to
 * rounding (with batch norm each shard normalises by its own statistics).
 */
import * as tf from "@tensorflow/tfjs";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {getDataset} from "../loaders/datasets/index.js";
import {buildVgg} from "../loaders/models/vgg.js";
import {DataParallelTrainer} from "../loaders/pool/data-parallel.js";
import {parseTrainArgs} from "../loaders/train/args.js";
import {learningRateAt} from "../loaders/train/schedule.js";
import {Trainer} from "../loaders/train/trainer.js";

beforeAll(async () => {
  await selectNodeBackend("wasm");
});

describe("data-parallel training steps", () => {
  const dataset = getDataset("shapes");
  const options = {batch: 4, learningRate: 1e-3, totalSteps: 10, trainSeed: 99, augment: false};
  const make = () => buildVgg({classes: dataset.classes.length, seed: 4, batchNormFromBlock: 6, filters: [4, 4, 8, 8, 8]});
  const weightsOf = (model: tf.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));
  let parallel: DataParallelTrainer | null = null;

  afterAll(async () => {
    await parallel?.close();
  });

  it("two workers sharing the Trainer's Adam give its in-thread steps up to rounding", async () => {
    const local = new Trainer(make(), dataset, options);
    const localLosses = [local.trainStep().loss, local.trainStep().loss];

    const model = make();
    const pooled = new Trainer(model, dataset, options);
    parallel = await DataParallelTrainer.create(model, {workers: 2, optimizer: pooled.optimizer});
    expect(parallel.optimizer).toBe(pooled.optimizer);
    for (let s = 0; s < 2; s++) {
      const result = await pooled.trainStepWith((batch, learningRate) => parallel!.step(batch, dataset.classes.length, learningRate));
      expect(result.step).toBe(s + 1);
      expect(result.learningRate).toBe(learningRateAt(s, options.totalSteps, options.learningRate));
      expect(result.loss).toBeCloseTo(localLosses[s]!, 4);
    }
    const expected = weightsOf(local.model);
    const got = weightsOf(model);
    got.forEach((w, i) => w.forEach((v, k) => expect(v).toBeCloseTo(expected[i]![k]!, 5)));
    expect(got).not.toEqual(weightsOf(make())); // it did train
  });

  it("--workers is parsed and checked", () => {
    expect(parseTrainArgs(["--model", "vgg", "--dataset", "shapes"]).workers).toBe(1);
    expect(parseTrainArgs(["--model", "vgg", "--dataset", "shapes", "--workers", "2"]).workers).toBe(2);
    expect(() => parseTrainArgs(["--model", "vgg", "--dataset", "shapes", "--workers", "-1"])).toThrow(/--workers must be a non-negative integer/);
  });
});
