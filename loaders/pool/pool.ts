/**
 * The executor pool: model workers (workers.ts) as the Node `PassExecutor` that spreads a
 * method's independent batches over every core, and a way to explain whole images in parallel.
 */
import {availableParallelism} from "node:os";
import type {ScoreMode} from "../../src/lib/model/score.js";
import type {PassExecutor, ProbeBatchRequest, ProbeBatchResult} from "../../src/lib/explain/executor.js";
import type {MaskRecipeRequest, MaskRecipeResult} from "../../src/lib/explain/mask-recipes.js";
import type {RgbImage} from "../../src/lib/explain/types.js";
import type {EngineChoice} from "../onnx/engine.js";
import {checkedEngineChoice, decideForwardEngine, type EngineExplanation} from "../onnx/run-engine.js";
import type {ExecutorRequest, ExecutorResult} from "./protocol.js";
import {ownedCopy, transferablesOf} from "./transfer.js";
import {ModelWorkers, type ModelWorkersOptions, type PoolModel} from "./workers.js";

export type {PoolModel};

export interface WorkerPoolOptions extends Omit<ModelWorkersOptions, "engine"> {
  /**
   * Forward engine of explain requests: each worker opens its own ONNX Runtime session for the
   * methods that score masked inputs (auto | onnx | tfjs; default tfjs; `auto` is decided here,
   * with one notice, when the pool gets a model object). Score and probe requests always run on
   * the workers' tfjs backend.
   */
  engine?: EngineChoice;
  /** ONNX Runtime intra-op threads per worker (default: the cores split between the workers, at least 1). */
  engineThreads?: number;
  /**
   * Batches per worker a method keeps in flight (`concurrency` = size × this); default 2, so a
   * worker's next batch is ready the moment it finishes one.
   */
  inFlightPerWorker?: number;
}

const WORKER_MODULE = new URL("./worker.ts", import.meta.url);

export class WorkerPool implements PassExecutor {
  readonly concurrency: number;

  private constructor(
    private readonly workers: ModelWorkers<ExecutorRequest, ExecutorResult>,
    inFlightPerWorker: number
  ) {
    this.concurrency = workers.size * inFlightPerWorker;
  }

  /** Starts the workers and waits until each has its backend and model (rejects with a worker's error). */
  static async create(model: PoolModel, options: WorkerPoolOptions = {}): Promise<WorkerPool> {
    const {inFlightPerWorker = 2, engine, engineThreads, ...workerOptions} = options;
    if (!Number.isInteger(inFlightPerWorker) || inFlightPerWorker < 1)
      throw new Error(`inFlightPerWorker must be a positive integer, got ${inFlightPerWorker}`);
    const size = workerOptions.size ?? availableParallelism();
    const threads = engineThreads ?? Math.max(1, Math.floor(availableParallelism() / size));
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`engineThreads must be a positive integer, got ${threads}`);
    const choice = engine === "auto" && typeof model !== "string" ? decideForwardEngine(model, "auto") : checkedEngineChoice(engine ?? "tfjs");
    const withEngine = choice !== "tfjs" ? {...workerOptions, engine: {choice, threads}} : workerOptions;
    return new WorkerPool(await ModelWorkers.start<ExecutorRequest, ExecutorResult>(WORKER_MODULE, model, withEngine), inFlightPerWorker);
  }

  get size(): number {
    return this.workers.size;
  }

  /** Backend the workers run on. */
  get backend(): string {
    return this.workers.backend;
  }

  /** See ModelWorkers.busyMs. */
  busyMs(): number[] {
    return this.workers.busyMs();
  }

  /** Live tensors in each worker (tf.memory().numTensors), for leak checks. */
  workerTensors(): Promise<number[]> {
    return this.workers.workerTensors();
  }

  scoreBatch(pixels: Float32Array, count: number, classIndex: number, mode: ScoreMode, signal?: AbortSignal): Promise<Float32Array> {
    const owned = ownedCopy(pixels);
    return this.workers.submit({kind: "score", pixels: owned, count, classIndex, mode}, transferablesOf([owned]), undefined, signal) as Promise<Float32Array>;
  }

  probeBatch(pixels: Float32Array, count: number, request: ProbeBatchRequest, signal?: AbortSignal): Promise<ProbeBatchResult> {
    const owned = ownedCopy(pixels);
    const plain = {layers: [...request.layers], classIndex: request.classIndex, score: request.score};
    return this.workers.submit({kind: "probe", pixels: owned, count, request: plain}, transferablesOf([owned]), undefined, signal) as Promise<ProbeBatchResult>;
  }

  scoreMaskRecipe(request: MaskRecipeRequest, signal?: AbortSignal): Promise<MaskRecipeResult> {
    // The image goes to every batch (copied, not moved); the recipe's planes belong to this batch alone.
    const planes = request.recipe.kind === "channels" ? request.recipe.parts.map((p) => p.planes) : [];
    return this.workers.submit({kind: "score-masks", request}, transferablesOf(planes), undefined, signal) as Promise<MaskRecipeResult>;
  }

  /**
   * Explains one image in a worker with the method's in-process code (whole images in parallel),
   * its forward-only passes on the pool's engine; `engine` says where they ran.
   */
  explainImage(method: string, image: RgbImage, options: Record<string, unknown> = {}): Promise<EngineExplanation> {
    const {signal: _s, onProgress: _p, executor: _e, ...cloneable} = options;
    const copy: RgbImage = {width: image.width, height: image.height, rgb: image.rgb.slice()};
    return this.workers.submit({kind: "explain", method, image: copy, options: cloneable}, transferablesOf([copy.rgb])) as Promise<EngineExplanation>;
  }

  /** Stops every worker; calls still waiting or running reject. Safe to call twice. */
  close(): Promise<void> {
    return this.workers.close();
  }
}
