/**
 * Maps precomputed at build time for the Compare page and the Overview gallery: every gallery
 * image × every model trained on its data set (or with the same class list) × every method ×
 * every class in the image. Maps are quantised to bytes (v·255, rounded): one Uint8 part holds
 * them all, in `entries` order, so the page downloads one file and makes no copies. The face
 * crops (data set "faces") have no ground truth: their one class is the face model's top class.
 * Each map is computed through `saliency batch`'s result store (loaders/batch/), looked up by the
 * same content key (model weights, method and options, image pixels, class, engine), in
 * SALIENCY_SITE_CACHE (default node_modules/.cache/saliency-site)/results-<profile>: a rebuild
 * computes only the maps whose inputs changed (a changed model, method or option), and says how
 * many. Maps no longer used are removed after a build, so the cache holds one build's worth.
 * SALIENCY_ENGINE (auto | onnx | tfjs) chooses where the masked inputs' forward passes run, as
 * `--engine` does for the CLI; it is not part of the key (the maps agree within 1e-4).
 */
import {mkdtempSync, rmSync} from "node:fs";
import {availableParallelism, tmpdir} from "node:os";
import {join} from "node:path";
import * as tf from "@tensorflow/tfjs";
import {pack} from "../../src/lib/format/pack.js";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {getMethod, METHODS} from "../../src/lib/methods/registry.js";
import {selectNodeBackend} from "../backend.js";
import {runBatch, type BatchItem} from "../batch/run.js";
import {checkedEngineChoice} from "../onnx/run-engine.js";
import {ResultStore} from "../batch/store.js";
import {cacheDirectory} from "./cache.js";
import {loadSiteGallery, type LoadedGalleryImage} from "./gallery.js";
import {siteConfig} from "./config.js";
import {modelEntries, openSiteModel, type SiteModelEntry} from "./models.js";
import {siteProfile, type SiteProfile} from "./paths.js";
import type {PrecomputedEntry, PrecomputedMeta, PrecomputedPrediction} from "../../src/lib/format/site-data.js";

export function methodOptions(profile: SiteProfile): Record<string, Record<string, unknown>> {
  return {
    rise: {masks: profile.riseMasks, seed: 0},
    ig: {steps: profile.igSteps},
    igcam: {steps: profile.igcamSteps},
    sise: profile.siseMaxMasks ? {maxMasks: profile.siseMaxMasks} : {},
    adasise: profile.siseMaxMasks ? {maxMasks: profile.siseMaxMasks} : {}
  };
}

/** Worker threads for precompute: SALIENCY_WORKERS, or every core. */
export function precomputeWorkers(): number {
  const value = process.env.SALIENCY_WORKERS;
  if (value === undefined || value === "") return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`SALIENCY_WORKERS must be a positive integer, got "${value}"`);
  return n;
}

/** Models whose data set (or class list) matches the image's data set. */
export function modelsForDataset(models: readonly SiteModelEntry[], dataset: string, classes: readonly string[]): SiteModelEntry[] {
  const sameClasses = (m: SiteModelEntry) => m.classNames.length === classes.length && m.classNames.every((c, i) => c === classes[i]);
  return models.filter((m) => m.dataset === dataset || sameClasses(m));
}

async function probabilities(model: ExplainableModel, image: LoadedGalleryImage): Promise<number[]> {
  const pixels = tf.tidy(() => {
    const raw = tf.tensor4d(Float32Array.from(image.rgb), [1, image.height, image.width, 3]);
    return image.height === model.inputHeight && image.width === model.inputWidth
      ? raw
      : tf.image.resizeBilinear(raw, [model.inputHeight, model.inputWidth], false, true);
  });
  const probs = tf.tidy(() => tf.softmax(model.logits(pixels as tf.Tensor4D)));
  const values = Array.from(await probs.data(), (v) => Math.round(v * 1e5) / 1e5);
  tf.dispose([pixels, probs]);
  return values;
}

/** What a caller may change from the profile (tests, previews): the methods and their options. */
export interface PrecomputeOverrides {
  methods?: string[];
  methodOptions?: Record<string, Record<string, unknown>>;
}

