/**
 * A worker's replica in data-parallel training with a shared-memory all-reduce: every worker
 * holds the same weights and the same Adam state. A step: each worker writes its shard's
 * gradients (and batch-norm moving statistics) into its slot of a SharedArrayBuffer; after a
 * barrier, worker r averages part r of every slot (fixed order, float64, weighted by shard
 * size) into slot 0; after a second barrier every worker applies that same average with its own
 * Adam. The weights stay identical everywhere and nothing but the batch and two numbers goes
 * through the main thread.
 */
import * as tf from "@tensorflow/tfjs";
import {adamFromState, readAdamState} from "./adam-state.js";
import type {ReplicaSetup, ReplicaState, ReplicaStep, ReplicaStepResult, TrainingShard} from "./replica-protocol.js";

/** Words of the control block: barrier arrivals, barrier generation, abort flag. */
export const CONTROL = {arrived: 0, generation: 1, abort: 2, words: 4} as const;

/** Sets the abort flag and wakes every worker waiting at a barrier (any thread may call it). */
export function abortAllReduce(control: Int32Array): void {
  Atomics.store(control, CONTROL.abort, 1);
  Atomics.add(control, CONTROL.generation, 1);
  Atomics.notify(control, CONTROL.generation);
}

/** Blocks until all `parties` workers have arrived; throws once any worker aborted the step. */
function barrier(control: Int32Array, parties: number): void {
  const generation = Atomics.load(control, CONTROL.generation);
  const aborted = () => Atomics.load(control, CONTROL.abort) !== 0;
  if (aborted()) throw new Error("another worker failed in this training step");
  if (Atomics.add(control, CONTROL.arrived, 1) === parties - 1) {
    Atomics.store(control, CONTROL.arrived, 0);
    Atomics.add(control, CONTROL.generation, 1);
    Atomics.notify(control, CONTROL.generation);
  } else {
    while (Atomics.load(control, CONTROL.generation) === generation) Atomics.wait(control, CONTROL.generation, generation, 1000);
  }
  if (aborted()) throw new Error("another worker failed in this training step");
}

/** Contiguous part `rank` of 0..length−1 split into `parts` near-equal parts. */
function partOf(length: number, parts: number, rank: number): [number, number] {
  const base = Math.floor(length / parts);
  const extra = length % parts;
  const from = rank * base + Math.min(rank, extra);
  return [from, from + base + (rank < extra ? 1 : 0)];
}

export class TrainingReplica {
  private readonly variables: tf.Variable[];
  private readonly optimizer: tf.AdamOptimizer;
  private readonly slots: Float32Array[];
  private readonly control: Int32Array;
  /** Offset of each trainable weight's gradient, then each non-trainable weight, in a slot. */
  private readonly offsets: number[];

  constructor(
    private readonly model: tf.LayersModel,
    private readonly setup: ReplicaSetup
  ) {
    this.variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const sizes = [...model.trainableWeights, ...model.nonTrainableWeights].map((w) => w.read().size);
    this.offsets = [];
    let length = 0;
    for (const size of sizes) {
      this.offsets.push(length);
      length += size;
    }
    if (length !== setup.slotLength) throw new Error(`the worker's model has ${length} weight values, the trainer's ${setup.slotLength}`);
    this.slots = Array.from({length: setup.parties}, (_, r) => new Float32Array(setup.exchange, r * length * 4, length));
    this.control = new Int32Array(setup.control);
    this.optimizer = adamFromState(setup.optimizer, this.variables);
  }

  async step(request: ReplicaStep): Promise<ReplicaStepResult> {
    const {parties, rank} = this.setup;
    const control = this.control;
    let result: ReplicaStepResult = {loss: 0, correct: 0};
    try {
      if (request.shard) result = await this.gradientsInto(request.shard, this.slots[rank]!);
    } catch (error) {
      abortAllReduce(control);
      throw error;
    }
    if (parties > 1) {
      barrier(control, parties);
      // Reduce-scatter: part `rank` of the average, into slot 0 (only this worker touches that part).
      const [from, to] = partOf(this.slots[0]!.length, parties, rank);
      const used = request.shares.flatMap((share, r) => (share === 0 ? [] : [{share, slot: this.slots[r]!}]));
      const out = this.slots[0]!;
      // Per value: 0 + Σ_r share_r·g_r in float64, shards in rank order, rounded once to float32.
      if (used.length === 2) {
        const [{share: a, slot: x}, {share: b, slot: y}] = used as [(typeof used)[0], (typeof used)[0]];
        for (let k = from; k < to; k++) out[k] = 0 + a * x[k]! + b * y[k]!; // the general loop's order, unrolled
      } else {
        for (let k = from; k < to; k++) {
          let sum = 0;
          for (const {share, slot} of used) sum += share * slot[k]!;
          out[k] = sum;
        }
      }
      barrier(control, parties);
    }
    this.apply(this.slots[0]!, request.learningRate);
    return result;
  }

  /** Weights (`model.weights` order) and Adam state, for the main thread's copy. */
  async state(): Promise<ReplicaState> {
    const weights = await Promise.all(this.model.weights.map((w) => w.read().data()));
    return {weights: weights.map((w) => Float32Array.from(w as Float32Array)), optimizer: await readAdamState(this.optimizer)};
  }

  dispose(): void {
    this.optimizer.dispose();
  }

  /** Loss, correct predictions, gradients and moving statistics of one shard, written into `slot`. */
  private async gradientsInto(shard: TrainingShard, slot: Float32Array): Promise<ReplicaStepResult> {
    const x = tf.tensor4d(shard.pixels, shard.shape);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d(shard.labels, "int32"), shard.classes).toFloat());
    let logits: tf.Tensor | null = null;
    let held: tf.Tensor[] = [];
    try {
      const {value, grads} = tf.variableGrads(() => {
        const out = this.model.apply(x, {training: true}) as tf.Tensor;
        logits = tf.keep(out);
        return tf.losses.softmaxCrossEntropy(y, out) as tf.Scalar;
      }, this.variables);
      const correct = tf.tidy(() => tf.sum(tf.equal(tf.argMax(logits!, -1), tf.argMax(y, -1)).toFloat()));
      held = [value, correct, ...Object.values(grads)];
      const ordered = [...this.variables.map((v) => grads[v.name]!), ...this.model.nonTrainableWeights.map((w) => w.read())];
      for (let j = 0; j < ordered.length; j++) slot.set((await ordered[j]!.data()) as Float32Array, this.offsets[j]!);
      const [loss, right] = await Promise.all([value.data(), correct.data()]);
      return {loss: loss[0]!, correct: right[0]!};
    } finally {
      tf.dispose([x, y, ...held]);
      if (logits) (logits as tf.Tensor).dispose();
    }
  }

  /** Adam on the averaged gradients; the averaged moving statistics replace the worker's own. */
  private apply(averaged: Float32Array, learningRate: number): void {
    (this.optimizer as unknown as {learningRate: number}).learningRate = learningRate;
    const trainable = this.variables.length;
    const view = (j: number, shape: number[]) => tf.tensor(averaged.subarray(this.offsets[j]!, this.offsets[j]! + shape.reduce((a, b) => a * b, 1)), shape);
    const gradients = this.variables.map((v, j) => view(j, v.shape));
    try {
      this.optimizer.applyGradients(this.variables.map((v, j) => ({name: v.name, tensor: gradients[j]!})));
    } finally {
      tf.dispose(gradients);
    }
    this.model.nonTrainableWeights.forEach((weight, j) => {
      const value = view(trainable + j, weight.shape as number[]);
      weight.write(value);
      value.dispose();
    });
  }
}
