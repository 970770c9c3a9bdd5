/**
 * The one explain pipeline. A method declares its parameters and a `run` that composes the
 * named phases (target, capture, weights, combine, upsample, scoring, record); this driver
 * checks the parameters once, turns the image into pixels at the model's size, owns every
 * tensor the run holds, times it and writes the one result record.
 */
import * as tf from "@tensorflow/tfjs";
import type {SaliencyMap} from "../maps/types.js";
import type {ExplainableModel} from "../model/adapter.js";
import type {ScoreMode} from "../model/score.js";
import type {ParamSchema, ParamValues} from "./param-types.js";
import {resolveParams} from "./params.js";
import {imageToPixels} from "./pixels.js";
import {AbortedError, WorkTracker} from "./progress.js";
import type {ExplainOptions, Explanation, Method, PassExecutor, Progress, RgbImage, RunOptions} from "./types.js";

/** The class explained and its score under the run's score mode. */
export interface Target {
  classIndex: number;
  scoreValue: number;
}

/** What a method's run returns; the driver adds the rest of the record. */
export interface MethodOutput {
  map: SaliencyMap;
  target: Target;
  layer: string | string[] | null;
  passes: {forward: number; backward: number};
  timings?: Record<string, number>;
  intermediates?: Record<string, unknown>;
  /** Parameters to record differently from their resolved values (rare: e.g. a derived default). */
  recorded?: Record<string, unknown>;
}

/** Everything a run shares between its phases. */
export class ExplainContext {
  /** The image at the model's input size, [1, H, W, 3] in pixel space (0..255). */
  readonly pixels: tf.Tensor4D;
  readonly startedAt = performance.now();
  private readonly held: tf.Tensor[] = [];

  constructor(
    readonly model: ExplainableModel,
    readonly image: RgbImage,
    readonly scoreMode: ScoreMode,
    private readonly run: RunOptions
  ) {
    this.pixels = this.hold(imageToPixels(model, image));
  }

  get signal(): AbortSignal | undefined {
    return this.run.signal;
  }

  get executor(): PassExecutor | undefined {
    return this.run.executor;
  }

  /** Keeps tensors alive until the run ends (disposed then, whatever happens). */
  hold<T extends tf.Tensor | tf.Tensor[]>(tensors: T): T {
    this.held.push(...(Array.isArray(tensors) ? tensors : [tensors]));
    return tensors;
  }

  /** Progress and cancellation for `total` units of work. */
  work(total: number, stage: string): WorkTracker {
    return new WorkTracker(total, this.run.signal, this.run.onProgress as ((p: Progress) => void) | undefined, stage);
  }

  /** Milliseconds since the run started. */
  elapsed(): number {
    return performance.now() - this.startedAt;
  }

  dispose(): void {
    tf.dispose(this.held);
    this.held.length = 0;
  }
}

export interface MethodSpec<S extends ParamSchema> {
  name: string;
  title: string;
  summary: string;
  defaultScore: ScoreMode;
  params: S;
  run(context: ExplainContext, params: ParamValues<S>): Promise<MethodOutput>;
}

/** A method from its declaration and its run. */
export function defineMethod<S extends ParamSchema>(spec: MethodSpec<S>): Method<S> {
  return {
    name: spec.name,
    title: spec.title,
    summary: spec.summary,
    defaultScore: spec.defaultScore,
    params: spec.params,
    async explain(model, image, options = {} as ExplainOptions<S>) {
      const params = resolveParams(spec.params, options as Record<string, unknown>, model);
      const scoreMode = ((params as Record<string, unknown>).score as ScoreMode | undefined) ?? spec.defaultScore;
      if (options.signal?.aborted) throw new AbortedError();
      const context = new ExplainContext(model, image, scoreMode, options);
      try {
        const output = await spec.run(context, params);
        return explanationRecord(spec.name, context, {...(params as Record<string, unknown>), ...output.recorded}, output);
      } finally {
        context.dispose();
      }
    }
  };
}

/** The record phase: the one result type, from a run's output. */
function explanationRecord(method: string, context: ExplainContext, options: Record<string, unknown>, output: MethodOutput): Explanation {
  const recorded = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  return {
    method,
    map: output.map,
    classIndex: output.target.classIndex,
    className: context.model.meta.classNames[output.target.classIndex]!,
    score: {mode: context.scoreMode, value: output.target.scoreValue},
    layer: output.layer,
    options: recorded,
    backend: tf.getBackend(),
    timings: {totalMs: context.elapsed(), ...output.timings},
    passes: output.passes,
    ...(output.intermediates ? {intermediates: output.intermediates} : {})
  };
}
