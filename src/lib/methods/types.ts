/** The one result type every method returns, and the options every method understands. */
import type {SaliencyMap} from "../maps/types.js";
import type {ScoreMode} from "../model/score.js";
import type {ExplainableModel} from "../model/adapter.js";
import type {PassExecutor} from "./executor.js";

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

export interface CommonOptions {
  /** Class to explain; default: the model's top prediction. */
  classIndex?: number;
  /** Score to explain; default: "logit" for gradient methods, "softmax" for perturbation methods. */
  score?: ScoreMode;
  /** Layer for single-layer methods; default: the deepest block end. */
  layer?: string;
  seed?: number;
  /** Images per forward/backward batch; default chosen by the method. */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /**
   * Runs independent batches of network passes (masked images, path points), possibly several
   * at once (a Node worker pool); the map is the same bit for bit. Default: the model in this thread.
   */
  executor?: PassExecutor;
}

export interface Explanation {
  method: string;
  /** Saliency at the input image's size, min-max normalised to [0, 1]. */
  map: SaliencyMap;
  classIndex: number;
  className: string;
  score: {mode: ScoreMode; value: number};
  layer: string | string[] | null;
  /** The options actually used, defaults filled in (no functions, no signals). */
  options: Record<string, unknown>;
  backend: string;
  timings: {totalMs: number; [phase: string]: number};
  /** Network passes made, for speed reports: images through forward and backward. */
  passes: {forward: number; backward: number};
  /** Method-specific intermediates the pages draw (per-step maps, gates, ...). */
  intermediates?: Record<string, unknown>;
}

export interface Method<O extends CommonOptions = CommonOptions> {
  name: string;
  title: string;
  /** Gradient methods explain logits by default; perturbation methods probabilities. */
  defaultScore: ScoreMode;
  explain(model: ExplainableModel, image: RgbImage, options?: O): Promise<Explanation>;
}
