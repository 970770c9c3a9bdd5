/**
 * Runs a work list of (image, method, class) items into a batch folder: each item's content key
 * is looked up first and only missing results are computed (in this thread, or one whole
 * explanation per worker of a pool), each written atomically the moment it is done; the shard's
 * manifest is rewritten every few seconds and at the end. Cancelling (the signal) stops
 * submitting at once, closes the pool (its running explanations end with it) and keeps every
 * finished result: a rerun carries on from there.
 */
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {getMethod} from "../../src/lib/methods/registry.js";
import {AbortedError} from "../../src/lib/explain/progress.js";
import type {Method, RgbImage} from "../../src/lib/explain/types.js";
import {decideForwardEngine, makesForwardBatches, RunEngine, type EngineExplanation} from "../onnx/run-engine.js";
import {WorkerPool, type PoolModel} from "../pool/pool.js";
import {effectiveOptions, imageFingerprint, modelFingerprint, resultKey, type ClassRequest} from "./keys.js";
import {manifestName, manifestRow, writeManifest, type ManifestRow} from "./manifest.js";
import {inShard, shardSuffix, UNSHARDED, type Shard} from "./shard.js";
import {recordOf, ResultStore, type ResultRecord} from "./store.js";

/** An image of the work list: a name for records and manifests, and how to read its pixels. */
export interface BatchImage {
  id: string;
  load(): Promise<RgbImage> | RgbImage;
}

export interface BatchItem {
  image: BatchImage;
  method: string;
  classRequest: ClassRequest;
}

export interface BatchProgress {
  /** Items of this shard finished (computed, found or failed) and in all. */
  done: number;
  total: number;
  /** Of `done`, found already stored. */
  reused: number;
  failed: number;
}

export interface BatchRunOptions {
  /** The model, opened in this thread (keys are made from it; without a pool it explains too). */
  model: ExplainableModel;
  /** What pool workers open (a model path or `nsfwjs:` spec); default: a copy of `model`. */
  poolModel?: PoolModel;
  /** The whole work list (every shard sees the same list and takes its own items). */
  items: readonly BatchItem[];
  /** Options per method (the class is the item's). */
  methodOptions?: Record<string, Record<string, unknown>>;
  out: string;
  shard?: Shard;
  /** 1: explain in this thread; more: a worker pool of that size. */
  workers?: number;
  /** Backend of pool workers (default wasm). */
  backend?: string;
  /**
   * Forward engine of the methods that score masked inputs: auto | onnx | tfjs (default:
   * SALIENCY_ENGINE, else auto). In this thread one ONNX Runtime session with a thread per core;
   * on a pool one session per worker, the cores split between them. Gradient passes stay on tfjs.
   */
  engine?: string;
  signal?: AbortSignal;
  onProgress?: (progress: BatchProgress) => void;
  log?: (line: string) => void;
  /** How often the manifest is rewritten while running, ms (default 10 s). */
  manifestEveryMs?: number;
}

export interface BatchFailure {
  index: number;
  image: string;
  method: string;
  classRequest: ClassRequest;
  message: string;
}

export interface BatchRunResult {
  /** Rows of this shard's items that have a result, in work-list order. */
  rows: ManifestRow[];
  computed: number;
  reused: number;
  failures: BatchFailure[];
  /** Items of this shard. */
  items: number;
  manifest: string;
  interrupted: boolean;
  removedPartials: number;
}

interface Pending {
  index: number;
  item: BatchItem;
  image: RgbImage;
  imageHash: string;
  key: string;
}

