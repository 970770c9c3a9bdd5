/**
 * A pool of worker threads, each with its own tfjs backend and copy of the model: the Node
 * `PassExecutor` that spreads a method's independent batches over every core, and a way to
 * explain whole images in parallel. tfjs's wasm backend runs on one thread in Node, so
 * parallelism across cores has to come from separate threads with separate backends.
 */
import {availableParallelism} from "node:os";
import type {Worker} from "node:worker_threads";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import type {ScoreMode} from "../../src/lib/model/score.js";
import type {PassExecutor, ProbeBatchRequest, ProbeBatchResult} from "../../src/lib/explain/executor.js";
import {AbortedError} from "../../src/lib/explain/progress.js";
import type {MaskRecipeRequest, MaskRecipeResult} from "../../src/lib/explain/mask-recipes.js";
import type {Explanation, RgbImage} from "../../src/lib/explain/types.js";
import {modelPayload} from "./model-transfer.js";
import type {
  ModelPayload,
  ReplicaSetup,
  ReplicaState,
  ReplicaStep,
  ReplicaStepResult,
  WorkerReply,
  WorkerRequest,
  WorkerResult,
  WorkerSetup
} from "./protocol.js";
import {spawnTypeScriptWorker} from "./spawn.js";
import {ownedCopy, transferablesOf} from "./transfer.js";

/** The model to copy into every worker, or a spec each worker opens itself (see loaders/model-files.ts). */
export type PoolModel = ExplainableModel | string;

export interface WorkerPoolOptions {
  /** Worker threads; default os.availableParallelism(). */
  size?: number;
  /** Backend each worker selects; default "wasm". */
  backend?: string;
  /**
   * Batches per worker a method keeps in flight (`concurrency` = size × this); default 2, so a
   * worker's next batch is ready the moment it finishes one.
   */
  inFlightPerWorker?: number;
}

/** A request without its id, plus the buffers it may give away. */
type Job = {
  request: DistributiveOmit<WorkerRequest, "id">;
  transfer: ArrayBuffer[];
  /** The worker that must run it (broadcasts); any free worker when absent. */
  worker?: number;
  resolve: (result: WorkerResult) => void;
  reject: (error: Error) => void;
};
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface PoolWorker {
  index: number;
  thread: Worker;
  busy: {id: number; job: Job; since: number} | null;
  alive: boolean;
  /** Wall time spent with a request outstanding (for occupancy reports). */
  busyMs: number;
}

const WORKER_MODULE = new URL("./worker.ts", import.meta.url);

export class WorkerPool implements PassExecutor {
  readonly concurrency: number;
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private lastFailure = "";

  private constructor(
    private readonly workers: PoolWorker[],
    /** Backend the workers run on. */
    readonly backend: string,
    inFlightPerWorker: number
  ) {
    this.concurrency = workers.length * inFlightPerWorker;
    for (const worker of workers) {
      this.watch(worker);
      // An idle worker does not keep the process alive (a forgotten close() cannot hang a tool).
      worker.thread.unref();
    }
  }

