/**
 * `npm run train -- --workers N`: a Trainer whose steps run over replica workers (each shard's
 * gradients averaged, the Trainer's own Adam) follows the same data order, learning-rate schedule
 * and update as its in-thread steps. The model has no batch norm, where the two must agree to
 * rounding (with batch norm each shard normalises by its own statistics). Then the data-parallel
 * trainer alone against plain steps in this thread.
 */
import * as tf from "@tensorflow/tfjs";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import {selectNodeBackend} from "../loaders/backend.js";
import {getDataset} from "../loaders/datasets/index.js";
import {buildVgg} from "../loaders/models/vgg.js";
import {DataParallelTrainer, splitEvenly} from "../loaders/train/data-parallel.js";
import {batchToTensors, samplesToBatch} from "../loaders/train/batch.js";
import {parseTrainArgs} from "../loaders/train/args.js";
import {learningRateAt} from "../loaders/train/schedule.js";
import {Trainer} from "../loaders/train/trainer.js";
import {linearHeadModel, testImage} from "./helpers/tiny-models.js";

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
    // The workers hold the new weights and Adam state; this thread's copies follow on sync().
    expect(parallel.synced).toBe(false);
    await parallel.sync();
    expect(parallel.synced).toBe(true);
    const expected = weightsOf(local.model);
    const got = weightsOf(model);
    got.forEach((w, i) => w.forEach((v, k) => expect(v).toBeCloseTo(expected[i]![k]!, 5)));
    expect(got).not.toEqual(weightsOf(make())); // it did train
    // Adam's state as a checkpoint stores it: same names, iteration count and moments.
    const [ours, theirs] = [await pooled.optimizerWeights(), await local.optimizerWeights()];
    // Named as the in-thread Adam names them, after this model's variables.
    const names = model.trainableWeights.map((w) => (w.read() as tf.Variable).name);
    expect(ours.map((w) => w.name)).toEqual(["iter", ...names.map((n) => `${n}/m`), ...names.map((n) => `${n}/v`)]);
    expect(ours.length).toBe(theirs.length);
    expect(ours[0]!.tensor.dataSync()[0]).toBe(2);
    ours.slice(1).forEach((w, i) => {
      const want = theirs[i + 1]!.tensor.dataSync();
      w.tensor.dataSync().forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 6));
    });
  });

  it("resumes from a Trainer's Adam state (as a checkpoint restores it) and hands it back on close", async () => {
    const local = new Trainer(make(), dataset, options);
    local.trainStep();
    local.trainStep();
    const model = make();
    const resumed = new Trainer(model, dataset, options);
    resumed.trainStep(); // in this thread: step 1, then the pool takes over with Adam at iteration 1
    const trainer = await DataParallelTrainer.create(model, {workers: 2, optimizer: resumed.optimizer});
    try {
      const result = await resumed.trainStepWith((batch, learningRate) => trainer.step(batch, dataset.classes.length, learningRate));
      expect(result.step).toBe(2);
    } finally {
      await trainer.close(); // syncs first
    }
    const expected = weightsOf(local.model);
    weightsOf(model).forEach((w, i) => w.forEach((v, k) => expect(v).toBeCloseTo(expected[i]![k]!, 5)));
    expect((await resumed.optimizerWeights())[0]!.tensor.dataSync()[0]).toBe(2);
  });

  it("a batch smaller than the pool, a failing step, and no tensors left behind", async () => {
    const model = make();
    const untrained = weightsOf(model);
    const one = new Trainer(make(), dataset, {...options, batch: 1}).batchAt(0);
    const before = tf.memory().numTensors;
    const trainer = await DataParallelTrainer.create(model, {workers: 2});
    try {
      const result = await trainer.step(one, dataset.classes.length);
      expect(result.samples).toBe(1);
      expect(Number.isFinite(result.loss)).toBe(true);
      await trainer.sync();
      expect(weightsOf(model)).not.toEqual(untrained);
      // Steps and syncs leave the workers' tensor counts where they were.
      const counts = await trainer.workerTensors();
      await trainer.step(one, dataset.classes.length);
      await trainer.sync();
      expect(await trainer.workerTensors()).toEqual(counts);
      // Checked here: nothing is sent, the trainer stays usable.
      const wrong = {...one, shape: [1, 8, 8, 3] as [number, number, number, number], pixels: new Float32Array(8 * 8 * 3)};
      await expect(trainer.step(wrong, dataset.classes.length)).rejects.toThrow(
        "a batch of shape [1,8,8,3] (192 values) does not fit the model's input [64,64,3]"
      );
      // A failure in the workers (labels of the wrong width) comes back with the worker's message
      // (not the others' "another worker failed") and leaves the trainer refusing further steps.
      await expect(trainer.step(one, dataset.classes.length + 1)).rejects.toThrow(/softmaxCrossEntropy|shape/i);
      await expect(trainer.step(one, dataset.classes.length)).rejects.toThrow(/an earlier training step failed/);
    } finally {
      await trainer.close();
    }
    // sync() created Adam's moments in this thread (the default optimizer belongs to the trainer).
    trainer.optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("--workers is parsed and checked", () => {
    expect(parseTrainArgs(["--model", "vgg", "--dataset", "shapes"]).workers).toBe(1);
    expect(parseTrainArgs(["--model", "vgg", "--dataset", "shapes", "--workers", "2"]).workers).toBe(2);
    expect(() => parseTrainArgs(["--model", "vgg", "--dataset", "shapes", "--workers", "-1"])).toThrow(/--workers must be a non-negative integer/);
  });
});

