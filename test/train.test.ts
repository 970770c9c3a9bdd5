/**
 * Architectures, the training step, checkpoints and model save/load. Runs on the wasm backend
 * (with the project's gradient kernels, as training does) on tiny inputs so it stays fast.
 */
import * as tf from "@tensorflow/tfjs";
import {mkdtemp, rm} from "node:fs/promises";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {afterAll, beforeAll, describe, expect, it} from "vitest";
import type {Dataset, Sample} from "../loaders/datasets/types.js";
import {selectNodeBackend} from "../loaders/backend.js";
import {buildVgg} from "../loaders/models/vgg.js";
import {buildResnet} from "../loaders/models/resnet.js";
import {buildResnet50, buildVgg16} from "../loaders/models/paper-scale.js";
import {loadLayersModelFromDir} from "../loaders/models/load.js";
import {saveLayersModelToDir} from "../loaders/models/save.js";
import {Trainer} from "../loaders/train/trainer.js";
import {loadCheckpoint, saveCheckpoint} from "../loaders/train/checkpoint.js";
import {recalibrateBatchNorm} from "../loaders/train/recalibrate.js";
import {samplesToBatch} from "../loaders/train/batch.js";
import {seededRandom} from "../src/lib/random.js";

const SIZE = 32;
const CLASSES = ["dark", "bright", "striped"] as const;

/** Stand-in generator: the class decides brightness or stripes, noise from the seed. */
const standIn: Dataset = {
  name: "shapes",
  classes: CLASSES,
  width: SIZE,
  height: SIZE,
  sample(index: number, seed: number): Sample {
    const random = seededRandom(seed * 1000003 + index);
    const label = index % CLASSES.length;
    const rgb = new Uint8Array(SIZE * SIZE * 3);
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const base = label === 0 ? 40 : label === 1 ? 200 : y % 4 < 2 ? 30 : 220;
        const value = Math.max(0, Math.min(255, base + random.int(-30, 30)));
        rgb.fill(value, (y * SIZE + x) * 3, (y * SIZE + x) * 3 + 3);
      }
    }
    return {width: SIZE, height: SIZE, rgb, label, instances: []};
  }
};

const tinyVgg = (seed = 3): tf.LayersModel =>
  buildVgg({classes: CLASSES.length, seed, inputSize: SIZE, filters: [4, 4, 8, 8, 8], convsPerBlock: [1, 1, 1, 1, 1]});
const tinyResnet = (seed = 3): tf.LayersModel =>
  buildResnet({classes: CLASSES.length, seed, inputSize: SIZE, stemFilters: 4, stageFilters: [4, 8, 8], blocksPerStage: [1, 1, 1]});

const trainerOptions = {batch: 6, learningRate: 3e-3, totalSteps: 20, trainSeed: 11, augment: true};

function runSteps(model: tf.LayersModel, steps: number): number[] {
  const trainer = new Trainer(model, standIn, trainerOptions);
  return Array.from({length: steps}, () => trainer.trainStep().loss);
}

let workDir = "";
beforeAll(async () => {
  await selectNodeBackend("wasm");
  workDir = await mkdtemp(join(tmpdir(), "train-test-"));
});
afterAll(async () => {
  await rm(workDir, {recursive: true, force: true});
});

describe("architectures", () => {
  it("VGG has five conv blocks, each ending in a 2x2 max-pool, and a logits head", () => {
    const model = buildVgg({classes: 7, seed: 1});
    const pools = model.layers.filter((layer) => layer.getClassName() === "MaxPooling2D");
    expect(pools.map((layer) => layer.name)).toEqual(["block1_pool", "block2_pool", "block3_pool", "block4_pool", "block5_pool"]);
    expect(model.getLayer("block1_conv1").getClassName()).toBe("Conv2D");
    expect(model.inputs[0]!.shape).toEqual([null, 64, 64, 3]);
    const last = model.layers[model.layers.length - 1]!;
    expect(last.name).toBe("logits");
    expect((last.getConfig() as {activation: string}).activation).toBe("linear");
    const out = model.predict(tf.zeros([2, 64, 64, 3])) as tf.Tensor;
    expect(out.shape).toEqual([2, 7]);
    out.dispose();
  });

  it("ResNet has a BN stem, stride-2 stages with projection shortcuts and Add layers", () => {
    const model = buildResnet({classes: 5, seed: 1});
    expect(model.getLayer("conv1_bn").getClassName()).toBe("BatchNormalization");
    const adds = model.layers.filter((layer) => layer.getClassName() === "Add");
    expect(adds.length).toBeGreaterThanOrEqual(3);
    for (const stage of [2, 3, 4]) {
      const first = model.getLayer(`conv${stage}_block1_1_conv`).getConfig() as {strides: number[]};
      expect(first.strides).toEqual([2, 2]);
      expect(model.getLayer(`conv${stage}_block1_0_conv`).getClassName()).toBe("Conv2D");
      expect(model.getLayer(`conv${stage}_block1_out`).getClassName()).toBe("Activation");
    }
    expect(model.layers[model.layers.length - 1]!.name).toBe("logits");
    const out = model.predict(tf.zeros([3, 64, 64, 3])) as tf.Tensor;
    expect(out.shape).toEqual([3, 5]);
    out.dispose();
  });

  it("the same seed gives identical weights, another seed different ones", () => {
    const sum = (model: tf.LayersModel): number => tf.tidy(() => tf.addN(model.getWeights().map((w) => w.abs().sum())).dataSync()[0]!);
    expect(sum(tinyVgg(5))).toBe(sum(tinyVgg(5)));
    expect(sum(tinyVgg(5))).not.toBe(sum(tinyVgg(6)));
  });
});