  /** Starts the workers and waits until each has its backend and model (rejects with a worker's error). */
  static async create(model: PoolModel, options: WorkerPoolOptions = {}): Promise<WorkerPool> {
    const size = options.size ?? availableParallelism();
    if (!Number.isInteger(size) || size < 1) throw new Error(`pool size must be a positive integer, got ${size}`);
    const inFlight = options.inFlightPerWorker ?? 2;
    if (!Number.isInteger(inFlight) || inFlight < 1) throw new Error(`inFlightPerWorker must be a positive integer, got ${inFlight}`);
    const payload: ModelPayload = typeof model === "string" ? {kind: "spec", spec: model} : await modelPayload(model);
    const setup: WorkerSetup = {model: payload, backend: options.backend ?? "wasm"};
    const threads = Array.from({length: size}, () => spawnTypeScriptWorker(WORKER_MODULE, setup));
    const started = await Promise.allSettled(threads.map(waitUntilReady));
    const failure = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failure) {
      await Promise.all(threads.map((t) => t.terminate()));
      throw failure.reason;
    }
    const backend = (started[0] as PromiseFulfilledResult<string>).value;
    return new WorkerPool(
      threads.map((thread, index) => ({index, thread, busy: null, alive: true, busyMs: 0})),
      backend,
      inFlight
    );
  }

  get size(): number {
    return this.workers.length;
  }

  /**
   * Wall time each worker has spent with a request outstanding, so far. Over an interval,
   * Δbusy / (size × wall) near 1 means the workers never waited for the main thread.
   */
  busyMs(): number[] {
    const now = performance.now();
    return this.workers.map((w) => w.busyMs + (w.busy ? now - w.busy.since : 0));
  }

  scoreBatch(pixels: Float32Array, count: number, classIndex: number, mode: ScoreMode, signal?: AbortSignal): Promise<Float32Array> {
    const owned = ownedCopy(pixels);
    return this.submit({kind: "score", pixels: owned, count, classIndex, mode}, transferablesOf([owned]), undefined, signal) as Promise<Float32Array>;
  }

  probeBatch(pixels: Float32Array, count: number, request: ProbeBatchRequest, signal?: AbortSignal): Promise<ProbeBatchResult> {
    const owned = ownedCopy(pixels);
    const plain = {layers: [...request.layers], classIndex: request.classIndex, score: request.score};
    return this.submit({kind: "probe", pixels: owned, count, request: plain}, transferablesOf([owned]), undefined, signal) as Promise<ProbeBatchResult>;
  }

  scoreMaskRecipe(request: MaskRecipeRequest, signal?: AbortSignal): Promise<MaskRecipeResult> {
    // The image goes to every batch (copied, not moved); the recipe's planes belong to this batch alone.
    const planes = request.recipe.kind === "channels" ? request.recipe.parts.map((p) => p.planes) : [];
    return this.submit({kind: "score-masks", request}, transferablesOf(planes), undefined, signal) as Promise<MaskRecipeResult>;
  }

  /** Explains one image in a worker with the method's in-process code (whole images in parallel). */
  explainImage(method: string, image: RgbImage, options: Record<string, unknown> = {}): Promise<Explanation> {
    const {signal: _s, onProgress: _p, executor: _e, ...cloneable} = options;
    const copy: RgbImage = {width: image.width, height: image.height, rgb: image.rgb.slice()};
    return this.submit({kind: "explain", method, image: copy, options: cloneable}, transferablesOf([copy.rgb])) as Promise<Explanation>;
  }

  /** Live tensors in each worker (tf.memory().numTensors), for leak checks. */
  workerTensors(): Promise<number[]> {
    return Promise.all(this.workers.map((w) => this.submit({kind: "memory"}, [], w.index) as Promise<number>));
  }

  /** Worker `rank` joins a data-parallel trainer's all-reduce (replica.ts). */
  startReplica(rank: number, setup: ReplicaSetup): Promise<void> {
    return this.submit({kind: "replica-start", setup}, [], rank) as Promise<unknown> as Promise<void>;
  }

  /** Worker `rank`'s part of a training step (every replica must be sent its part). */
  replicaStep(rank: number, step: ReplicaStep): Promise<ReplicaStepResult> {
    const shard = step.shard && {...step.shard, pixels: ownedCopy(step.shard.pixels), labels: step.shard.labels.slice()};
    const transfer = shard ? transferablesOf([shard.pixels, shard.labels]) : [];
    return this.submit({kind: "replica-step", step: {...step, shard}}, transfer, rank) as Promise<ReplicaStepResult>;
  }

  /** Worker `rank`'s weights and Adam state. */
  replicaState(rank: number): Promise<ReplicaState> {
    return this.submit({kind: "replica-state"}, [], rank) as Promise<ReplicaState>;
  }

  /** Stops every worker; calls still waiting or running reject. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const error = new Error("the worker pool was closed");
    for (const job of this.queue.splice(0)) job.reject(error);
    for (const worker of this.workers) {
      worker.busy?.job.reject(error);
      worker.busy = null;
      worker.alive = false;
    }
    await Promise.all(this.workers.map((w) => w.thread.terminate()));
  }

  /** Queues a request; one still queued when `signal` aborts leaves the queue and rejects with AbortedError. */
  private submit(request: Job["request"], transfer: ArrayBuffer[], worker?: number, signal?: AbortSignal): Promise<WorkerResult> {
    if (this.closed) return Promise.reject(new Error("the worker pool was closed"));
    if (!this.workers.some((w) => w.alive)) return Promise.reject(new Error(`every pool worker has stopped: ${this.lastFailure}`));
    if (worker !== undefined && !this.workers[worker]?.alive) return Promise.reject(new Error(`pool worker ${worker} has stopped: ${this.lastFailure}`));
    if (signal?.aborted) return Promise.reject(new AbortedError());
    return new Promise((resolve, reject) => {
      const job: Job = {request, transfer, resolve, reject, ...(worker === undefined ? {} : {worker})};
      if (signal) {
        const drop = () => {
          const queued = this.queue.indexOf(job);
          if (queued < 0) return; // already running: it finishes, its result is discarded
          this.queue.splice(queued, 1);
          reject(new AbortedError());
        };
        signal.addEventListener("abort", drop, {once: true});
        const settle = () => signal.removeEventListener("abort", drop);
        job.resolve = (result) => (settle(), resolve(result));
        job.reject = (error) => (settle(), reject(error));
      }
      this.queue.push(job);
      this.dispatch();
    });
  }

  private dispatch(): void {
    for (const worker of this.workers) {
      if (this.queue.length === 0) return;
      if (!worker.alive || worker.busy) continue;
      const next = this.queue.findIndex((job) => job.worker === undefined || job.worker === worker.index);
      if (next < 0) continue;
      const job = this.queue.splice(next, 1)[0]!;
      const id = this.nextId++;
      worker.busy = {id, job, since: performance.now()};
      worker.thread.ref();
      try {
        worker.thread.postMessage({...job.request, id} as WorkerRequest, job.transfer);
      } catch (error) {
        // e.g. options that cannot be cloned: this call fails, the worker stays free.
        worker.busy = null;
        worker.thread.unref();
        job.reject(error as Error);
      }
    }
  }

  private watch(worker: PoolWorker): void {
    worker.thread.on("message", (reply: WorkerReply) => {
      if (!("id" in reply) || worker.busy?.id !== reply.id) return;
      const {job, since} = worker.busy;
      worker.busyMs += performance.now() - since;
      worker.busy = null;
      worker.thread.unref();
      if (reply.kind === "done") job.resolve(reply.result);
      else job.reject(new Error(reply.message));
      this.dispatch();
    });
    // A crashed worker fails its own call; the others carry on with the queue.
    const stopped = (message: string) => {
      if (!worker.alive) return;
      worker.alive = false;
      this.lastFailure = `worker ${worker.index}: ${message}`;
      worker.busy?.job.reject(new Error(this.lastFailure));
      worker.busy = null;
      const anyAlive = this.workers.some((w) => w.alive);
      for (const job of [...this.queue]) {
        if (anyAlive && job.worker !== worker.index) continue;
        this.queue.splice(this.queue.indexOf(job), 1);
        job.reject(new Error(anyAlive ? this.lastFailure : `every pool worker has stopped: ${this.lastFailure}`));
      }
      this.dispatch();
    };
    worker.thread.on("error", (error) => stopped(error.message));
    worker.thread.on("exit", (code) => stopped(`exited with code ${code}`));
  }
}

/** Resolves with the worker's backend once it has loaded the model; rejects with its error. */
function waitUntilReady(thread: Worker): Promise<string> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: WorkerReply) => {
      if (reply.kind === "ready") finish(() => resolve(reply.backend));
      else if (reply.kind === "failed") finish(() => reject(new Error(`pool worker could not start: ${reply.message}`)));
    };
    const onError = (error: Error) => finish(() => reject(new Error(`pool worker could not start: ${error.message}`)));
    const onExit = (code: number) => finish(() => reject(new Error(`pool worker exited with code ${code} while starting`)));
    const finish = (settle: () => void) => {
      thread.off("message", onMessage).off("error", onError).off("exit", onExit);
      settle();
    };
    thread.on("message", onMessage).on("error", onError).on("exit", onExit);
  });
}
