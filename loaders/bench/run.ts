/**
 * The benchmark pipeline: for each model, every method on the first N images of its test split
 * (Table 1 metrics, speed), class discrimination on shapes-pairs, the randomisation sanity check
 * and the paper claims. Returns plain records; printing and writing are the caller's.
 */
import * as tf from "@tensorflow/tfjs";
import {existsSync} from "node:fs";
import {join} from "node:path";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {defaultBatchSize} from "../../src/lib/explain/params.js";
import {getMethod} from "../../src/lib/methods/registry.js";
import type {Explanation, Method} from "../../src/lib/explain/types.js";
import {loadSplit, type SplitImage} from "../datasets/splits.js";
import {openModel} from "../model-files.js";
import {localisedCount, mean, median, methodMetrics} from "./aggregate.js";
import {pairedSpeed, repetitionsFor, type PairedTime} from "./paired-timing.js";
import {RunEngine} from "../onnx/run-engine.js";
import type {ForwardEngine} from "../onnx/engine.js";
import {WorkerPool} from "../pool/pool.js";
import {inParallelIf} from "../pool/tasks.js";
import {measureBarePass} from "./bare-passes.js";
import {evaluateClaims} from "./claims.js";
import {favoursOwnClass, summariseDiscrimination} from "./discrimination.js";
import {edgeDetector} from "./edge-detector.js";
import {classTruth} from "../../src/lib/metrics/masks.js";
import {imageContexts, imageRow, type ImageContext as SharedContext} from "./image-context.js";
import {machineInfo} from "./machine.js";
import type {BenchModelSpec} from "./models.js";
import {batchesToMeasure, idealMs, passPlan, type PassKind, type PassPlanPart} from "./pass-cost.js";
import {silentProgress, type ProgressLog} from "./progress.js";
import {runSanityCheck} from "./sanity.js";
import {imagesForInput, pointingTolerance} from "./settings.js";
import {
  BENCH_SCHEMA,
  type BareSpeed,
  type BenchResult,
  type BenchSettings,
  type DiscriminationResult,
  type ImageRow,
  type MethodSummary,
  type ModelResult,
  type SanityResult
} from "./types.js";

export interface BenchRunOptions {
  models: readonly BenchModelSpec[];
  settings: BenchSettings;
  backend: {name: string; provider: string};
  command: string;
  /** Repository root (for data/shapes-pairs/test). */
  root: string;
  log?: ProgressLog;
  /** Called as each model finishes (the CLI prints its report right away). */
  onModelDone?: (model: ModelResult) => void;
  /** Forward engine of the timed methods' masked inputs (loaders/onnx/run-engine.ts): auto | onnx | tfjs. */
  engine?: string;
}

type ImageContext = SharedContext<SplitImage>;

const relativeSplit = (dir: string, root: string): string => (dir.startsWith(root + "/") ? dir.slice(root.length + 1) : dir);

/**
 * One context per (image, present class), the SISE paper's protocol: a single-label image has its
 * label, a multi-label one (scenes) every class it shows, each with that class's ground truth.
 */
function pairContexts(model: ExplainableModel, images: readonly SplitImage[], settings: BenchSettings, forward?: ForwardEngine): Promise<ImageContext[]> {
  return imageContexts(
    model,
    images.flatMap((image) =>
      (image.labels ?? [image.label]).map((classIndex) => ({
        image,
        classIndex,
        truth: classTruth(image.instances, classIndex, image.width, image.height, settings.truth)
      }))
    ),
    settings,
    forward
  );
}

/**
 * One image explained `repetitions` times, each explanation followed at once by the passes it
 * made on the bare model (paired-timing.ts): a change of machine speed between runs then hits
 * both sides alike. Medians of each side, and the first explanation.
 */
async function pairedRuns(
  method: Method,
  options: Record<string, unknown>,
  context: ImageContext,
  repetitions: number,
  ideal: BarePassTimer,
  planOf: (explanation: Explanation) => PassPlanPart[]
): Promise<{explanation: Explanation; ms: number; idealMs: number}> {
  let explanation: Explanation | null = null;
  const times: number[] = [];
  const ideals: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    const start = performance.now();
    const result = await method.explain(ideal.model, context.image, options);
    times.push(performance.now() - start);
    explanation ??= result;
    ideals.push(await ideal.planMs(planOf(explanation), context));
  }
  return {explanation: explanation!, ms: median(times), idealMs: median(ideals)};
}

