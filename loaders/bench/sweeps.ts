/**
 * Parameter sweeps as the papers report them, on (image, present class) pairs of a model's split:
 * SISE's μ with Ada-SISE beside it (the SISE paper's μ table), Integrated Grad-CAM's path steps
 * m, RISE's mask count N. Each setting is one `saliency evaluate` run on the shared result store
 * (so sweeps resume, and a setting shared with --full is not recomputed), with the bench's
 * per-image figures and 95% intervals.
 */
import {join} from "node:path";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {readSaliencySplit} from "../batch/datasets.js";
import {evaluateDataset, type EvaluatedMethod} from "../batch/evaluate.js";
import type {BatchProgress} from "../batch/run.js";
import type {BenchModelSpec} from "./models.js";
import type {MetricKey} from "./per-image.js";

export interface SweepSpec {
  /** Id used in files and on the page, e.g. "sise-mu". */
  id: string;
  title: string;
  method: string;
  /** The swept option (null: a method run at its defaults, shown beside the sweep). */
  param: string | null;
  values: readonly (number | null)[];
  /** Options every run of the sweep shares. */
  fixed?: Record<string, unknown>;
}

/** The three sweeps of the papers. */
export const PAPER_SWEEPS: readonly SweepSpec[] = [
  {id: "sise-mu", title: "SISE: μ (α_k > μ·β), SISE paper's μ table", method: "sise", param: "mu", values: [0, 0.3, 0.5, 0.75]},
  {id: "adasise", title: "Ada-SISE beside SISE's μ sweep", method: "adasise", param: null, values: [null]},
  {id: "igcam-steps", title: "Integrated Grad-CAM: path steps m", method: "igcam", param: "steps", values: [1, 2, 4, 8, 16, 32, 64]},
  {id: "rise-masks", title: "RISE: mask count N", method: "rise", param: "masks", values: [500, 1000, 2000, 4000]}
];

/** The figures a sweep table shows. */
export const SWEEP_METRICS: readonly MetricKey[] = ["ebpg", "miou", "bbox", "pointing", "drop", "increase", "deletionAuc", "insertionAuc", "secondsPerImage"];

export interface SweepPoint {
  sweep: string;
  method: string;
  param: string | null;
  value: number | null;
  result: EvaluatedMethod;
}

export interface SweepRunOptions {
  model: ExplainableModel;
  spec: BenchModelSpec;
  sweeps: readonly SweepSpec[];
  /** Only the first N images of the split. */
  images: number;
  storeDirectory: string;
  workers: number;
  curveSteps?: number;
  /** Forward engine of the masked inputs (auto | onnx | tfjs). */
  engine?: string;
  signal?: AbortSignal;
  onProgress?: (label: string, progress: BatchProgress) => void;
}

/** Every point of every sweep; stops (throws) when the signal aborts, keeping what is stored. */
export async function runSweeps(options: SweepRunOptions): Promise<SweepPoint[]> {
  const dataset = readSaliencySplit(options.spec.splitDirectory);
  const points: SweepPoint[] = [];
  for (const sweep of options.sweeps) {
    for (const value of sweep.values) {
      options.signal?.throwIfAborted();
      const label = `${options.spec.name} ${sweep.method}${sweep.param ? ` ${sweep.param}=${value}` : ""}`;
      const evaluation = await evaluateDataset({
        model: options.model,
        poolModel: options.spec.directory,
        dataset,
        methods: [sweep.method],
        methodOptions: {[sweep.method]: {...sweep.fixed, ...(sweep.param ? {[sweep.param]: value} : {})}},
        out: join(options.storeDirectory, options.spec.name),
        workers: options.workers,
        limit: options.images,
        ...(options.curveSteps === undefined ? {} : {curveSteps: options.curveSteps}),
        ...(options.engine ? {engine: options.engine} : {}),
        ...(options.signal ? {signal: options.signal} : {}),
        onMapsProgress: (progress) => options.onProgress?.(label, progress)
      });
      if (!evaluation.complete) throw new Error(`${label}: stopped before every map was done (rerun to resume)`);
      points.push({sweep: sweep.id, method: sweep.method, param: sweep.param, value, result: evaluation.methods[0]!});
    }
  }
  return points;
}