describe("paper-scale architectures", () => {
  it("VGG16 and ResNet-50 have Keras layer names and parameter counts", () => {
    // VGG16 at 32x32 only to keep fc1 small; conv layers are the same as at 224.
    const vgg = buildVgg16({inputSize: 32});
    expect(vgg.layers.filter((layer) => layer.name.endsWith("_pool")).length).toBe(5);
    expect(vgg.getLayer("block5_conv3").getClassName()).toBe("Conv2D");
    vgg.dispose();
    const resnet = buildResnet50({inputSize: 64});
    expect(resnet.countParams()).toBe(25_636_712); // Keras ResNet50 with a 1000-way head
    expect(resnet.getLayer("conv5_block3_out").outputShape).toEqual([null, 2, 2, 2048]);
    expect(resnet.layers[resnet.layers.length - 1]!.name).toBe("logits");
    resnet.dispose();
  });
});

describe("training", () => {
  it("a few seeded steps reduce the loss, identically across two runs", () => {
    for (const build of [tinyVgg, tinyResnet]) {
      const first = runSteps(build(), 12);
      const second = runSteps(build(), 12);
      expect(second).toEqual(first);
      const head = (first[0]! + first[1]!) / 2;
      const tail = (first[10]! + first[11]!) / 2;
      expect(tail).toBeLessThan(head);
    }
  });

  it("save then load gives identical predictions", async () => {
    const model = tinyResnet();
    runSteps(model, 2); // non-trivial batch-norm moving statistics
    const dir = join(workDir, "roundtrip");
    await saveLayersModelToDir(model, dir);
    const loaded = await loadLayersModelFromDir(dir);
    const x = tf.randomUniform([4, SIZE, SIZE, 3], 0, 1, "float32", 9);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (loaded.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(loaded.layers.map((layer) => layer.name)).toEqual(model.layers.map((layer) => layer.name));
  });

  it("a run resumed from a checkpoint continues exactly like an uninterrupted one", async () => {
    const straight = runSteps(tinyResnet(), 8);

    const trainer = new Trainer(tinyResnet(), standIn, trainerOptions);
    const firstHalf = Array.from({length: 4}, () => trainer.trainStep().loss);
    const out = join(workDir, "resume");
    await saveCheckpoint(out, trainer, {step: trainer.step, elapsedSeconds: 1, settings: {}, lastValidationAccuracy: null});
    const loaded = await loadCheckpoint(out);
    expect(loaded.state.step).toBe(4);
    const resumed = new Trainer(loaded.model, standIn, trainerOptions);
    await resumed.restore(loaded.state.step, loaded.optimizerWeights);
    const secondHalf = Array.from({length: 4}, () => resumed.trainStep().loss);
    expect([...firstHalf, ...secondHalf]).toEqual(straight);
  });

  it("batch-norm recalibration sets moving statistics to the average over the given batches", () => {
    const model = tinyResnet();
    runSteps(model, 2);
    const samples = Array.from({length: 12}, (_, i) => standIn.sample(100 + i, 5));
    recalibrateBatchNorm(model, samples, 6);
    // conv1_bn is the first BN: its input does not depend on any other BN's statistics.
    const stem = tf.model({inputs: model.inputs, outputs: model.getLayer("conv1_conv").output as tf.SymbolicTensor});
    const batchMeans = [samples.slice(0, 6), samples.slice(6)].map((part) => {
      const batch = samplesToBatch(part);
      return tf.tidy(() => tf.moments(stem.predict(tf.tensor4d(batch.pixels, batch.shape)) as tf.Tensor, [0, 1, 2]).mean.dataSync());
    });
    const movingMean = model.getLayer("conv1_bn").getWeights()[2]!.dataSync();
    movingMean.forEach((value, c) => expect(value).toBeCloseTo((batchMeans[0]![c]! + batchMeans[1]![c]!) / 2, 5));
    expect((model.getLayer("conv1_bn") as unknown as {momentum: number}).momentum).toBe(0.9);
  });
});