/** One method over the images: warm-up, timed explanations, per-image rows, its summary and pass plan. */
async function benchMethod(
  modelName: string,
  model: ExplainableModel,
  {name, method, options}: {name: string; method: Method; options: Record<string, unknown>},
  contexts: readonly ImageContext[],
  settings: BenchSettings,
  tolerance: number,
  log: ProgressLog
): Promise<{rows: ImageRow[]; summary: MethodSummary; plan: PassPlanPart[]}> {
  log(`${modelName}: ${name} warm-up`);
  const warmupStart = performance.now();
  await method.explain(model, contexts[0]!.image, {...options, classIndex: contexts[0]!.classIndex});
  const repetitions = repetitionsFor(performance.now() - warmupStart);
  const defaults = {forward: defaultBatchSize(model, "forward"), backward: defaultBatchSize(model, "backward")};
  const ideal = new BarePassTimer(model);
  const rows: ImageRow[] = [];
  const times: PairedTime[] = [];
  let recorded: Record<string, unknown> = {};
  // An explanation's own passes on the bare model, at its batch sizes.
  const planOf = (explanation: Explanation) =>
    passPlan(explanation.passes, typeof explanation.options.batchSize === "number" ? explanation.options.batchSize : undefined, defaults);
  for (const [n, context] of contexts.entries()) {
    const {
      explanation,
      ms,
      idealMs: idealMsOfImage
    } = await pairedRuns(method, {...options, classIndex: context.classIndex}, context, repetitions, ideal, planOf);
    if (n === 0) recorded = explanation.options;
    times.push({ms, idealMs: idealMsOfImage});
    rows.push(await imageRow(modelName, name, context, explanation, ms, settings, tolerance));
    log(`${modelName}: ${name} ${n + 1}/${contexts.length} (${(ms / 1000).toFixed(2)} s, ideal ${(idealMsOfImage / 1000).toFixed(2)} s)`);
  }
  const passes = {forward: mean(rows.map((r) => r.forwardPasses)), backward: mean(rows.map((r) => r.backwardPasses))};
  const batch = typeof recorded.batchSize === "number" ? recorded.batchSize : undefined;
  const plan = passPlan(passes, batch, defaults);
  const {classIndex: _explainedClass, ...optionsUsed} = recorded;
  const summary: MethodSummary = {
    method: name,
    title: method.title,
    explainedScore: rows[0]!.explainedScore,
    metricScores: {localisation: "map only", dropIncrease: model.probabilityMode, deletionInsertion: model.probabilityMode},
    images: rows.length,
    localisedImages: localisedCount(rows),
    metrics: methodMetrics(rows),
    speed: {forwardPasses: passes.forward, backwardPasses: passes.backward, ...pairedSpeed(times)},
    options: optionsUsed
  };
  return {rows, summary, plan};
}

/** Bare pass times for every (kind, batch) the plans use, plus B = 1 and the default batch sizes. */
async function bareSpeed(
  model: ExplainableModel,
  plans: PassPlanPart[][],
  context: ImageContext,
  log: ProgressLog
): Promise<{speed: BareSpeed; lookup: (kind: PassKind, batch: number) => number}> {
  const wanted = batchesToMeasure([
    ...plans,
    [
      {kind: "forward", images: 1, batch: 1},
      {kind: "forward", images: 1, batch: defaultBatchSize(model, "forward")},
      {kind: "forwardBackward", images: 1, batch: 1},
      {kind: "forwardBackward", images: 1, batch: defaultBatchSize(model, "backward")}
    ]
  ]);
  const pixels = await bareImage(model, context);
  const measured = new Map<string, number>();
  const speed: BareSpeed = {forward: [], forwardBackward: []};
  for (const {kind, batch} of wanted) {
    log(`bare ${kind} pass, batch ${batch}`);
    const ms = await measureBarePass(model, kind, batch, {image: pixels, classIndex: context.classIndex});
    measured.set(`${kind}:${batch}`, ms);
    speed[kind].push({batch, msPerImage: ms});
  }
  return {speed, lookup: (kind, batch) => measured.get(`${kind}:${batch}`)!};
}