export async function precompute(
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  overrides: PrecomputeOverrides = {}
): Promise<Uint8Array> {
  const started = performance.now();
  // Methods: the caller's, else the site configuration's ("precompute": {"methods": [...]}), else the profile's.
  const config = siteConfig();
  const chosen = overrides.methods ?? config.methods;
  const profile = {...siteProfile(), ...(chosen ? {methods: chosen} : {})};
  const backend = await selectNodeBackend();
  const models = modelEntries();
  const {meta: gallery, images} = await loadSiteGallery(profile.galleryPerDataset, profile.galleryFaces);
  const options = overrides.methodOptions ?? methodOptions(profile);
  const workers = precomputeWorkers();
  // SALIENCY_ENGINE (auto | onnx | tfjs; default auto): where the masked inputs' forward passes run.
  const engine = checkedEngineChoice();
  log(`precompute: ${workers} worker(s), engine ${engine}`);
  const methods = profile.methods.filter((name) => {
    if (METHODS[name]) return true;
    log(`precompute: method "${name}" is not in the registry; skipped`);
    return false;
  });
  const entries: PrecomputedEntry[] = [];
  const predictions: PrecomputedPrediction[] = [];
  const maps: Uint8Array[] = [];
  const cache = cacheDirectory();
  const storeDir = cache ? join(cache, `results-${profile.name}`) : mkdtempSync(join(tmpdir(), "saliency-site-results-"));
  const store = new ResultStore(storeDir);
  const counts = {computed: 0, reused: 0};
  const used = new Set<string>();
  try {
    // Entries the configuration marks "precompute": false are offered live only.
    const skippedModels = new Set(config.models.filter((m) => !m.precompute).map((m) => m.name));
    const skippedSets = new Set(config.imageSets.filter((set) => !set.precompute).map((set) => set.name));
    for (const entry of models.filter((m) => !skippedModels.has(m.name))) {
      const datasets = gallery.datasets.filter((d) => !skippedSets.has(d.name) && modelsForDataset([entry], d.name, d.classes).length > 0).map((d) => d.name);
      const todo = images.filter((image) => datasets.includes(image.dataset));
      if (todo.length === 0) continue;
      const model = await openSiteModel(entry.name);
      try {
        // Images × classes × methods, in the order the entries list them.
        const items: BatchItem[] = todo.flatMap((image) =>
          image.labels.flatMap((classIndex) => methods.map((method) => ({image: {id: image.id, load: () => image}, method, classRequest: classIndex})))
        );
        const done = await runBatch({model, items, methodOptions: options, out: storeDir, workers, engine});
        if (done.failures.length > 0)
          throw new Error(`precompute: ${entry.name}: ${done.failures[0]!.image} ${done.failures[0]!.method}: ${done.failures[0]!.message}`);
        counts.computed += done.computed;
        counts.reused += done.reused;
        log(`precompute: ${entry.name}: ${done.computed} map(s) computed, ${done.reused} reused (${((performance.now() - started) / 1000).toFixed(1)} s)`);
        for (const image of todo) predictions.push({image: image.id, model: entry.name, probabilities: await probabilities(model, image)});
        for (const row of done.rows) {
          used.add(row.key);
          const record = store.read(row.key)!;
          const {data} = store.readMap(row.key);
          const quantised = new Uint8Array(data.length);
          for (let k = 0; k < quantised.length; k++) quantised[k] = Math.round(Math.min(1, Math.max(0, data[k]!)) * 255);
          entries.push({
            image: record.image,
            model: entry.name,
            method: record.method,
            classIndex: record.classIndex,
            className: record.className,
            score: {mode: record.score.mode as PrecomputedEntry["score"]["mode"], value: Math.round(record.score.value * 1e5) / 1e5},
            layer: record.layer,
            totalMs: Math.round(record.ms * 10) / 10,
            map: maps.length,
            width: record.width,
            height: record.height,
            forward: record.passes.forward,
            ...(record.masksPerLayer ? {masksPerLayer: record.masksPerLayer} : {})
          });
          maps.push(quantised);
        }
      } finally {
        model.dispose();
      }
    }
    const removed = cache ? store.prune(used) : 0;
    if (removed > 0) log(`precompute: removed ${removed} cached map(s) no build input uses any more`);
  } finally {
    if (!cache) rmSync(storeDir, {recursive: true, force: true});
  }
  log(`precompute: ${counts.computed} map(s) computed, ${counts.reused} reused from ${cache ? storeDir : "nowhere (SALIENCY_SITE_CACHE=off)"}`);
  const total = maps.reduce((s, m) => s + m.length, 0);
  const all = new Uint8Array(total);
  let offset = 0;
  for (const m of maps) {
    all.set(m, offset);
    offset += m.length;
  }
  const meta: PrecomputedMeta = {
    profile: profile.name,
    backend: backend.backend,
    provider: backend.provider,
    generated: new Date().toISOString(),
    methods: methods.map((name) => ({name, title: getMethod(name).title, options: options[name] ?? {}})),
    models,
    predictions,
    entries,
    seconds: Math.round((performance.now() - started) / 100) / 10
  };
  return pack(meta, [{name: "maps", bytes: all}]);
}

/** The precomputed file; every map is looked up in (or added to) the result store first. */
export function precomputedFile(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<Uint8Array> {
  return precompute(log);
}
