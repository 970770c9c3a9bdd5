/**
 * ONNX Runtime sessions for forward-only passes. `onnxruntime-node` is an optional dependency,
 * loaded on first use: without it `onnxAvailable()` is false and openers throw
 * OnnxUnavailableError ("onnxruntime-node is not installed"), and callers stay on tfjs.
 *
 * A session is created once per (model object, conversion and thread options) and shared:
 * openers get a reference-counted handle, and the session is released when the last handle is
 * disposed. Batches are NHWC float32 of any size (the converted graph has a dynamic batch).
 */
import {createRequire} from "node:module";
import {availableParallelism} from "node:os";
import type * as Ort from "onnxruntime-node";
import * as tf from "@tensorflow/tfjs";
import {ExplainableModel} from "../../src/lib/model/adapter.js";
import {modelToOnnx} from "./convert.js";
import type {ConvertOptions, OnnxModel} from "./convert-layers.js";

type OrtModule = typeof Ort;

export class OnnxUnavailableError extends Error {
  constructor(detail: string) {
    super(`onnxruntime-node is not installed (optional dependency; forward passes stay on tfjs): ${detail}`);
    this.name = "OnnxUnavailableError";
  }
}

let ort: OrtModule | null = null;
let loadError: string | null = null;

/** The onnxruntime-node module, or OnnxUnavailableError. Loaded once; a failed load is remembered. */
export function loadOnnxRuntime(): OrtModule {
  if (ort) return ort;
  if (loadError !== null) throw new OnnxUnavailableError(loadError);
  try {
    ort = createRequire(import.meta.url)("onnxruntime-node") as OrtModule;
    return ort;
  } catch (error) {
    loadError = (error as Error).message.split("\n")[0]!;
    throw new OnnxUnavailableError(loadError);
  }
}

/** True when onnxruntime-node loads in this process. */
export function onnxAvailable(): boolean {
  try {
    loadOnnxRuntime();
    return true;
  } catch {
    return false;
  }
}

export interface SessionOptions {
  /** ONNX Runtime intra-op threads (default: all cores of this process). */
  intraOpThreads?: number;
  /**
   * Let the intra-op threads spin-wait after each run (ONNX Runtime's default). Off by default:
   * spinning threads take CPU from tfjs's passes and other work between forward batches (measured:
   * about half a core kept busy while the process waits). bench/onnx.ts measures both.
   */
  spinning?: boolean;
}

export interface OutputTensor {
  data: Float32Array;
  /** Concrete shape, batch first, NHWC for 4-D outputs. */
  shape: number[];
}

/** One ONNX Runtime session on a converted model. */
export class OnnxModelSession {
  private constructor(
    private readonly session: Ort.InferenceSession,
    private readonly ortModule: OrtModule,
    /** The converted model's description (its bytes are not kept: ONNX Runtime holds its own copy). */
    readonly model: Omit<OnnxModel, "bytes">,
    readonly threads: number
  ) {}

