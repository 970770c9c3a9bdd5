/**
 * Data-parallel training over a worker pool: each step splits the batch into one shard per
 * worker, the workers compute loss and gradients of their shard at the same weights, the
 * gradients are averaged here (weighted by shard size, so they equal the full batch's gradient
 * for a model without batch norm), Adam updates this thread's model, and the new weights go
 * back to every worker. Batch norm sees per-shard batch statistics (as unsynchronised multi-GPU
 * training does); its moving statistics are averaged over the shards.
 */
import * as tf from "@tensorflow/tfjs";
import type {Batch} from "../train/batch.js";
import {ExplainableModel} from "../../src/lib/model/adapter.js";
import {WorkerPool} from "./pool.js";
import type {ShardGradients} from "./protocol.js";

export interface DataParallelOptions {
  /** Workers; default os.availableParallelism(). */
  workers?: number;
  learningRate?: number;
  backend?: string;
  /** Adam to update with (e.g. a Trainer's, so checkpoints hold its state); default a new one. */
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

  private constructor(
    readonly model: tf.LayersModel,
    private readonly pool: WorkerPool,
    learningRate: number,
    optimizer?: tf.AdamOptimizer
  ) {
    this.optimizer = optimizer ?? tf.train.adam(learningRate);
    this.variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  }

  /** Starts the workers, each with a copy of `model` at its current weights. */
  static async create(model: tf.LayersModel, options: DataParallelOptions = {}): Promise<DataParallelTrainer> {
    const pool = await WorkerPool.create(new ExplainableModel(model), {
      ...(options.workers === undefined ? {} : {size: options.workers}),
      ...(options.backend === undefined ? {} : {backend: options.backend})
    });
    return new DataParallelTrainer(model, pool, options.learningRate ?? 1e-3, options.optimizer);
  }

  get workers(): number {
    return this.pool.size;
  }

  /** See WorkerPool.busyMs. */
  busyMs(): number[] {
    return this.pool.busyMs();
  }

  /**
   * One optimisation step on `batch` (as loaders/train/batch.ts makes it, e.g. Trainer.batchAt:
   * same data order and augmentation as single-threaded training), optionally at a new learning rate.
   */
  async step(batch: Batch, classes: number, learningRate?: number): Promise<DataParallelStep> {
    if (learningRate !== undefined) (this.optimizer as unknown as {learningRate: number}).learningRate = learningRate;
    const [count, height, width, channels] = batch.shape;
    const perImage = height * width * channels;
    const shards = splitEvenly(Array.from({length: count}, (_, i) => i), this.pool.size);
    const results = await Promise.all(
      shards.map((rows) => {
        const [first, n] = [rows[0]!, rows.length];
        return this.pool.shardGradients({
          pixels: batch.pixels.slice(first * perImage, (first + n) * perImage),
          shape: [n, height, width, channels],
          labels: batch.labels.slice(first, first + n),
          classes
        });
      })
    );
    const shares = shards.map((rows) => rows.length / count);
    const gradients = this.variables.map((v, j) => tf.tensor(weightedMean(results.map((r) => r.gradients[j]!), shares), v.shape));
    this.optimizer.applyGradients(this.variables.map((v, j) => ({name: v.name, tensor: gradients[j]!})));
    tf.dispose(gradients);
    this.adoptState(results, shares);
    await this.pool.broadcastWeights(await Promise.all(this.model.weights.map(async (w) => Float32Array.from(await w.read().data()))));
    return {
      loss: results.reduce((s, r, i) => s + r.loss * shares[i]!, 0),
      accuracy: results.reduce((s, r) => s + r.correct, 0) / count,
      samples: count
    };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Non-trainable weights (batch-norm moving statistics): the shard-weighted mean of the workers'. */
  private adoptState(results: ShardGradients[], shares: number[]): void {
    this.model.nonTrainableWeights.forEach((weight, j) => {
      const value = tf.tensor(weightedMean(results.map((r) => r.state[j]!), shares), weight.shape as number[]);
      weight.write(value);
      value.dispose();
    });
  }
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

/** Σ_i share_i·arrays_i, accumulated in float64; a single array with share 1 comes back unchanged. */
function weightedMean(arrays: readonly Float32Array[], shares: readonly number[]): Float32Array {
  if (arrays.length === 1 && shares[0] === 1) return arrays[0]!;
  const sum = new Float64Array(arrays[0]!.length);
  arrays.forEach((a, i) => {
    const share = shares[i]!;
    for (let k = 0; k < a.length; k++) sum[k] += share * a[k]!;
  });
  return Float32Array.from(sum);
}
