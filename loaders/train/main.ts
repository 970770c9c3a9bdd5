/**
 * Trains one of the project's default CNNs on a generated data set and writes it, with its model
 * card, to data/models/<name>/. Run: npx tsx loaders/train/main.ts --model vgg --dataset shapes
 */
import * as tf from "@tensorflow/tfjs";
import {basename} from "node:path";
import {selectNodeBackend} from "../backend.js";
import {getDataset, TEST_SEED, TRAIN_SEED, VALIDATION_SEED} from "../datasets/index.js";
import {loadSplit, testSplitDirectory, validationSplitDirectory} from "../datasets/splits.js";
import type {Sample} from "../datasets/types.js";
import {buildModel} from "../models/build.js";
import {DEFAULT_PREPROCESSING, summariseArchitecture, writeCard, type ModelCard, type MultiLabelCard} from "../models/card.js";
import {saveLayersModelToDir} from "../models/save.js";
import {parseTrainArgs} from "./args.js";
import {hasCheckpoint, loadCheckpoint, saveCheckpoint, type CheckpointState} from "./checkpoint.js";
import {evaluate, type Evaluation} from "./evaluate.js";
import {calibrateMultiLabel, multiLabelTopOne, multiLabelValidation} from "./multilabel-run.js";
import {ProgressBar} from "./progress.js";
import {recalibrateBatchNorm} from "./recalibrate.js";
import {SCHEDULE_DESCRIPTION} from "./schedule.js";
import {Trainer, type NamedTensor} from "./trainer.js";
import {copyWeightsByName} from "./init-weights.js";
import {loadLayersModelFromDir} from "../models/load.js";

/** Images used to recompute batch-norm statistics at checkpoints and at the end. */
const CALIBRATION_SAMPLES = 512;
const CALIBRATION_START = 1_000_000_000;