  static async create(model: OnnxModel, options: SessionOptions = {}): Promise<OnnxModelSession> {
    const o = loadOnnxRuntime();
    const threads = options.intraOpThreads ?? availableParallelism();
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`intra-op threads must be a positive integer, got ${threads}`);
    const session = await o.InferenceSession.create(model.bytes, {
      executionProviders: ["cpu"],
      graphOptimizationLevel: "all",
      executionMode: "sequential",
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      // Session config key "session.intra_op.allow_spinning" (onnxruntime_session_options_config_keys.h).
      extra: {session: {intra_op: {allow_spinning: options.spinning ? "1" : "0"}}}
    });
    const {bytes: _bytes, ...meta} = model;
    return new OnnxModelSession(session, o, meta, threads);
  }

  /** Shape of one image [height, width, channels]. */
  get imageShape(): number[] {
    return this.model.inputShape.slice(1) as number[];
  }

  /**
   * Runs `n` images (NHWC float32, row-major) and returns the requested outputs (default: all)
   * by ONNX output name (OnnxModel.outputs).
   */
  async run(batch: Float32Array, n: number, names: readonly string[] = this.model.outputs.map((o) => o.name)): Promise<Map<string, OutputTensor>> {
    const perImage = this.imageShape.reduce((a, b) => a * b, 1);
    if (!Number.isInteger(n) || n < 1) throw new Error(`batch size must be a positive integer, got ${n}`);
    if (batch.length !== n * perImage) {
      throw new Error(`a batch of ${n} images of ${JSON.stringify(this.imageShape)} needs ${n * perImage} values, got ${batch.length}`);
    }
    for (const name of names) {
      if (!this.model.outputs.some((o) => o.name === name))
        throw new Error(`the ONNX model has no output "${name}" (has ${this.model.outputs.map((o) => o.name).join(", ")})`);
    }
    const input = new this.ortModule.Tensor("float32", batch, [n, ...this.imageShape]);
    const result = await this.session.run({[this.model.inputName]: input}, [...names]);
    input.dispose();
    const out = new Map<string, OutputTensor>();
    for (const name of names) {
      const t = result[name]!;
      // The tensor's buffer belongs to the result; copy so that callers own their data.
      out.set(name, {data: Float32Array.from(t.data as Float32Array), shape: t.dims.map(Number)});
      t.dispose();
    }
    return out;
  }

  /** The first output (the model's logits or output) of `n` images. */
  async forward(batch: Float32Array, n: number): Promise<Float32Array> {
    const first = this.model.outputs[0]!.name;
    return (await this.run(batch, n, [first])).get(first)!.data;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

type Convertible = tf.LayersModel | tf.GraphModel | ExplainableModel;

export interface OpenOptions extends SessionOptions, Omit<ConvertOptions, "preprocessing"> {}

interface CacheEntry {
  session: Promise<OnnxModelSession>;
  refs: number;
}

/** Sessions by model object, then by options: conversion and session creation happen once. */
const cache = new WeakMap<object, Map<string, CacheEntry>>();

/**
 * Forgets the cached sessions of `model` (handles already open keep theirs): the ONNX model holds
 * the weights as they were at conversion, so a model whose weights change must be reopened.
 */
export function forgetOnnxSessions(model: Convertible): void {
  cache.delete(model);
}

/** A shared session handle; `dispose()` releases the session when the last handle goes. */
export interface SessionHandle {
  session: OnnxModelSession;
  dispose(): Promise<void>;
}

/**
 * Opens (or reuses) the ONNX Runtime session of a model. An ExplainableModel is converted with its
 * preprocessing baked in (input: pixels 0..255, like its own methods) and, unless `logits: false`,
 * its logits as output; a bare LayersModel / GraphModel takes model input and gives its output
 * (or logits with `logits: true`). Conversion errors (UnsupportedLayerError) and a missing
 * onnxruntime-node (OnnxUnavailableError) are thrown for the caller to fall back on tfjs.
 */
export async function openOnnxSession(model: Convertible, options: OpenOptions = {}): Promise<SessionHandle> {
  loadOnnxRuntime();
  const threads = options.intraOpThreads ?? availableParallelism();
  const explainable = model instanceof ExplainableModel;
  const logits = options.logits ?? explainable;
  const convert: ConvertOptions = {
    logits,
    ...(options.outputs ? {outputs: options.outputs} : {}),
    ...(options.skipModelOutput ? {skipModelOutput: true} : {}),
    ...(explainable ? {preprocessing: model.meta.preprocessing} : {})
  };
  const spinning = options.spinning === true;
  const key = JSON.stringify({threads, spinning, ...convert});
  let byOptions = cache.get(model);
  if (!byOptions) cache.set(model, (byOptions = new Map()));
  let entry = byOptions.get(key);
  if (!entry) {
    const created: CacheEntry = {
      refs: 0,
      session: Promise.resolve().then(() =>
        OnnxModelSession.create(modelToOnnx(explainable ? model.model : model, convert), {intraOpThreads: threads, spinning})
      )
    };
    // A failed conversion is not cached: the next open reports the error again.
    created.session.catch(() => byOptions!.get(key) === created && byOptions!.delete(key));
    byOptions.set(key, created);
    entry = created;
  }
  entry.refs++;
  const held = entry;
  let session: OnnxModelSession;
  try {
    session = await held.session;
  } catch (error) {
    held.refs--;
    throw error;
  }
  let disposed = false;
  return {
    session,
    async dispose() {
      if (disposed) return;
      disposed = true;
      held.refs--;
      if (held.refs === 0 && byOptions!.get(key) === held) {
        byOptions!.delete(key);
        await session.release();
      }
    }
  };
}