/** The model's first image at its input size, as bare passes take it. */
async function bareImage(model: ExplainableModel, context: ImageContext): Promise<Float32Array> {
  const image = tf.tidy(() => {
    const raw = tf.tensor4d(context.pixels, [1, context.image.height, context.image.width, 3]);
    return tf.image.resizeBilinear(raw, [model.inputHeight, model.inputWidth], false, true);
  });
  const pixels = (await image.data()) as Float32Array;
  image.dispose();
  return pixels;
}

/** Bare passes of a plan measured now, once each, every (kind, batch) warmed once per method. */
class BarePassTimer {
  private readonly warmed = new Set<string>();
  constructor(readonly model: ExplainableModel) {}

  async planMs(plan: readonly PassPlanPart[], context: ImageContext): Promise<number> {
    const image = await bareImage(this.model, context);
    const measured = new Map<string, number>();
    for (const {kind, batch} of batchesToMeasure([[...plan]])) {
      const key = `${kind}:${batch}`;
      measured.set(key, await measureBarePass(this.model, kind, batch, {image, classIndex: context.classIndex, repetitions: 1, warm: this.warmed.has(key)}));
      this.warmed.add(key);
    }
    return idealMs(plan, (kind, batch) => measured.get(`${kind}:${batch}`)!);
  }
}

async function discrimination(
  spec: BenchModelSpec,
  model: ExplainableModel,
  methods: readonly {name: string; method: Method; options: Record<string, unknown>}[],
  settings: BenchSettings,
  root: string,
  log: ProgressLog
): Promise<DiscriminationResult | null> {
  const dir = join(root, "data", "shapes-pairs", "test");
  if (settings.pairsImages === 0 || !existsSync(join(dir, "annotations.json"))) return null;
  const split = loadSplit(dir);
  // Only a model that knows the pairs' classes can be asked about both.
  if (split.classes.join("\n") !== model.meta.classNames.join("\n")) return null;
  const images = split.images.filter((i) => i.labels && i.labels.length === 2).slice(0, settings.pairsImages);
  // Untimed and independent: every (method, image, class) goes to whichever worker is free.
  const pool = settings.workers > 1 ? await WorkerPool.create(spec.directory, {size: settings.workers}) : null;
  try {
    const explain = (name: string, method: Method, image: SplitImage, options: Record<string, unknown>) =>
      pool ? pool.explainImage(name, image, options) : method.explain(model, image, options);
    return {
      split: relativeSplit(dir, root),
      images: images.length,
      truth: "mask",
      // With a pool every method's jobs are queued at once; without, one method after another.
      methods: await inParallelIf(
        pool !== null,
        methods.map(({name, method, options}) => async () => {
          const jobs = images.flatMap((image) => {
            const [a, b] = image.labels as [number, number];
            const masks = [a, b].map((c) => classTruth(image.instances, c, image.width, image.height, "mask") ?? new Uint8Array(image.width * image.height));
            return (
              [
                [0, 1],
                [1, 0]
              ] as const
            ).map(([own, other]) => async () => {
              const explanation = await explain(name, method, image, {...options, classIndex: [a, b][own]});
              return favoursOwnClass(explanation.map, masks[own]!, masks[other]!);
            });
          });
          // Without a pool, one explanation at a time (interleaved ones would only add memory).
          const outcomes = await inParallelIf(pool !== null, jobs);
          log(`discrimination ${name}: ${images.length} images done`);
          return summariseDiscrimination(name, outcomes);
        })
      )
    };
  } finally {
    await pool?.close();
  }
}

