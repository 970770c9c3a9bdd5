/**
 * Model workers: threads each with its own tfjs backend and copy of the model, running a worker
 * entry module (one built on worker-host.ts), and a queue that hands each request to the next
 * free worker or to the one it names. The executor pool (pool.ts) and data-parallel training
 * (loaders/train/data-parallel.ts) are both built on it. tfjs's wasm backend runs on one thread
 * in Node, so parallelism across cores has to come from separate threads with separate backends.
 */
import {availableParallelism} from "node:os";
import type {Worker} from "node:worker_threads";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {AbortedError} from "../../src/lib/explain/progress.js";
import {modelPayload} from "./model-transfer.js";
import type {MemoryRequest, ModelPayload, WorkerEngine, WorkerReply, WorkerSetup} from "./protocol.js";
import {spawnTypeScriptWorker} from "./spawn.js";

/** The model to copy into every worker, or a spec each worker opens itself (see loaders/model-files.ts). */
export type PoolModel = ExplainableModel | string;

export interface ModelWorkersOptions {
  /** Worker threads; default os.availableParallelism(). */
  size?: number;
  /** Backend each worker selects; default "wasm". */
  backend?: string;
  /** Forward engine of explain requests in each worker; default tfjs only. */
  engine?: WorkerEngine;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A request without its id, plus the buffers it may give away. */
type Job<Request> = {
  request: DistributiveOmit<Request | MemoryRequest, "id">;
  transfer: ArrayBuffer[];
  /** The worker that must run it (broadcasts); any free worker when absent. */
  worker?: number;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
};

interface ModelWorker<Request> {
  index: number;
  thread: Worker;
  busy: {id: number; job: Job<Request>; since: number} | null;
  alive: boolean;
  /** Wall time spent with a request outstanding (for occupancy reports). */
  busyMs: number;
}

export class ModelWorkers<Request extends {id: number; kind: string}, Result> {
  private readonly queue: Job<Request>[] = [];
  private nextId = 1;
  private closed = false;
  private lastFailure = "";

  private constructor(
    private readonly workers: ModelWorker<Request>[],
    /** Backend the workers run on. */
    readonly backend: string
  ) {
    for (const worker of workers) {
      this.watch(worker);
      // An idle worker does not keep the process alive (a forgotten close() cannot hang a tool).
      worker.thread.unref();
    }
  }

  /** Starts `module` in each worker and waits until each has its backend and model (rejects with a worker's error). */
  static async start<Request extends {id: number; kind: string}, Result>(
    module: URL,
    model: PoolModel,
    options: ModelWorkersOptions = {}
  ): Promise<ModelWorkers<Request, Result>> {
    const size = options.size ?? availableParallelism();
    if (!Number.isInteger(size) || size < 1) throw new Error(`pool size must be a positive integer, got ${size}`);
    const payload: ModelPayload = typeof model === "string" ? {kind: "spec", spec: model} : await modelPayload(model);
    const setup: WorkerSetup = {model: payload, backend: options.backend ?? "wasm", ...(options.engine ? {engine: options.engine} : {})};
    const threads = Array.from({length: size}, () => spawnTypeScriptWorker(module, setup));
    const started = await Promise.allSettled(threads.map(waitUntilReady));
    const failure = started.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (failure) {
      await Promise.all(threads.map((t) => t.terminate()));
      throw failure.reason;
    }
    const backend = (started[0] as PromiseFulfilledResult<string>).value;
    return new ModelWorkers<Request, Result>(
      threads.map((thread, index) => ({index, thread, busy: null, alive: true, busyMs: 0})),
      backend
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

  /** Live tensors in each worker (tf.memory().numTensors), for leak checks. */
  workerTensors(): Promise<number[]> {
    return Promise.all(this.workers.map((w) => this.submit({kind: "memory"}, [], w.index) as Promise<unknown> as Promise<number>));
  }

  /**
   * Queues a request for worker `worker`, or for the next free one when absent; one still queued
   * when `signal` aborts leaves the queue and rejects with AbortedError.
   */
  submit(request: DistributiveOmit<Request | MemoryRequest, "id">, transfer: ArrayBuffer[], worker?: number, signal?: AbortSignal): Promise<Result> {
    if (this.closed) return Promise.reject(new Error("the worker pool was closed"));
    if (!this.workers.some((w) => w.alive)) return Promise.reject(new Error(`every pool worker has stopped: ${this.lastFailure}`));
    if (worker !== undefined && !this.workers[worker]?.alive) return Promise.reject(new Error(`pool worker ${worker} has stopped: ${this.lastFailure}`));
    if (signal?.aborted) return Promise.reject(new AbortedError());
    return new Promise((resolve, reject) => {
      const job: Job<Request> = {request, transfer, resolve: resolve as (result: unknown) => void, reject, ...(worker === undefined ? {} : {worker})};
      if (signal) {
        const drop = () => {
          const queued = this.queue.indexOf(job);
          if (queued < 0) return; // already running: it finishes, its result is discarded
          this.queue.splice(queued, 1);
          reject(new AbortedError());
        };
        signal.addEventListener("abort", drop, {once: true});
        const settle = () => signal.removeEventListener("abort", drop);
        job.resolve = (result) => (settle(), resolve(result as Result));
        job.reject = (error) => (settle(), reject(error));
      }
      this.queue.push(job);
      this.dispatch();
    });
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
        worker.thread.postMessage({...job.request, id}, job.transfer);
      } catch (error) {
        // e.g. options that cannot be cloned: this call fails, the worker stays free.
        worker.busy = null;
        worker.thread.unref();
        job.reject(error as Error);
      }
    }
  }

  private watch(worker: ModelWorker<Request>): void {
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
