/**
 * `npm run bench -- --full`: every (image, present class) pair of each model's test split, every
 * method, over the worker pool — the SISE paper's protocol at full size, with a 95% interval on
 * every figure. It runs `saliency evaluate`'s pipeline (loaders/batch/evaluate.ts): maps go to a
 * content-keyed result store, so an interrupted run resumes without redoing a finished map, and
 * the figures come from the bench's own per-image code. The default `npm run bench` stays the
 * timed subset (loaders/bench/run.ts); this mode does not time methods against bare passes.
 */
import {join} from "node:path";
import {ExplainableModel} from "../../src/lib/model/adapter.js";
import {getMethod} from "../../src/lib/methods/registry.js";
import {readSaliencySplit} from "../batch/datasets.js";
import {evaluateDataset, type EvaluateResult} from "../batch/evaluate.js";
import type {BatchProgress} from "../batch/run.js";
import {openModel} from "../model-files.js";
import {evaluateClaims} from "./claims.js";
import {mean} from "./aggregate.js";
import type {BenchModelSpec} from "./models.js";
import type {BenchSettings, ClaimResult, MethodSummary} from "./types.js";

export const FULL_SCHEMA = "saliency-bench-full/1";

export interface FullModelResult {
  name: string;
  split: string;
  /** The model's probability (Drop/Increase, curves): sigmoid for a multi-label model. */
  probability: "softmax" | "sigmoid";
  evaluation: EvaluateResult;
  claims: ClaimResult[];
}

export interface FullRunOptions {
  models: readonly BenchModelSpec[];
  settings: BenchSettings;
  /** Where each model's result store lives (one folder per model, kept between runs to resume). */
  storeDirectory: string;
  workers: number;
  /** Only the first N images of each split (smoke runs, tests). */
  limit?: number;
  backend?: string;
  /** Forward engine of the masked inputs (auto | onnx | tfjs); the maps agree within 1e-4 either way. */
  engine?: string;
  signal?: AbortSignal;
  onMapsProgress?: (model: string, progress: BatchProgress) => void;
  onMetricsProgress?: (model: string, done: number, total: number) => void;
  log?: (line: string) => void;
}

/**
 * What the claims need of a method, from its evaluated rows: the figures and the mean passes per
 * (image, class); no bare-pass timing in this mode (speed ratios are the timed subset's).
 */
function summaryOf(evaluation: EvaluateResult, method: EvaluateResult["methods"][number], probability: "softmax" | "sigmoid"): MethodSummary {
  const own = evaluation.rows.filter((r) => r.method === method.method);
  return {
    method: method.method,
    title: method.title,
    explainedScore: method.explainedScore as MethodSummary["explainedScore"],
    metricScores: {localisation: "map only", dropIncrease: probability, deletionInsertion: probability},
    images: method.rows,
    localisedImages: method.localisedRows,
    metrics: method.metrics,
    speed: {
      forwardPasses: mean(own.map((r) => r.forwardPasses)),
      backwardPasses: mean(own.map((r) => r.backwardPasses)),
      msPerImage: mean(own.map((r) => r.ms)),
      idealMsPerImage: Number.NaN,
      ratio: Number.NaN
    },
    options: method.options
  };
}

/** Runs (or resumes) the full protocol on each model; models whose maps are not all there yet come back incomplete. */
export async function runFullBench(options: FullRunOptions): Promise<FullModelResult[]> {
  const results: FullModelResult[] = [];
  for (const spec of options.models) {
    options.signal?.throwIfAborted();
    const model: ExplainableModel = await openModel(spec.directory);
    try {
      const dataset = readSaliencySplit(spec.splitDirectory);
      options.log?.(`full: ${spec.name} on ${spec.splitDirectory}: ${dataset.images.length} images`);
      const evaluation = await evaluateDataset({
        model,
        poolModel: spec.directory,
        dataset,
        methods: options.settings.methods,
        methodOptions: options.settings.methodOptions,
        out: join(options.storeDirectory, spec.name),
        workers: options.workers,
        truth: options.settings.truth,
        curveSteps: options.settings.curveSteps,
        ...(options.limit === undefined ? {} : {limit: options.limit}),
        ...(options.backend ? {backend: options.backend} : {}),
        ...(options.engine ? {engine: options.engine} : {}),
        ...(options.signal ? {signal: options.signal} : {}),
        onMapsProgress: (progress) => options.onMapsProgress?.(spec.name, progress),
        onMetricsProgress: (done, total) => options.onMetricsProgress?.(spec.name, done, total),
        ...(options.log ? {log: options.log} : {})
      });
      const claims = evaluation.complete
        ? evaluateClaims(
            evaluation.methods.map((m) => summaryOf(evaluation, m, model.probabilityMode)),
            evaluation.rows
          )
        : [];
      results.push({name: spec.name, split: spec.splitDirectory, probability: model.probabilityMode, evaluation, claims});
      if (!evaluation.complete) break; // interrupted: the next run resumes from the store
    } finally {
      model.dispose();
    }
  }
  return results;
}

/** Every method the registry has, by name, checked. */
export function fullMethods(names: readonly string[]): string[] {
  for (const name of names) getMethod(name);
  return [...names];
}