async function main(): Promise<void> {
  const args = parseTrainArgs(process.argv.slice(2));
  const command = `npx tsx loaders/train/main.ts ${process.argv.slice(2).join(" ")}`;
  const {backend, provider} = await selectNodeBackend(args.backend);
  const dataset = getDataset(args.dataset);
  const multiLabel = dataset.multiLabel === true;
  if (multiLabel && args.workers > 1) {
    throw new Error(
      `--workers ${args.workers}: the data-parallel pool trains with softmax cross-entropy only; train ${args.dataset} (multi-label) with --workers 1`
    );
  }
  // Offset by the run seed so different seeds see different data; never the test/validation seeds.
  const trainSeed = TRAIN_SEED + args.seed * 7919;
  if (trainSeed === TEST_SEED || trainSeed === VALIDATION_SEED) throw new Error("training seed collides with a held-out seed");
  const settings = {
    model: args.model,
    dataset: args.dataset,
    steps: args.steps,
    batch: args.batch,
    lr: args.lr,
    seed: args.seed,
    augment: args.augment,
    ...(args.init !== null ? {init: args.init} : {})
  };
  const bar = new ProgressBar();
  bar.log(`training ${args.model} on ${args.dataset} with ${backend} (${provider}): ${JSON.stringify(settings)}`);

  let model: tf.LayersModel;
  let state: CheckpointState = {step: 0, elapsedSeconds: 0, settings, lastValidationAccuracy: null};
  let restore: {step: number; weights: NamedTensor[]} | null = null;
  if (args.resume && hasCheckpoint(args.out)) {
    const loaded = await loadCheckpoint(args.out);
    // --steps may change on resume (to extend a run; the cosine schedule is re-stretched), nothing else.
    const withoutSteps = (value: Record<string, unknown>): string => JSON.stringify({...value, steps: undefined});
    if (withoutSteps(loaded.state.settings) !== withoutSteps(settings)) {
      throw new Error(`checkpoint settings ${JSON.stringify(loaded.state.settings)} differ from ${JSON.stringify(settings)}`);
    }
    model = loaded.model;
    state = {...loaded.state, settings};
    restore = {step: loaded.state.step, weights: loaded.optimizerWeights};
    bar.log(`resumed from step ${state.step}`);
  } else {
    model = buildModel(args.model, dataset.classes.length, args.seed, dataset.width, args.dataset);
    if (args.init !== null) {
      const source = await loadLayersModelFromDir(args.init);
      const {copied, grownBlocks} = copyWeightsByName(model, source, args.init);
      const grown = grownBlocks.length > 0 ? `; new residual blocks ${grownBlocks.join(", ")} start as the identity` : "";
      bar.log(`starting from ${args.init}: ${copied} weight tensors copied${grown}`);
      source.dispose();
    }
  }
  const trainer = new Trainer(model, dataset, {batch: args.batch, learningRate: args.lr, totalSteps: args.steps, trainSeed, augment: args.augment});
  if (restore) await trainer.restore(restore.step, restore.weights);
  // With --workers N, each step's batch is split over N threads; they share this trainer's Adam.
  // Imported only when used: a one-thread run should not load (or depend on) the worker pool.
  const parallel =
    args.workers > 1
      ? await (
          await import("./data-parallel.js")
        ).DataParallelTrainer.create(model, {workers: args.workers, backend: args.backend, optimizer: trainer.optimizer})
      : null;
  if (parallel) bar.log(`data parallel over ${parallel.workers} worker threads`);
  const trainStep = () =>
    parallel
      ? trainer.trainStepWith((batch, learningRate) => parallel.step(batch, dataset.classes.length, learningRate))
      : Promise.resolve(trainer.trainStep());
  bar.log(`${model.name}: ${model.countParams()} parameters, ${model.layers.length} layers`);

  // Multi-label sets validate on their committed val split (the one the temperature is fitted on).
  const validation: Sample[] = multiLabel
    ? args.validationSamples > 0
      ? loadSplit(validationSplitDirectory(args.dataset)).images
      : []
    : Array.from({length: args.validationSamples}, (_, i) => dataset.sample(i, VALIDATION_SEED));
  // Calibration images come from the training stream far beyond any index a run reaches.
  const calibration: Sample[] = Array.from({length: CALIBRATION_SAMPLES}, (_, i) => dataset.sample(CALIBRATION_START + i, trainSeed));
  const validate = (): number => {
    // Only moving statistics change, which training itself never reads, so this is safe mid-run.
    recalibrateBatchNorm(model, calibration);
    return multiLabel ? multiLabelValidation(model, validation, dataset.classes).map : evaluate(model, validation, dataset.classes).accuracy;
  };
  const validationName = multiLabel ? "validation mAP" : "validation accuracy";

  const runStart = Date.now();
  // Wall time of earlier runs (from the checkpoint) plus this run's; fixed once, state changes below.
  const earlierSeconds = state.elapsedSeconds;
  const elapsed = (): number => earlierSeconds + (Date.now() - runStart) / 1000;
  let windowStart = Date.now();
  let windowSteps = 0;
  let stepsPerSecond = 0;
  let lossAverage = Number.NaN;
  let accuracyAverage = Number.NaN;
  // Ctrl-C / kill: finish the current step, save a checkpoint, exit (resume with --resume).
  let stopRequested = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => (stopRequested = true));
  while (trainer.step < args.steps) {
    // Yield to the event loop once per step so signal handlers get to run.
    await new Promise((resolve) => setImmediate(resolve));
    if (stopRequested) {
      state = {...state, step: trainer.step, elapsedSeconds: elapsed()};
      await parallel?.sync(); // over a pool, this thread's model and Adam are updated only when asked
      await saveCheckpoint(args.out, trainer, state);
      await parallel?.close();
      bar.log(`stopped at step ${trainer.step}; checkpoint saved, continue with --resume`);
      process.exit(130);
    }
    const result = await trainStep();
    // Exponential moving averages: the per-batch numbers are noisy.
    lossAverage = Number.isNaN(lossAverage) ? result.loss : 0.95 * lossAverage + 0.05 * result.loss;
    accuracyAverage = Number.isNaN(accuracyAverage) ? result.accuracy : 0.95 * accuracyAverage + 0.05 * result.accuracy;
    if (!Number.isFinite(result.loss)) throw new Error(`loss became ${result.loss} at step ${result.step}`);
    windowSteps++;
    const windowSeconds = (Date.now() - windowStart) / 1000;
    stepsPerSecond = windowSteps / Math.max(windowSeconds, 1e-9);
    if (windowSeconds > 120) {
      windowStart = Date.now();
      windowSteps = 0;
    }
    bar.update({step: trainer.step, total: args.steps, loss: lossAverage, accuracy: accuracyAverage, stepsPerSecond});
    if (trainer.step % args.checkpointEvery === 0 && trainer.step < args.steps) {
      await parallel?.sync(); // the checkpoint and validation below read this thread's model and Adam
      const validationAccuracy = args.validationSamples > 0 ? validate() : null;
      state = {...state, step: trainer.step, elapsedSeconds: elapsed(), lastValidationAccuracy: validationAccuracy};
      await saveCheckpoint(args.out, trainer, state);
      const shown = validationAccuracy === null ? "" : `, ${validationName} ${(validationAccuracy * 100).toFixed(1)}%`;
      bar.log(`step ${trainer.step}: checkpoint saved${shown}, lr ${result.learningRate.toExponential(2)}, ${tf.memory().numTensors} tensors`);
    }
  }
  const wallTimeSeconds = elapsed();
  await parallel?.close(); // brings this thread's model and Adam up to date first
  const validationAccuracy = args.validationSamples > 0 ? validate() : (recalibrateBatchNorm(model, calibration), null);
  const split = loadSplit(testSplitDirectory(args.dataset));
  let test: Evaluation;
  let multiLabelCard: MultiLabelCard | undefined;
  if (multiLabel) {
    // Before the temperature is baked in: the final checkpoint below keeps the uncalibrated model,
    // so a resumed run (--steps more) continues training it; only model.json is calibrated.
    await saveCheckpoint(args.out, trainer, {...state, step: trainer.step, elapsedSeconds: wallTimeSeconds, lastValidationAccuracy: validationAccuracy});
    const valSplit = loadSplit(validationSplitDirectory(args.dataset));
    multiLabelCard = calibrateMultiLabel(model, valSplit, split, dataset.classes, `data/${args.dataset}/val`);
    test = multiLabelTopOne(model, split.images, dataset.classes);
    const c = multiLabelCard.calibration;
    bar.log(
      `test mAP ${(multiLabelCard.testMap * 100).toFixed(2)}% on ${multiLabelCard.testPositives} (image, class) pairs; temperature ${c.temperature.toFixed(4)}, ` +
        `test ECE ${c.testEceBefore.toFixed(4)} -> ${c.testEceAfter.toFixed(4)}; top-1 present ${(test.accuracy * 100).toFixed(2)}%`
    );
  } else {
    test = evaluate(model, split.images, dataset.classes);
    bar.log(
      `validation ${validationAccuracy === null ? "-" : (validationAccuracy * 100).toFixed(2)}%, test ${(test.accuracy * 100).toFixed(2)}% on ${test.count} images`
    );
  }
  await saveLayersModelToDir(model, args.out);
  // A final checkpoint lets a later run extend this one (--resume --steps <more>).
  if (!multiLabel)
    await saveCheckpoint(args.out, trainer, {...state, step: trainer.step, elapsedSeconds: wallTimeSeconds, lastValidationAccuracy: validationAccuracy});
  const card: ModelCard = {
    name: basename(args.out),
    architecture: summariseArchitecture(model, args.model),
    inputSize: [dataset.height, dataset.width, 3],
    preprocessing: DEFAULT_PREPROCESSING,
    output: "logits",
    score: multiLabel ? "sigmoid" : "softmax",
    classes: [...dataset.classes],
    dataset: args.dataset,
    testSplit: {directory: `data/${args.dataset}/test`, images: test.count, seed: split.seed},
    testAccuracy: test.accuracy,
    perClassAccuracy: test.perClass,
    validationAccuracy,
    ...(multiLabelCard ? {multiLabel: multiLabelCard} : {}),
    training: {
      steps: args.steps,
      batch: args.batch,
      learningRate: args.lr,
      schedule: SCHEDULE_DESCRIPTION,
      optimizer: "adam",
      seed: args.seed,
      trainSeed,
      augment: args.augment,
      ...(args.init !== null ? {initialisedFrom: args.init} : {}),
      backend,
      wallTimeSeconds: Math.round(wallTimeSeconds),
      secondsPerStep: wallTimeSeconds / Math.max(1, args.steps),
      ...(args.workers > 1 ? {workers: args.workers} : {}),
      ...(args.note === null ? {} : {note: args.note})
    },
    date: new Date().toISOString(),
    command
  };
  await writeCard(args.out, card);
  bar.log(`wrote ${args.out}/model.json, weights.bin and card.json`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
