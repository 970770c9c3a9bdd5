/**
 * The training loop's core, independent of the CLI: seeded data order (sample i of step s is
 * dataset.sample(s * batch + i, trainSeed)), Adam, one optimisation step at a time. Because
 * the data order and augmentation depend only on the step number, a run resumed from a
 * checkpoint continues exactly as if it had never stopped.
 */
import * as tf from "@tensorflow/tfjs";
import type {Dataset} from "../datasets/types.js";
import {seededRandom} from "../../src/lib/random.js";
import {batchToTensors, samplesToBatch, type Batch} from "./batch.js";
import {learningRateAt} from "./schedule.js";

/** One named optimizer state tensor (what Adam's getWeights/setWeights exchange). */
export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export interface TrainerOptions {
  batch: number;
  learningRate: number;
  totalSteps: number;
  /** Seed of the training sample stream; must differ from the validation and test seeds. */
  trainSeed: number;
  augment: boolean;
  /**
   * Multi-label (sigmoid outputs, binary cross-entropy on multi-hot targets) instead of softmax
   * cross-entropy; the reported accuracy is then the share of images with every class right at
   * score 0.5 (logit 0). Defaults to dataset.multiLabel.
   */
  multiLabel?: boolean;
}

export interface StepResult {
  step: number;
  loss: number;
  accuracy: number;
  learningRate: number;
}

export class Trainer {
  readonly optimizer: tf.AdamOptimizer;
  /** Steps completed so far. */
  step = 0;
  private readonly variables: tf.Variable[];
  readonly multiLabel: boolean;

  constructor(
    readonly model: tf.LayersModel,
    readonly dataset: Dataset,
    readonly options: TrainerOptions
  ) {
    this.optimizer = tf.train.adam(options.learningRate);
    this.multiLabel = options.multiLabel ?? dataset.multiLabel === true;
    // Fixed order: the optimizer keys its moment estimates by position in this list.
    this.variables = model.trainableWeights.map((weight) => weight.read() as tf.Variable);
  }

  /** The batch used at `step` (deterministic). */
  batchAt(step: number): Batch {
    const {batch, trainSeed, augment} = this.options;
    const samples = Array.from({length: batch}, (_, i) => this.dataset.sample(step * batch + i, trainSeed));
    return samplesToBatch(
      samples,
      augment ? seededRandom(trainSeed ^ (step * 2654435761)) : undefined,
      this.multiLabel ? this.dataset.classes.length : undefined
    );
  }

  /** Runs one optimisation step on `batch` (defaults to the batch of the current step). */
  trainStep(batch: Batch = this.batchAt(this.step)): StepResult {
    const learningRate = learningRateAt(this.step, this.options.totalSteps, this.options.learningRate);
    // Adam reads this field on every update, so the schedule can change it between steps.
    (this.optimizer as unknown as {learningRate: number}).learningRate = learningRate;
    const classes = this.dataset.classes.length;
    const {x, y} = batchToTensors(batch, classes);
    let logits: tf.Tensor | null = null;
    const lossTensor = this.optimizer.minimize(
      () => {
        const out = this.model.apply(x, {training: true}) as tf.Tensor;
        logits = tf.keep(out);
        // Multi-label: mean over images of the per-class BCE summed over classes (the mean over
        // all entries would shrink the gradient by the class count; Adam mostly undoes that, but
        // the loss then reads like the softmax one).
        if (this.multiLabel) return tf.losses.sigmoidCrossEntropy(y, out).mul(classes) as tf.Scalar;
        return tf.losses.softmaxCrossEntropy(y, out) as tf.Scalar;
      },
      true,
      this.variables
    );
    const loss = lossTensor!.dataSync()[0]!;
    const accuracy = tf.tidy(() => {
      if (!this.multiLabel) return tf.mean(tf.equal(tf.argMax(logits!, -1), tf.argMax(y, -1)).toFloat()).dataSync()[0]!;
      const wrong = tf.notEqual(tf.greater(logits!, 0), tf.greater(y, 0.5)).any(-1);
      return tf.sub(1, tf.mean(wrong.toFloat())).dataSync()[0]!;
    });
    tf.dispose([lossTensor!, logits!, x, y]);
    this.step++;
    return {step: this.step, loss, accuracy, learningRate};
  }

  /**
   * One optimisation step whose work is done by `run` (e.g. DataParallelTrainer.step over a
   * worker pool sharing this.optimizer): same batch and learning rate as trainStep would use.
   */
  async trainStepWith(run: (batch: Batch, learningRate: number) => Promise<{loss: number; accuracy: number}>): Promise<StepResult> {
    const learningRate = learningRateAt(this.step, this.options.totalSteps, this.options.learningRate);
    const {loss, accuracy} = await run(this.batchAt(this.step), learningRate);
    this.step++;
    return {step: this.step, loss, accuracy, learningRate};
  }

  async optimizerWeights(): Promise<NamedTensor[]> {
    return this.optimizer.getWeights();
  }

  async restore(step: number, optimizerWeights: NamedTensor[]): Promise<void> {
    await this.optimizer.setWeights(optimizerWeights);
    this.step = step;
  }
}