export async function runModel(
  spec: BenchModelSpec,
  settings: BenchSettings,
  root: string,
  log: ProgressLog = silentProgress,
  engine?: string
): Promise<ModelResult> {
  const start = performance.now();
  const model = await openModel(spec.directory);
  // The table's methods run their forward-only passes on this engine; discrimination and the sanity check stay on tfjs.
  const forward = new RunEngine(model, engine === undefined ? {} : {engine});
  try {
    const split = loadSplit(spec.splitDirectory);
    if (split.classes.length !== model.numClasses) {
      throw new Error(`model ${spec.name} has ${model.numClasses} classes, split ${spec.splitDirectory} has ${split.classes.length}`);
    }
    const images = split.images.slice(0, imagesForInput(settings, split.width, split.height));
    const contexts = await pairContexts(model, images, settings, await forward.metricsEngine());
    const tolerance = pointingTolerance(split.width, split.height);
    const methods = settings.methods.map((name) => ({name, method: getMethod(name), options: settings.methodOptions[name] ?? {}}));
    const failures: ModelResult["failures"] = [];
    const rows: ImageRow[] = [];
    const summaries: MethodSummary[] = [];
    const plans: PassPlanPart[][] = [];
    const working: typeof methods = [];

    for (const entry of methods) {
      try {
        const {executor} = await forward.forMethod(entry.method);
        const done = await benchMethod(
          spec.name,
          model,
          executor ? {...entry, options: {...entry.options, executor}} : entry,
          contexts.slice(0, settings.pairCaps?.[entry.name] ?? contexts.length),
          settings,
          tolerance,
          log
        );
        rows.push(...done.rows);
        summaries.push(done.summary);
        plans.push(done.plan);
        if (settings.pairCaps?.[entry.name] === undefined) working.push(entry);
      } catch (error) {
        log(`${spec.name}: ${entry.name} FAILED: ${(error as Error).message}`);
        failures.push({method: entry.name, stage: "table", message: (error as Error).message});
      }
    }

    // The bare pass table of the report (every batch size the plans use, measured once, at the end).
    const {speed} = await bareSpeed(model, plans, contexts[0]!, log);

    let pairs: DiscriminationResult | null = null;
    try {
      pairs = await discrimination(spec, model, working, settings, root, (m) => log(`${spec.name}: ${m}`));
    } catch (error) {
      failures.push({method: "*", stage: "discrimination", message: (error as Error).message});
    }

    let sanity: SanityResult | null = null;
    if (settings.sanityImages > 0) {
      try {
        const cases = contexts.slice(0, settings.sanityImages).map((c) => ({image: c.image, file: c.image.file, classIndex: c.classIndex}));
        sanity = await runSanityCheck(model, [...working, {name: edgeDetector.name, method: edgeDetector, options: {}, control: true}], cases, {
          steps: settings.sanitySteps,
          onProgress: (m) => log(`${spec.name}: ${m}`)
        });
      } catch (error) {
        failures.push({method: "*", stage: "sanity", message: (error as Error).message});
      }
    }

    return {
      name: spec.name,
      directory: relativeSplit(spec.directory, root),
      dataset: spec.dataset,
      split: relativeSplit(spec.splitDirectory, root),
      classes: [...split.classes],
      input: [model.inputHeight, model.inputWidth],
      images: images.length,
      pairs: contexts.length,
      pointingTolerance: tolerance,
      truth: settings.truth,
      bareSpeed: speed,
      methods: summaries,
      discrimination: pairs,
      sanity,
      claims: evaluateClaims(summaries, rows),
      rows,
      failures,
      wallSeconds: (performance.now() - start) / 1000
    };
  } finally {
    await forward.dispose();
    model.dispose();
  }
}

export async function runBench(options: BenchRunOptions): Promise<BenchResult> {
  const {settings, root, log = silentProgress} = options;
  const start = performance.now();
  const models: ModelResult[] = [];
  for (const spec of options.models) {
    log(`model ${spec.name} on ${relativeSplit(spec.splitDirectory, root)}`);
    const model = await runModel(spec, settings, root, log, options.engine);
    models.push(model);
    options.onModelDone?.(model);
  }
  return {
    schema: BENCH_SCHEMA,
    command: options.command,
    date: new Date().toISOString(),
    wallSeconds: (performance.now() - start) / 1000,
    machine: machineInfo(),
    backend: {...options.backend, tfjs: tf.version.tfjs, ...(options.engine ? {engine: options.engine} : {})},
    settings,
    models
  };
}
