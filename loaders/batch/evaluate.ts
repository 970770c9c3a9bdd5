/**
 * `saliency evaluate`: the SISE paper's Table 1 on an annotated data set. The maps come from a
 * batch run over (image, method, annotated class) into the same result store (so a rerun, or a
 * sharded run done before, computes nothing again); the figures from the bench's own per-image
 * code (loaders/bench/image-context.ts) and aggregation, so the same images give the bench's
 * numbers. Each figure also gets the half-width of its 95% interval over the images.
 */
import {createHash} from "node:crypto";
import {availableParallelism} from "node:os";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {classTruth, type TruthInstance} from "../../src/lib/metrics/masks.js";
import {createMap} from "../../src/lib/maps/types.js";
import {getMethod} from "../../src/lib/methods/registry.js";
import type {RgbImage} from "../../src/lib/explain/types.js";
import {localisedCount, methodMetrics} from "../bench/aggregate.js";
import {imageContexts, imageRow, type MetricInput, type NamedImage} from "../bench/image-context.js";
import {metricIntervals, type MetricKey} from "../bench/per-image.js";
import {benchSettings, pointingTolerance} from "../bench/settings.js";
import type {BenchSettings, ImageRow, MethodMetrics} from "../bench/types.js";
import {readImageFile} from "../image-io.js";
import {RunEngine} from "../onnx/run-engine.js";
import type {PoolModel} from "../pool/pool.js";
import {classMapping, type AnnotatedDataset, type AnnotatedImage} from "./datasets.js";
import {runBatch, type BatchItem, type BatchProgress, type BatchRunResult} from "./run.js";
import {UNSHARDED, type Shard} from "./shard.js";
import {ResultStore, type ResultRecord} from "./store.js";

export const EVALUATE_SCHEMA = "saliency-evaluate/1";

/** Images whose contexts share one forward pass (the bench puts a whole split in one). */
const CONTEXT_BATCH = 32;

export interface EvaluateOptions {
  model: ExplainableModel;
  poolModel?: PoolModel;
  dataset: AnnotatedDataset;
  classMap?: string;
  methods: string[];
  methodOptions?: Record<string, Record<string, unknown>>;
  /** The batch folder (result store); the evaluation files are written there too by the CLI. */
  out: string;
  workers?: number;
  backend?: string;
  /** Forward engine of the maps' masked inputs (runBatch's `engine`). */
  engine?: string;
  shard?: Shard;
  truth?: "box" | "mask";
  curveSteps?: number;
  /** Only the first N images (data set order). */
  limit?: number;
  signal?: AbortSignal;
  onMapsProgress?: (progress: BatchProgress) => void;
  onMetricsProgress?: (done: number, total: number) => void;
  log?: (line: string) => void;
}

export interface EvaluatedMethod {
  method: string;
  title: string;
  explainedScore: string;
  /** Rows (image, class) in the figures; rows with ground truth in the localisation ones. */
  rows: number;
  localisedRows: number;
  metrics: MethodMetrics;
  /** Half-width of each figure's 95% interval (1.96 standard errors over the rows). */
  intervals: Record<MetricKey, number | null>;
  options: Record<string, unknown>;
}

export interface EvaluateResult {
  schema: typeof EVALUATE_SCHEMA;
  dataset: string;
  model: string;
  images: number;
  /** Classes of the data set that map to none of the model's (their objects are left out). */
  unmappedClasses: string[];
  settings: BenchSettings;
  /** Pointing tolerance in pixels when every image has one size, else null (scaled per image). */
  pointingTolerance: number | null;
  methods: EvaluatedMethod[];
  rows: ImageRow[];
  batch: BatchRunResult;
  /** False when maps are missing (a shard, an interruption, failures): no figures then. */
  complete: boolean;
}

interface ImageClasses {
  image: AnnotatedImage;
  /** The model classes with objects in the image, ascending. */
  classes: number[];
  instances: TruthInstance[];
}

/** The images with their objects in model classes; objects of unmapped classes left out. */
export function mapDataset(dataset: AnnotatedDataset, mapping: Map<string, number>, limit?: number): ImageClasses[] {
  const images = limit === undefined ? dataset.images : dataset.images.slice(0, limit);
  return images.map((image) => {
    const instances: TruthInstance[] = [];
    for (const object of image.objects) {
      const classIndex = mapping.get(object.className);
      if (classIndex === undefined) continue;
      instances.push({classIndex, box: object.box, ...(object.mask ? {mask: object.mask()} : {})});
    }
    return {image, classes: [...new Set(instances.map((i) => i.classIndex))].sort((a, b) => a - b), instances};
  });
}