describe("data-parallel training", () => {
  const samples = Array.from({length: 6}, (_, i) => ({...testImage(4, 4, 10 + i), label: i % 2, instances: []}));

  /** The same step in this thread: full-batch gradients, Adam. */
  async function localSteps(model: tf.LayersModel, steps: number): Promise<void> {
    const optimizer = tf.train.adam(1e-3);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const batch = samplesToBatch(samples);
    const {x, y} = batchToTensors(batch, 2);
    for (let s = 0; s < steps; s++) {
      const {value, grads} = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, {training: true}) as tf.Tensor) as tf.Scalar, variables);
      optimizer.applyGradients(variables.map((v) => ({name: v.name, tensor: grads[v.name]!})));
      tf.dispose([value, ...Object.values(grads)]);
    }
    tf.dispose([x, y]);
  }

  const weightsOf = (model: tf.LayersModel) => model.getWeights().map((w) => Array.from(w.dataSync()));

  it("one worker gives the step in this thread exactly; two workers the same step up to rounding", async () => {
    const local = linearHeadModel().model;
    await localSteps(local, 2);
    const trainers = [
      await DataParallelTrainer.create(linearHeadModel().model, {workers: 1}),
      await DataParallelTrainer.create(linearHeadModel().model, {workers: 2})
    ];
    try {
      for (const trainer of trainers) {
        for (let s = 0; s < 2; s++) {
          const step = await trainer.step(samplesToBatch(samples), 2);
          expect(step.samples).toBe(6);
          expect(Number.isFinite(step.loss)).toBe(true);
        }
      }
      expect(trainers.map((t) => t.synced)).toEqual([false, false]);
      // The workers hold the trained weights; this thread's copy follows on sync().
      expect(weightsOf(trainers[0]!.model)).toEqual(weightsOf(linearHeadModel().model));
      await Promise.all(trainers.map((t) => t.sync()));
      expect(trainers.map((t) => t.synced)).toEqual([true, true]);
      const expected = weightsOf(local);
      expect(weightsOf(trainers[0]!.model)).toEqual(expected);
      const two = weightsOf(trainers[1]!.model);
      two.forEach((w, i) => w.forEach((v, k) => expect(v).toBeCloseTo(expected[i]![k]!, 5)));
      expect(weightsOf(trainers[1]!.model)).not.toEqual(weightsOf(linearHeadModel().model)); // it did train
    } finally {
      await Promise.all(trainers.map((t) => t.close()));
    }
  });

  it("splits a batch into near-equal contiguous shards", () => {
    expect(splitEvenly([1, 2, 3, 4, 5], 2)).toEqual([
      [1, 2, 3],
      [4, 5]
    ]);
    expect(splitEvenly([1], 3)).toEqual([[1]]);
  });
});
