/**
 * Data-parallel training over model workers (loaders/pool/workers.ts running replica-worker.ts)
 * with a shared-memory all-reduce (replica.ts): each
 * step splits the batch into one shard per worker; every worker computes its shard's loss and
 * gradients, the gradients are averaged in a SharedArrayBuffer (weighted by shard size, so they
 * equal the full batch's gradient for a model without batch norm; summed in the same fixed order
 * for every worker), and every worker applies the same Adam update to its own copy. The weights
 * stay identical in every worker; only the batch goes out and the loss comes back.
 *
 * This thread's model and Adam are brought up to date only by sync() (checkpoints, evaluation)
 * and by close(). Batch norm sees per-shard batch statistics (as unsynchronised multi-GPU
 * training does); its moving statistics are averaged over the shards.
 */
import * as tf from "@tensorflow/tfjs";
import {ExplainableModel} from "../../src/lib/model/adapter.js";
import {ownedCopy, transferablesOf} from "../pool/transfer.js";
import {ModelWorkers} from "../pool/workers.js";
import {readAdamState, writeAdamState} from "./adam-state.js";
import type {Batch} from "./batch.js";
import {setModelWeights} from "./model-weights.js";
import {abortAllReduce, CONTROL} from "./replica.js";
import type {ReplicaRequest, ReplicaResult, ReplicaSetup, ReplicaState, ReplicaStep, ReplicaStepResult} from "./replica-protocol.js";

type ReplicaWorkers = ModelWorkers<ReplicaRequest, ReplicaResult>;

const REPLICA_WORKER = new URL("./replica-worker.ts", import.meta.url);

export interface DataParallelOptions {
  /** Workers; default os.availableParallelism(). */
  workers?: number;
  learningRate?: number;
  backend?: string;
  /**
   * Adam to train with (e.g. a Trainer's, so checkpoints hold its state); default a new one.
   * Its state (e.g. restored from a checkpoint) is copied to the workers at create(), and
   * copied back by sync().
   */
  optimizer?: tf.AdamOptimizer;
}

export interface DataParallelStep {
  loss: number;
  accuracy: number;
  samples: number;
}

export class DataParallelTrainer {
  readonly optimizer: tf.AdamOptimizer;
  private readonly variables: tf.Variable[];
  private readonly control: Int32Array;
  /** Steps taken by the workers since this thread's model and Adam were last brought up to date. */
  private unsynced = 0;
  /** Set when a step failed part-way: the workers may no longer agree. */
  private broken: string | null = null;
  /** Steps and syncs run one at a time. */
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  private closing: Promise<void> | null = null;

  private constructor(
    readonly model: tf.LayersModel,
    private readonly replicas: ReplicaWorkers,
    optimizer: tf.AdamOptimizer,
    control: SharedArrayBuffer
  ) {
    this.optimizer = optimizer;
    this.variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    this.control = new Int32Array(control);
  }

  /** Starts the workers, each with a copy of `model` at its current weights and of the optimizer's state. */
  static async create(model: tf.LayersModel, options: DataParallelOptions = {}): Promise<DataParallelTrainer> {
    const optimizer = options.optimizer ?? tf.train.adam(options.learningRate ?? 1e-3);
    const state = await readAdamState(optimizer);
    const replicas: ReplicaWorkers = await ModelWorkers.start(REPLICA_WORKER, new ExplainableModel(model), {
      ...(options.workers === undefined ? {} : {size: options.workers}),
      ...(options.backend === undefined ? {} : {backend: options.backend})
    });
    try {
      const slotLength = [...model.trainableWeights, ...model.nonTrainableWeights].reduce((s, w) => s + w.read().size, 0);
      const parties = replicas.size;
      const exchange = new SharedArrayBuffer(parties * slotLength * 4);
      const control = new SharedArrayBuffer(CONTROL.words * 4);
      await Promise.all(
        Array.from({length: parties}, (_, rank) => startReplica(replicas, rank, {rank, parties, exchange, slotLength, control, optimizer: state}))
      );
      return new DataParallelTrainer(model, replicas, optimizer, control);
    } catch (error) {
      await replicas.close();
      throw error;
    }
  }

  get workers(): number {
    return this.replicas.size;
  }

  /** True when this thread's model and optimizer hold the latest step's weights and state. */
  get synced(): boolean {
    return this.unsynced === 0;
  }

  /** Live tensors in each worker, for leak checks. */
  workerTensors(): Promise<number[]> {
    return this.replicas.workerTensors();
  }

  /** See ModelWorkers.busyMs. */
  busyMs(): number[] {
    return this.replicas.busyMs();
  }

  /**
   * One optimisation step on `batch` (as loaders/train/batch.ts makes it, e.g. Trainer.batchAt:
   * same data order and augmentation as single-threaded training), optionally at a new learning
   * rate. Updates the workers' copies; this thread's model follows at sync().
   */
  step(batch: Batch, classes: number, learningRate?: number): Promise<DataParallelStep> {
    if (this.closing) return Promise.reject(new Error("the data-parallel trainer was closed"));
    return this.serially(() => this.runStep(batch, classes, learningRate));
  }

