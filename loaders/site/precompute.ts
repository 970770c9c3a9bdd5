/**
 * Maps precomputed at build time for the Compare page and the Overview gallery: every gallery
 * image × every model trained on its data set (or with the same class list) × every method ×
 * every class in the image. Maps are quantised to bytes (v·255, rounded): one Uint8 part holds
 * them all, in `entries` order, so the page downloads one file and makes no copies.
 */
import {availableParallelism} from "node:os";
import * as tf from "@tensorflow/tfjs";
import {WorkerPool} from "../pool/pool.js";
import {inParallelIf} from "../pool/tasks.js";
import {pack} from "../../src/lib/format/pack.js";
import {ExplainableModel} from "../../src/lib/model/adapter.js";
import {loadLayersModelFromParts, metaFromCard} from "../../src/lib/model/load.js";
import {getMethod, METHODS} from "../../src/lib/methods/registry.js";
import type {Explanation} from "../../src/lib/explain/types.js";
import {selectNodeBackend} from "../backend.js";
import {loadGallery, type LoadedGalleryImage} from "./gallery.js";
import {modelEntries, packModel, type SiteModelEntry} from "./models.js";
import {siteProfile, type SiteProfile} from "./paths.js";
import {unpack, partBuffer} from "../../src/lib/format/pack.js";
import type {PackedModelMeta, PrecomputedEntry, PrecomputedMeta, PrecomputedPrediction} from "../../src/lib/format/site-data.js";

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

async function openSiteModel(entry: SiteModelEntry): Promise<ExplainableModel> {
  const {meta, parts} = unpack<PackedModelMeta>(packModel(entry.name), entry.name);
  const layersModel = await loadLayersModelFromParts(meta.modelJson as object, async (path) => partBuffer(parts.get(path)!), entry.name);
  return new ExplainableModel(layersModel, {name: entry.name, ...(meta.card ? metaFromCard(meta.card, `${entry.name}/card.json`) : {})});
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

export async function precompute(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<Uint8Array> {
  const started = performance.now();
  const profile = siteProfile();
  const backend = await selectNodeBackend();
  const models = modelEntries();
  const {meta: gallery, images} = loadGallery(profile.galleryPerDataset);
  const options = methodOptions(profile);
  const workers = precomputeWorkers();
  const methods = profile.methods.filter((name) => {
    if (METHODS[name]) return true;
    log(`precompute: method "${name}" is not in the registry; skipped`);
    return false;
  });
  const entries: PrecomputedEntry[] = [];
  const predictions: PrecomputedPrediction[] = [];
  const maps: Uint8Array[] = [];
  for (const entry of models) {
    const datasets = gallery.datasets.filter((d) => modelsForDataset([entry], d.name, d.classes).length > 0).map((d) => d.name);
    const todo = images.filter((image) => datasets.includes(image.dataset));
    if (todo.length === 0) continue;
    const model = await openSiteModel(entry);
    // Images × classes × methods are independent: spread them over every core (identical maps).
    const pool = workers > 1 ? await WorkerPool.create(model, {size: workers}) : null;
    const explain = (name: string, image: LoadedGalleryImage, options: Record<string, unknown>): Promise<Explanation> =>
      pool ? pool.explainImage(name, image, options) : getMethod(name).explain(model, image, options);
    try {
      // With a pool every job is queued at once; results are read in image, class, method order.
      const perImage = todo.map((image) => async () => {
        const jobs = image.labels.flatMap((classIndex) =>
          methods.map((name) => async () => ({name, result: await explain(name, image, {...options[name], classIndex})}))
        );
        const results = await inParallelIf(pool !== null, jobs);
        log(`precompute: ${entry.name} ${image.id} done (${((performance.now() - started) / 1000).toFixed(1)} s)`);
        return results;
      });
      const done = await inParallelIf(pool !== null, perImage);
      for (const [i, image] of todo.entries()) {
        predictions.push({image: image.id, model: entry.name, probabilities: await probabilities(model, image)});
        for (const {name, result} of done[i]!) {
          const quantised = new Uint8Array(result.map.data.length);
          for (let k = 0; k < quantised.length; k++) quantised[k] = Math.round(Math.min(1, Math.max(0, result.map.data[k]!)) * 255);
          const layers = (result.intermediates as {layers?: {layer: string; selectedCount: number}[]} | undefined)?.layers;
          entries.push({
            image: image.id,
            model: entry.name,
            method: name,
            classIndex: result.classIndex,
            className: result.className,
            score: {mode: result.score.mode, value: Math.round(result.score.value * 1e5) / 1e5},
            layer: result.layer,
            totalMs: Math.round(result.timings.totalMs * 10) / 10,
            map: maps.length,
            width: result.map.width,
            height: result.map.height,
            forward: result.passes.forward,
            ...(layers ? {masksPerLayer: Object.fromEntries(layers.map((l) => [l.layer, l.selectedCount]))} : {})
          });
          maps.push(quantised);
        }
      }
    } finally {
      await pool?.close();
      model.dispose();
    }
  }
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

/** precompute(), reusing the last result while nothing it depends on has changed. */
export async function precomputedFile(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<Uint8Array> {
  const {REPO_ROOT, dataDirectory} = await import("./paths.js");
  const {join} = await import("node:path");
  const {listSplits} = await import("./gallery.js");
  const {listModelDirectories, modelsDirectory} = await import("./models.js");
  const {contentKey, cachedBytes} = await import("./cache.js");
  const key = contentKey(
    [
      join(REPO_ROOT, "src", "lib"),
      join(REPO_ROOT, "loaders", "site"),
      join(REPO_ROOT, "loaders", "backend.ts"),
      ...listModelDirectories().map((name) => join(modelsDirectory(), name)),
      ...listSplits().map((name) => join(dataDirectory(), name, "test", "annotations.json"))
    ],
    [JSON.stringify(siteProfile()), process.env.SALIENCY_BACKEND ?? "auto"]
  );
  return cachedBytes(`precomputed-${siteProfile().name}`, key, () => precompute(log), log);
}
