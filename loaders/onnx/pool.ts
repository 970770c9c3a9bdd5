/**
 * A pool of worker threads, each with a single-thread ONNX Runtime session on the same converted
 * model: the alternative to one session with N intra-op threads (bench/onnx.ts measures both).
 * A batch is split into one contiguous chunk per worker; the logits come back in batch order.
 */
import {fileURLToPath} from "node:url";
import {Worker} from "node:worker_threads";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {explainableModelToOnnx} from "./convert.js";
import type {OnnxModel} from "./convert-layers.js";
import {loadOnnxRuntime} from "./session.js";

interface Pending {
  resolve: (data: Float32Array) => void;
  reject: (error: Error) => void;
}

class OnnxWorker {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private ready: Promise<void>;

  constructor(
    private readonly worker: Worker,
    model: OnnxModel,
    shared: SharedArrayBuffer
  ) {
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (m: {type: string; id?: number; data?: Float32Array; message?: string}) => {
        if (m.type === "ready") return resolve();
        if (m.type === "error" && m.id === undefined) return reject(new Error(`ONNX worker: ${m.message}`));
        const p = this.pending.get(m.id!);
        if (!p) return;
        this.pending.delete(m.id!);
        if (m.type === "result") p.resolve(m.data!);
        else p.reject(new Error(`ONNX worker: ${m.message}`));
      };
      worker.on("message", onMessage);
      worker.on("error", (error) => {
        reject(error);
        for (const p of this.pending.values()) p.reject(error);
        this.pending.clear();
      });
    });
    worker.postMessage({type: "init", bytes: shared, inputName: model.inputName, outputName: model.outputs[0]!.name, imageShape: model.inputShape.slice(1)});
  }

  whenReady(): Promise<void> {
    return this.ready;
  }

  run(data: Float32Array, n: number): Promise<Float32Array> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {resolve, reject});
      this.worker.postMessage({type: "run", id, data, n}, [data.buffer as ArrayBuffer]);
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

export class OnnxWorkerPool {
  private constructor(
    private readonly workers: OnnxWorker[],
    private readonly perImage: number,
    private readonly classes: number
  ) {}

  static async create(model: ExplainableModel, options: {workers: number}): Promise<OnnxWorkerPool> {
    loadOnnxRuntime();
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new Error(`workers must be a positive integer, got ${options.workers}`);
    const onnx = explainableModelToOnnx(model);
    // One copy of the model bytes, shared by every worker until its session has read it.
    const shared = new SharedArrayBuffer(onnx.bytes.byteLength);
    new Uint8Array(shared).set(onnx.bytes);
    const script = fileURLToPath(new URL("./worker.mjs", import.meta.url));
    const workers = Array.from({length: options.workers}, () => new OnnxWorker(new Worker(script), onnx, shared));
    try {
      await Promise.all(workers.map((w) => w.whenReady()));
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
    return new OnnxWorkerPool(workers, model.inputHeight * model.inputWidth * 3, model.numClasses);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Logits [n, classes] of `n` pixel images, the batch split between the workers. */
  async forward(batch: Float32Array, n: number): Promise<Float32Array> {
    const chunk = Math.ceil(n / this.workers.length);
    const parts: Array<Promise<Float32Array>> = [];
    for (let start = 0, w = 0; start < n; start += chunk, w++) {
      const count = Math.min(chunk, n - start);
      // A copy per chunk: its buffer is transferred to the worker.
      parts.push(this.workers[w]!.run(batch.slice(start * this.perImage, (start + count) * this.perImage), count));
    }
    const out = new Float32Array(n * this.classes);
    let offset = 0;
    for (const part of await Promise.all(parts)) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