/** The work list: every image × method × class annotated in it. */
export function evaluationItems(images: readonly ImageClasses[], methods: readonly string[]): BatchItem[] {
  return images.flatMap(({image, classes}) => {
    const batchImage = {id: image.id, load: () => readImageFile(image.path)};
    return methods.flatMap((method) => classes.map((classRequest) => ({image: batchImage, method, classRequest})));
  });
}

export async function evaluateDataset(options: EvaluateOptions): Promise<EvaluateResult> {
  const {model, dataset, methods} = options;
  const truth = options.truth ?? "box";
  if (truth === "mask" && !dataset.masks) throw new Error(`${dataset.source} has no masks for every object: use --truth box`);
  const settings = benchSettings({
    methods,
    truth,
    ...(options.curveSteps === undefined ? {} : {curveSteps: options.curveSteps}),
    workers: options.workers ?? 1
  });
  settings.methodOptions = Object.fromEntries(methods.map((m) => [m, options.methodOptions?.[m] ?? {}]));
  const mapping = classMapping(dataset, model.meta.classNames, options.classMap);
  const unmappedClasses = dataset.classes.filter((c) => !mapping.has(c));
  const images = mapDataset(dataset, mapping, options.limit);
  const items = evaluationItems(images, methods);
  if (items.length === 0) throw new Error(`${dataset.source}: no image has an object of a class the model knows`);

  const batch = await runBatch({
    model,
    ...(options.poolModel ? {poolModel: options.poolModel} : {}),
    items,
    methodOptions: settings.methodOptions,
    out: options.out,
    shard: options.shard ?? UNSHARDED,
    workers: options.workers ?? 1,
    ...(options.backend ? {backend: options.backend} : {}),
    ...(options.engine ? {engine: options.engine} : {}),
    ...(options.signal ? {signal: options.signal} : {}),
    ...(options.onMapsProgress ? {onProgress: options.onMapsProgress} : {}),
    ...(options.log ? {log: options.log} : {})
  });
  const base = {
    schema: EVALUATE_SCHEMA,
    dataset: dataset.source,
    model: model.meta.name,
    images: images.length,
    unmappedClasses,
    settings,
    batch
  } as const;
  const sizes = new Set(images.map((i) => `${i.image.width}x${i.image.height}`));
  const [first] = images;
  const tolerance = sizes.size === 1 && first ? pointingTolerance(first.image.width, first.image.height) : null;
  const complete = (options.shard ?? UNSHARDED).count === 1 && !batch.interrupted && batch.failures.length === 0 && batch.rows.length === items.length;
  if (!complete) return {...base, pointingTolerance: tolerance, methods: [], rows: [], complete: false};

  const store = new ResultStore(options.out);
  const byIndex = new Map(batch.rows.map((row) => [row.index, row]));
  const rows = await metricRows(model, images, methods, settings, store, byIndex, options);
  const summaries = methods.map((name): EvaluatedMethod => {
    const own = rows.filter((r) => r.method === name);
    const firstRow = batch.rows.find((r) => r.method === name)!;
    return {
      method: name,
      title: getMethod(name).title,
      explainedScore: firstRow.scoreMode,
      rows: own.length,
      localisedRows: localisedCount(own),
      metrics: methodMetrics(own),
      intervals: metricIntervals(own),
      options: store.read(firstRow.key)?.options ?? {}
    };
  });
  return {...base, pointingTolerance: tolerance, methods: summaries, rows, complete: true};
}

/**
 * What a stored metric row depends on besides its map (whose key covers model, method, options,
 * image and class): the metric settings and that class's ground truth in this data set.
 */
export function metricRowId(settings: BenchSettings, truth: Uint8Array | null): string {
  const {curveSteps, truth: kind, keepFraction, iouFraction, pointingToleranceAt224, deletionCanvas, insertionCanvas} = settings;
  const hash = createHash("sha256").update(
    JSON.stringify({curveSteps, kind, keepFraction, iouFraction, pointingToleranceAt224, deletionCanvas, insertionCanvas})
  );
  hash.update(truth ?? new Uint8Array(0));
  return hash.digest("hex").slice(0, 16);
}

