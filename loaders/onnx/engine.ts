/**
 * Forward engines: logits of a batch of pixel images, on ONNX Runtime or on tfjs, behind one
 * interface for the forward-only phases (masked-input scoring, sweeps). `auto` takes ONNX Runtime
 * when onnxruntime-node loads and the model converts, else tfjs with a one-line notice; `onnx`
 * insists (errors are thrown); `tfjs` never tries ONNX.
 */
import {availableParallelism} from "node:os";
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {OnnxWorkerPool} from "./pool.js";
import {openOnnxSession} from "./session.js";

export const ENGINES = ["auto", "onnx", "tfjs"] as const;
export type EngineChoice = (typeof ENGINES)[number];

export interface ForwardEngine {
  /** Which engine actually runs the passes. */
  readonly engine: "onnx" | "tfjs";
  /** One line for reports: engine, threads, model. */
  readonly description: string;
  readonly numClasses: number;
  /**
   * Logits [n, classes] (row-major) of `n` pixel images: NHWC float32, values 0..255, the model's
   * input size; exactly ExplainableModel.logits on the same pixels (to float rounding).
   */
  forward(batch: Float32Array, n: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** `value`, else SALIENCY_ENGINE, else "auto"; unknown names are an error. */
export function resolveEngineChoice(value?: string): EngineChoice {
  const want = value ?? process.env.SALIENCY_ENGINE ?? "auto";
  if (!(ENGINES as readonly string[]).includes(want)) throw new Error(`unknown engine "${want}": choose one of ${ENGINES.join(", ")}`);
  return want as EngineChoice;
}

export interface EngineOptions {
  /** auto | onnx | tfjs (default: SALIENCY_ENGINE, else auto). */
  engine?: string;
  /** ONNX Runtime threads in total (default: all cores). */
  threads?: number;
  /**
   * "threads": one session with `threads` intra-op threads (default); "workers": `threads` worker
   * threads with one single-thread session each, a batch split between them.
   */
  parallelism?: "threads" | "workers";
  /** Receives the one-line notice when `auto` falls back to tfjs (default: stderr). */
  onNotice?: (line: string) => void;
}

function checkBatch(model: ExplainableModel, batch: Float32Array, n: number): void {
  const per = model.inputHeight * model.inputWidth * 3;
  if (!Number.isInteger(n) || n < 1) throw new Error(`batch size must be a positive integer, got ${n}`);
  if (batch.length !== n * per)
    throw new Error(`a batch of ${n} images of ${model.inputHeight}x${model.inputWidth}x3 needs ${n * per} values, got ${batch.length}`);
}

/** The tfjs engine: ExplainableModel.logits on the current tfjs backend. */
export function tfjsForwardEngine(model: ExplainableModel): ForwardEngine {
  return {
    engine: "tfjs",
    description: `tfjs ${tf.getBackend()} (${model.meta.name})`,
    numClasses: model.numClasses,
    async forward(batch, n) {
      checkBatch(model, batch, n);
      const logits = tf.tidy(() => model.logits(tf.tensor4d(batch, [n, model.inputHeight, model.inputWidth, 3])));
      try {
        return (await logits.data()) as Float32Array;
      } finally {
        logits.dispose();
      }
    },
    async dispose() {}
  };
}

/** The ONNX Runtime engine; throws OnnxUnavailableError or UnsupportedLayerError. */
export async function onnxForwardEngine(model: ExplainableModel, options: Pick<EngineOptions, "threads" | "parallelism"> = {}): Promise<ForwardEngine> {
  const threads = options.threads ?? availableParallelism();
  if (options.parallelism === "workers") {
    const pool = await OnnxWorkerPool.create(model, {workers: threads});
    return {
      engine: "onnx",
      description: `ONNX Runtime, ${threads} workers x 1 thread (${model.meta.name})`,
      numClasses: model.numClasses,
      forward: (batch, n) => (checkBatch(model, batch, n), pool.forward(batch, n)),
      dispose: () => pool.close()
    };
  }
  const handle = await openOnnxSession(model, {intraOpThreads: threads});
  return {
    engine: "onnx",
    description: `ONNX Runtime, ${threads} intra-op thread${threads === 1 ? "" : "s"} (${model.meta.name})`,
    numClasses: model.numClasses,
    forward: (batch, n) => (checkBatch(model, batch, n), handle.session.forward(batch, n)),
    dispose: () => handle.dispose()
  };
}

/** The engine `options.engine` asks for; `auto` falls back to tfjs with one notice line. */
export async function createForwardEngine(model: ExplainableModel, options: EngineOptions = {}): Promise<ForwardEngine> {
  const choice = resolveEngineChoice(options.engine);
  if (choice === "tfjs") return tfjsForwardEngine(model);
  if (choice === "onnx") return onnxForwardEngine(model, options);
  try {
    return await onnxForwardEngine(model, options);
  } catch (error) {
    const notice = options.onNotice ?? ((line: string) => process.stderr.write(`${line}\n`));
    notice(`engine auto: forward passes on tfjs (${(error as Error).message.split("\n")[0]})`);
    return tfjsForwardEngine(model);
  }
}
