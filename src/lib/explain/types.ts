/**
 * The engine's shared types: what a method takes and returns, and the plain-data seams
 * (executors, mask sources, mask recipes) between a method and the passes it makes.
 * A leaf module: it imports types only, so nothing in the engine imports in a loop through it.
 */
import type * as tf from "@tensorflow/tfjs";
import type {SaliencyMap} from "../maps/types.js";
import type {ExplainableModel} from "../model/adapter.js";
import type {ScoreMode} from "../model/score.js";
import type {ParamSchema, ParamValues} from "./param-types.js";

/** An RGB image in pixel space: 3 values per pixel, 0..255, row-major. */
export interface RgbImage {
  width: number;
  height: number;
  rgb: Uint8Array | Uint8ClampedArray | Float32Array;
}

export interface Progress {
  done: number;
  total: number;
  elapsedMs: number;
  /** Estimated time left, from the rate so far. */
  remainingMs: number;
  stage?: string;
}

/** What a run needs besides the method's parameters: cancellation, progress, where passes run. */
export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /**
   * Runs independent batches of network passes (masked images, path points), possibly several
   * at once (a Node worker pool); the map is the same bit for bit. Default: the model in this thread.
   */
  executor?: PassExecutor;
}

/** Parameters every method understands (each method's schema says which others it takes). */
export interface CommonOptions extends RunOptions {
  /** Class to explain; default: the model's top prediction. */
  classIndex?: number;
  /** Score to explain; default: the method's own (logit for gradients, softmax for perturbations). */
  score?: ScoreMode;
  layer?: string;
  seed?: number;
  batchSize?: number;
}

export interface Explanation {
  method: string;
  /** Saliency at the input image's size, min-max normalised to [0, 1]. */
  map: SaliencyMap;
  classIndex: number;
  className: string;
  score: {mode: ScoreMode; value: number};
  layer: string | string[] | null;
  /** The parameters actually used, defaults filled in (no functions, no signals). */
  options: Record<string, unknown>;
  backend: string;
  timings: {totalMs: number; [phase: string]: number};
  /** Network passes made, for speed reports: images through forward and backward. */
  passes: {forward: number; backward: number};
  /** Method-specific intermediates the pages draw (per-step maps, gates, ...). */
  intermediates?: Record<string, unknown>;
}

export interface Method<S extends ParamSchema = ParamSchema> {
  name: string;
  title: string;
  /** One line for `--help` and the pages. */
  summary: string;
  /** Gradient methods explain logits by default; perturbation methods probabilities. */
  defaultScore: ScoreMode;
  /** Every parameter the method takes, declared once: checks, CLI flags and page controls derive from it. */
  params: S;
  explain(model: ExplainableModel, image: RgbImage, options?: ExplainOptions<S>): Promise<Explanation>;
}

/** A method's options: its parameters (typed when the method is known) and the run's options. */
export type ExplainOptions<S extends ParamSchema> = string extends keyof S
  ? RunOptions & Record<string, unknown>
  : RunOptions & Partial<ParamValues<S>> & Record<string, unknown>;

// ---- Passes that may run elsewhere (executor.ts, loaders/pool) ----

export interface ProbeBatchRequest {
  layers: readonly string[];
  classIndex: number;
  score: ScoreMode;
}

export interface ProbeBatchResult {
  /** Activations per requested layer, row-major with `shapes[i]` ([count, h, w, k]). */
  activations: Float32Array[];
  /** ∂score/∂activation per layer, same shapes as the activations. */
  gradients: Float32Array[];
  shapes: number[][];
  /** The class score of each image [count]. */
  scores: Float32Array;
}

/**
 * Every call may take the run's AbortSignal: an executor that queues work (the pool) drops calls
 * not yet started once it aborts (they reject with AbortedError), so a cancelled run stops
 * within the batches already running instead of leaving its whole window of batches behind.
 */
export interface PassExecutor {
  /** How many batches a method should keep in flight to keep the executor busy. */
  readonly concurrency: number;
  /**
   * Class scores of `count` pixel images [count, H, W, 3] (0..255, model input size). The
   * executor may take ownership of `pixels` (transfer it to a worker): don't reuse it after.
   */
  scoreBatch(pixels: Float32Array, count: number, classIndex: number, mode: ScoreMode, signal?: AbortSignal): Promise<Float32Array>;
  /** One forward + backward pass: activations and gradients of the class score at `layers`. */
  probeBatch(pixels: Float32Array, count: number, request: ProbeBatchRequest, signal?: AbortSignal): Promise<ProbeBatchResult>;
  /** Optional: makes a batch of masks from its recipe, scores the masked images and sums the weighted masks. */
  scoreMaskRecipe?(request: MaskRecipeRequest, signal?: AbortSignal): Promise<MaskRecipeResult>;
}

// ---- Masks ----

export interface RiseMaskSettings {
  /** s: cells per side. */
  grid: number;
  /** p: probability that a cell is kept. */
  keep: number;
  height: number;
  width: number;
}

export interface RiseMaskDraw {
  /** s×s cells, row-major, 1 = kept. */
  cells: Uint8Array;
  shiftY: number;
  shiftX: number;
}

/** `count` maps of h×w (row-major, one after another) from one layer. */
export interface ChannelPlanes {
  planes: Float32Array;
  count: number;
  h: number;
  w: number;
}

export type MaskRecipe =
  /** RISE: the drawn cells and shifts of each mask of the batch. */
  | {kind: "rise"; settings: RiseMaskSettings; draws: RiseMaskDraw[]}
  /** Feature-map masks (Score-CAM, SISE): the batch's low-resolution maps, layer by layer. */
  | {kind: "channels"; height: number; width: number; parts: ChannelPlanes[]};

/** How each mask's score becomes its weight in Σ_k weight_k·m_k (RISE: the score; SISE: score / coverage). */
export type MaskWeighting = "score" | "coverage";

export interface MaskRecipeRequest {
  /** The image [1, H, W, 3] in pixel space (0..255, model input size). */
  pixels: Float32Array;
  recipe: MaskRecipe;
  classIndex: number;
  score: ScoreMode;
  /** Without weighting only the scores come back. */
  weighting: MaskWeighting | null;
  /** Parts [from, to) of the batch that get a weighted sum each (one per stream segment they touch). */
  parts: [number, number][];
}

export interface MaskRecipeResult {
  /** s_k of each mask of the batch. */
  scores: Float32Array;
  /** Σ weight_k·m_k over each requested part, [H·W] row-major. */
  sums: Float32Array[];
}

/** Masks made on demand, batch by batch, so that thousands of them never sit in memory at once. */
export interface MaskSource {
  count: number;
  /** Masks start..start+size−1 as [size, H, W, 1] (0..1) at the model's input size; called in order. */
  make(start: number, size: number): tf.Tensor4D;
  /**
   * The same masks as data an executor can make them from (mask-recipes.ts); called in order,
   * instead of `make` (a run uses one or the other). Without it, masks are made in this thread.
   */
  recipe?(start: number, size: number): MaskRecipe;
}