/**
 * Table 1 rows of every (image, class, method), images read once, in chunks of one size. Each row
 * is stored beside its map, so a rerun (after an interruption, or with another model added) reads
 * it instead of redoing its curves; the curves' forward passes run on `engine` (ONNX Runtime when
 * it loads, as for the maps).
 */
async function metricRows(
  model: ExplainableModel,
  images: readonly ImageClasses[],
  methods: readonly string[],
  settings: BenchSettings,
  store: ResultStore,
  byIndex: Map<number, {key: string}>,
  options: Pick<EvaluateOptions, "signal" | "onMetricsProgress" | "engine" | "workers">
): Promise<ImageRow[]> {
  // Work-list positions of each (image, method, class), as evaluationItems laid them out.
  const position = new Map<string, number>();
  let index = 0;
  for (const {image, classes} of images) for (const method of methods) for (const c of classes) position.set(`${image.id}\0${method}\0${c}`, index++);
  const total = index;
  let done = 0;
  const rows: ImageRow[] = [];
  // Consecutive images of one size share a forward pass (as the bench's split does).
  const chunks: ImageClasses[][] = [];
  for (const entry of images) {
    const last = chunks[chunks.length - 1];
    const same = last && last.length < CONTEXT_BATCH && last[0]!.image.width === entry.image.width && last[0]!.image.height === entry.image.height;
    if (same) last.push(entry);
    else chunks.push([entry]);
  }
  // The same engine rule as the bench table's (RunEngine), so both give the same rows.
  const engine = new RunEngine(model, {...(options.engine ? {engine: options.engine} : {}), threads: options.workers ?? availableParallelism()});
  try {
    for (const chunk of chunks) {
      const inputs: MetricInput<NamedImage>[] = [];
      for (const {image, classes, instances} of chunk) {
        const pixels: RgbImage = await readImageFile(image.path);
        if (pixels.width !== image.width || pixels.height !== image.height) {
          throw new Error(`${image.id} is ${pixels.width}x${pixels.height}, its annotation says ${image.width}x${image.height}`);
        }
        const named: NamedImage = {...pixels, file: image.id};
        for (const classIndex of classes)
          inputs.push({image: named, classIndex, truth: classTruth(instances, classIndex, image.width, image.height, settings.truth)});
      }
      const keyOf = (input: MetricInput<NamedImage>, method: string) => byIndex.get(position.get(`${input.image.file}\0${method}\0${input.classIndex}`)!)!.key;
      const rowIds = inputs.map((input) => metricRowId(settings, input.truth));
      const stored = inputs.map((input, n) => methods.map((method) => store.readMetricRow<ImageRow>(keyOf(input, method), rowIds[n]!)));
      // Contexts (one forward pass for the chunk, the scorers) only when some row is missing.
      const missing = stored.some((row) => row.some((r) => r === null));
      const contexts = missing ? await imageContexts(model, inputs, settings, await engine.metricsEngine()) : null;
      for (const [n, input] of inputs.entries()) {
        const tolerance = pointingTolerance(input.image.width, input.image.height);
        for (const [m, method] of methods.entries()) {
          if (options.signal?.aborted) throw new Error("evaluation interrupted (the maps are stored: rerun to finish)");
          const key = keyOf(input, method);
          let row = stored[n]![m]!;
          if (row) row = {...row, model: model.meta.name};
          else {
            const record = store.read(key) as ResultRecord;
            const map = store.readMap(key);
            const explained = {
              map: createMap(map.width, map.height, map.data),
              score: {mode: record.score.mode as ImageRow["explainedScore"]},
              passes: record.passes
            };
            row = await imageRow(model.meta.name, method, contexts![n]!, explained, record.ms, settings, tolerance);
            store.writeMetricRow(key, rowIds[n]!, row);
          }
          rows.push(row);
          options.onMetricsProgress?.(++done, total);
        }
      }
    }
  } finally {
    await engine.dispose();
  }
  // Rows in work-list order (image, method, class), like the batch manifest.
  return rows.sort((a, b) => position.get(`${a.file}\0${a.method}\0${a.classIndex}`)! - position.get(`${b.file}\0${b.method}\0${b.classIndex}`)!);
}