  /**
   * Copies the workers' weights and Adam state (iteration count, moments) into this thread's
   * model and optimizer: before a checkpoint, an evaluation, or any other use of the model.
   */
  sync(): Promise<void> {
    return this.serially(async () => {
      this.usable();
      if (this.unsynced === 0) return;
      const state = await (this.replicas.submit({kind: "replica-state"}, [], 0) as Promise<ReplicaState>);
      setModelWeights(this.model, state.weights);
      writeAdamState(this.optimizer, state.optimizer, this.variables);
      this.unsynced = 0;
    });
  }

  /** Stops the workers, after a sync() unless `sync: false` (or a failed step left nothing to trust). Safe to call twice. */
  close(options: {sync?: boolean} = {}): Promise<void> {
    this.closing ??= (async () => {
      await this.queue; // a step still running finishes first
      try {
        if ((options.sync ?? true) && !this.broken && this.unsynced > 0) await this.sync();
      } finally {
        this.closed = true;
        await this.replicas.close();
      }
    })();
    return this.closing;
  }

  private serially<T>(run: () => Promise<T>): Promise<T> {
    const next = this.queue.then(run);
    this.queue = next.catch(() => {});
    return next;
  }

  private usable(): void {
    if (this.closed) throw new Error("the data-parallel trainer was closed");
    if (this.broken) throw new Error(`an earlier training step failed, the workers may disagree: ${this.broken}`);
  }

  private async runStep(batch: Batch, classes: number, learningRate?: number): Promise<DataParallelStep> {
    this.usable();
    if (learningRate !== undefined) (this.optimizer as unknown as {learningRate: number}).learningRate = learningRate;
    const rate = (this.optimizer as unknown as {learningRate: number}).learningRate;
    const [count, height, width, channels] = batch.shape;
    const expected = this.model.inputs[0]!.shape.slice(1);
    if (expected.some((d, i) => d !== null && d !== [height, width, channels][i]) || batch.pixels.length !== count * height * width * channels) {
      throw new Error(`a batch of shape [${batch.shape}] (${batch.pixels.length} values) does not fit the model's input [${expected.map((d) => d ?? "?")}]`);
    }
    if (batch.labels.length !== count) throw new Error(`a batch of ${count} images has ${batch.labels.length} labels`);
    const perImage = height * width * channels;
    const shards = splitEvenly(
      Array.from({length: count}, (_, i) => i),
      this.replicas.size
    );
    const shares = Array.from({length: this.replicas.size}, (_, r) => (shards[r]?.length ?? 0) / count);
    const parts = Array.from({length: this.replicas.size}, (_, rank) => {
      const rows = shards[rank];
      const shard = rows
        ? {
            pixels: batch.pixels.slice(rows[0]! * perImage, (rows[0]! + rows.length) * perImage),
            shape: [rows.length, height, width, channels] as [number, number, number, number],
            labels: batch.labels.slice(rows[0]!, rows[0]! + rows.length),
            classes
          }
        : null;
      return replicaStep(this.replicas, rank, {shard, shares, learningRate: rate});
    });
    // A failure anywhere wakes the others at their barrier; every part settles before this returns.
    parts.forEach((p) => p.catch(() => abortAllReduce(this.control)));
    const settled = await Promise.allSettled(parts);
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failure) {
      const first = settled.find((s) => s.status === "rejected" && !/another worker failed/.test(String((s.reason as Error)?.message)));
      const reason = ((first ?? failure) as PromiseRejectedResult).reason as Error;
      this.broken = reason?.message ?? String(reason);
      throw reason;
    }
    const results = settled.map((s) => (s as PromiseFulfilledResult<{loss: number; correct: number}>).value);
    this.unsynced++;
    return {
      loss: results.reduce((s, r, i) => s + r.loss * shares[i]!, 0),
      accuracy: results.reduce((s, r) => s + r.correct, 0) / count,
      samples: count
    };
  }
}

/** Worker `rank` joins the trainer's all-reduce (replica.ts). */
function startReplica(workers: ReplicaWorkers, rank: number, setup: ReplicaSetup): Promise<void> {
  return workers.submit({kind: "replica-start", setup}, [], rank).then(() => undefined);
}

/** Worker `rank`'s part of a training step (every replica must be sent its part). */
function replicaStep(workers: ReplicaWorkers, rank: number, step: ReplicaStep): Promise<ReplicaStepResult> {
  const shard = step.shard && {...step.shard, pixels: ownedCopy(step.shard.pixels), labels: step.shard.labels.slice()};
  const transfer = shard ? transferablesOf([shard.pixels, shard.labels]) : [];
  return workers.submit({kind: "replica-step", step: {...step, shard}}, transfer, rank) as Promise<ReplicaStepResult>;
}

/** Contiguous parts whose sizes differ by at most one (no empty parts). */
export function splitEvenly<T>(items: readonly T[], parts: number): T[][] {
  const count = Math.min(parts, items.length);
  const out: T[][] = [];
  let start = 0;
  for (let p = 0; p < count; p++) {
    const size = Math.floor(items.length / count) + (p < items.length % count ? 1 : 0);
    out.push(items.slice(start, start + size));
    start += size;
  }
  return out;
}
