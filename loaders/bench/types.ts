/**
 * The benchmark's result records: what `results/bench.json` holds (schema documented in
 * results/README.md). Plain data only, so the site reads it without the engine.
 */
import type {ScoreMode} from "../../src/lib/model/score.js";
import type {ClaimResult} from "../../src/lib/format/bench-claims.js";

export const BENCH_SCHEMA = "saliency-bench/1";

/** Metrics of one explanation of one image (a per-image row). Localisation is null without ground truth. */
export interface ImageRow {
  model: string;
  method: string;
  /** File name in the split (e.g. 0007.png). */
  file: string;
  /** Class explained: the image's ground-truth label. */
  classIndex: number;
  /** The model's top class on the image. */
  predicted: number;
  /** Score the method explained (its own default). */
  explainedScore: ScoreMode;
  ebpg: number | null;
  bbox: number | null;
  iou: number | null;
  pointingHit: boolean | null;
  /** Y: softmax probability of the class on the image. */
  probability: number;
  /** O: softmax probability with only the map's top 15% pixels kept (rest black). */
  keptProbability: number;
  deletionAuc: number;
  insertionAuc: number;
  /** Wall time of the explanation (after warm-up), ms. */
  ms: number;
  forwardPasses: number;
  backwardPasses: number;
}

/** Table 1 figures of one method on one model; percentages are 0..100, AUCs 0..1. */
export interface MethodMetrics {
  ebpg: number | null;
  bbox: number | null;
  miou: number | null;
  pointing: number | null;
  drop: number;
  increase: number;
  deletionAuc: number;
  insertionAuc: number;
  secondsPerImage: number;
}

export interface MethodSpeed {
  /** Mean images through forward / backward per explanation. */
  forwardPasses: number;
  backwardPasses: number;
  /** Mean over images of each image's explanation time (median of its repetitions). */
  msPerImage: number;
  /** Mean over images of that image's passes × the bare per-image pass time at the method's
   *  batch sizes, measured right after the image (see pass-cost.ts, paired-timing.ts). */
  idealMsPerImage: number;
  /** Median over images of time / ideal of the same image; target ≤ 1.15 (reported, not asserted). */
  ratio: number;
}

export interface MethodSummary {
  method: string;
  title: string;
  /** Score the method explained (logit for gradient methods, softmax for perturbation methods). */
  explainedScore: ScoreMode;
  /** Score each figure was computed with. */
  metricScores: {localisation: "map only"; dropIncrease: "softmax" | "sigmoid"; deletionInsertion: "softmax" | "sigmoid"};
  /** (image, class) pairs in Drop/Increase, curves and time; pairs with ground truth in localisation. */
  images: number;
  localisedImages: number;
  metrics: MethodMetrics;
  speed: MethodSpeed;
  /** The options the method ran with, defaults filled in (from the first explanation). */
  options: Record<string, unknown>;
}

export interface BarePassTime {
  batch: number;
  /** Median over repetitions, per image. */
  msPerImage: number;
}

export interface BareSpeed {
  /** Forward of a batch of B pixel images (preprocessing included). */
  forward: BarePassTime[];
  /** Forward + backward (gradient of the summed class logits w.r.t. the pixels). */
  forwardBackward: BarePassTime[];
}

export interface DiscriminationSummary {
  method: string;
  /** (image, class) pairs: each image explained for both of its classes. */
  cases: number;
  /** Cases where the map for class A has more energy on A's objects than on B's. */
  wins: number;
  fraction: number;
}

export interface DiscriminationResult {
  split: string;
  images: number;
  /** Ground truth used for "A's objects": visible-pixel instance masks. */
  truth: "mask";
  methods: DiscriminationSummary[];
}

export interface SanityMethodResult {
  method: string;
  /** Per image: Spearman ρ after each randomisation step (NaN written as null). */
  correlations: (number | null)[][];
  /** Mean over images of |ρ| after the last step (a constant map counts as 0). */
  meanAbsFinal: number;
  threshold: number;
  pass: boolean;
  /** True for the bench's control explanation that ignores the model. */
  control: boolean;
  /** Set when the method failed on a randomised model (counted as a fail). */
  error?: string;
}

export interface SanityResult {
  images: string[];
  /** Steps top-down: each names the deepest layer randomised so far. */
  steps: string[];
  seed: number;
  methods: SanityMethodResult[];
}

export type {ClaimResult};

export interface ModelResult {
  name: string;
  directory: string;
  /** Data set the model was trained on (card.json). */
  dataset: string;
  split: string;
  classes: string[];
  input: [number, number];
  images: number;
  /** (image, present class) pairs explained: one per image for single-label sets, one per class shown for multi-label ones. */
  pairs: number;
  /** Pointing-game tolerance in pixels at this image size (15 px at 224², scaled). */
  pointingTolerance: number;
  truth: "box" | "mask";
  bareSpeed: BareSpeed;
  methods: MethodSummary[];
  discrimination: DiscriminationResult | null;
  sanity: SanityResult | null;
  claims: ClaimResult[];
  rows: ImageRow[];
  /** Methods (or stages) that threw; a failed method is left out of the tables. */
  failures: {method: string; stage: string; message: string}[];
  wallSeconds: number;
}

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
}

export interface BenchSettings {
  quick: boolean;
  /** Test images per model, counted at 64×64 when `imagesScaleWithSize` (see imagesForInput). */
  imagesPerSplit: number;
  /** True unless --images was given: a model with larger inputs gets proportionally fewer images. */
  imagesScaleWithSize: boolean;
  pairsImages: number;
  sanityImages: number;
  sanitySteps: number;
  curveSteps: number;
  truth: "box" | "mask";
  /** Drop/Increase keep this fraction of the map's top pixels. */
  keepFraction: number;
  /** mIoU binarises maps to this top fraction. */
  iouFraction: number;
  /** 15 px at 224², scaled by min(H, W)/224. */
  pointingToleranceAt224: number;
  deletionCanvas: "black";
  insertionCanvas: {kind: "blur"; sigma: number; radius: number; note: string};
  /**
   * Worker threads for the untimed work (class discrimination). Timed explanations run alone in
   * the main thread so that their times and the bare pass times see the same, uncontended core.
   */
  workers: number;
  methods: string[];
  methodOptions: Record<string, Record<string, unknown>>;
  /**
   * Methods too slow for every pair of the timed table: each runs on its first N (image, class)
   * pairs there and skips class discrimination and the sanity check (default: Extremal
   * Perturbation on 2; none when --images is given, or in --full).
   */
  pairCaps?: Record<string, number>;
}

export interface BenchResult {
  schema: typeof BENCH_SCHEMA;
  command: string;
  date: string;
  wallSeconds: number;
  machine: MachineInfo;
  /** `engine`: where the methods' forward-only passes ran (auto | onnx | tfjs, as asked). */
  backend: {name: string; provider: string; tfjs: string; engine?: string};
  settings: BenchSettings;
  models: ModelResult[];
}