export async function runBatch(options: BatchRunOptions): Promise<BatchRunResult> {
  const {model, items, out, signal} = options;
  const shard = options.shard ?? UNSHARDED;
  const workers = options.workers ?? 1;
  const log = options.log ?? (() => {});
  const store = new ResultStore(out);
  // Checked before anything is written: `onnx` without onnxruntime-node fails here.
  const engine = new RunEngine(model, options.engine === undefined ? {} : {engine: options.engine});
  const {removedPartials} = store.open();
  if (removedPartials > 0) log(`removed ${removedPartials} temporary file(s) left by an interrupted run`);

  // Every method and its options checked (and keyed) before any work starts.
  const methods = new Map<string, {method: Method; given: Record<string, unknown>; effective: Record<string, unknown>}>();
  for (const item of items) {
    if (methods.has(item.method)) continue;
    const method = getMethod(item.method);
    const given = options.methodOptions?.[item.method] ?? {};
    methods.set(item.method, {method, given, effective: effectiveOptions(method, given, model)});
  }
  for (const item of items) if (item.classRequest !== "top") model.checkClass(item.classRequest);
  const modelHash = await modelFingerprint(model);

  const mine = items.flatMap((item, index) => (inShard(index, shard) ? [{item, index}] : []));
  // Items of one image together, so that each image is read once.
  const groups = new Map<string, {image: BatchImage; entries: {item: BatchItem; index: number}[]}>();
  for (const entry of mine) {
    const group = groups.get(entry.item.image.id) ?? {image: entry.item.image, entries: []};
    group.entries.push(entry);
    groups.set(entry.item.image.id, group);
  }

  const rows: ManifestRow[] = [];
  const failures: BatchFailure[] = [];
  let computed = 0;
  let reused = 0;
  const manifest = manifestName(shardSuffix(shard));
  const progress = () => options.onProgress?.({done: rows.length + failures.length, total: mine.length, reused, failed: failures.length});
  let lastManifest = performance.now();
  const saveManifest = () => {
    lastManifest = performance.now();
    return writeManifest(out, manifest, rows);
  };

  // Started on the first item to compute (a rerun with everything stored starts no workers).
  let pool: Promise<WorkerPool> | null = null;
  const closePool = () =>
    void pool?.then(
      (p) => p.close(),
      () => {}
    );
  signal?.addEventListener("abort", closePool, {once: true});
  // A pool that cannot start ends the run (every item would fail the same way).
  let fatal: Error | null = null;
  const explain = async (job: Pending): Promise<EngineExplanation> => {
    const {method, given} = methods.get(job.item.method)!;
    const classOption = job.item.classRequest === "top" ? {} : {classIndex: job.item.classRequest};
    if (workers <= 1) return engine.explain(method, job.image, {...given, ...classOption, ...(signal ? {signal} : {})});
    pool ??= Promise.resolve().then(() => {
      // `auto` decided once here (one notice), and only when some method has forward-only passes.
      const forward = [...methods.values()].some(({method: m}) => makesForwardBatches(m)) ? decideForwardEngine(model, engine.choice) : "tfjs";
      return WorkerPool.create(options.poolModel ?? model, {size: workers, engine: forward, ...(options.backend ? {backend: options.backend} : {})});
    });
    const ready = await pool.catch((error: Error) => {
      fatal ??= error;
      throw error;
    });
    if (signal?.aborted) throw new AbortedError();
    return ready.explainImage(job.item.method, job.image, {...given, ...classOption});
  };

  const run = async (job: Pending): Promise<void> => {
    try {
      const explanation = await explain(job);
      const record: ResultRecord = recordOf(explanation, {
        key: job.key,
        title: methods.get(job.item.method)!.method.title,
        image: job.item.image.id,
        imageHash: job.imageHash,
        model: model.meta.name,
        modelHash,
        options: methods.get(job.item.method)!.effective,
        classRequest: job.item.classRequest
      });
      store.write(record, Float32Array.from(explanation.map.data));
      rows.push(manifestRow(record, job.index, items.length));
      computed++;
    } catch (error) {
      if (signal?.aborted || fatal) return; // cancelled: not a failure, the rerun does it
      failures.push({
        index: job.index,
        image: job.item.image.id,
        method: job.item.method,
        classRequest: job.item.classRequest,
        message: (error as Error).message
      });
      log(`failed: ${job.item.image.id} ${job.item.method} class ${job.item.classRequest}: ${(error as Error).message}`);
    }
    progress();
    if (performance.now() - lastManifest > (options.manifestEveryMs ?? 10_000)) saveManifest();
  };

  // One explanation per worker at a time (a pool queues nothing ahead: cancelling loses no queued work).
  const limit = Math.max(1, workers);
  const running = new Set<Promise<void>>();
  try {
    outer: for (const group of groups.values()) {
      if (signal?.aborted) break;
      const image = await group.image.load();
      const imageHash = imageFingerprint(image);
      for (const {item, index} of group.entries) {
        const {effective} = methods.get(item.method)!;
        const key = resultKey({model: modelHash, method: item.method, options: effective, image: imageHash, classRequest: item.classRequest});
        const stored = store.read(key);
        if (stored) {
          rows.push(manifestRow(stored, index, items.length));
          reused++;
          progress();
          continue;
        }
        while (running.size >= limit) await Promise.race(running);
        if (fatal) throw fatal;
        if (signal?.aborted) break outer;
        const task = run({index, item, image, imageHash, key}).finally(() => running.delete(task));
        running.add(task);
      }
    }
    await Promise.all(running);
    if (fatal) throw fatal;
  } finally {
    signal?.removeEventListener("abort", closePool);
    if (pool) await (await (pool as Promise<WorkerPool>).catch(() => null))?.close();
    await engine.dispose();
  }
  const path = saveManifest();
  return {
    rows: rows.sort((a, b) => a.index - b.index),
    computed,
    reused,
    failures,
    items: mine.length,
    manifest: path,
    interrupted: signal?.aborted ?? false,
    removedPartials
  };
}
