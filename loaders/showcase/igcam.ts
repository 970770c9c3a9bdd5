/**
 * Where Integrated Grad-CAM differs from Grad-CAM: at build time, every gallery image × model ×
 * block-end layer (the image's own class) is explained by both, and the view where the path
 * integral changes the map most becomes the Integrated Grad-CAM page's default. With it come the
 * numbers the page uses to say why it differs there: the class score along the path (where it
 * saturates) and how far apart the two maps are. Cached like the precomputed maps.
 */
import {join} from "node:path";
import * as tf from "@tensorflow/tfjs";
import {ExplainableModel} from "../../src/lib/model/adapter.js";
import {loadLayersModelFromParts, metaFromCard} from "../../src/lib/model/load.js";
import {partBuffer, unpack} from "../../src/lib/format/pack.js";
import type {PackedModelMeta} from "../../src/lib/format/site-data.js";
import {getMethod} from "../../src/lib/methods/registry.js";
import {integratedGradCam} from "../../src/lib/methods/igcam.js";
import {selectNodeBackend} from "../backend.js";
import {siteConfig} from "../site/config.js";
import {imageSetFiles, loadImageSets} from "../site/gallery.js";
import {modelEntries, packModel, type SiteModelEntry} from "../site/models.js";
import {REPO_ROOT, siteProfile} from "../site/paths.js";
import {cachedBytes, contentKey} from "../site/cache.js";

export interface IgcamCandidate {
  model: string;
  image: string;
  layer: string;
  classIndex: number;
  /** Mean |IG-CAM − Grad-CAM| of the two [0, 1] maps. */
  meanAbsDifference: number;
  /** Pearson correlation of the two maps. */
  correlation: number;
}

export interface IgcamShowcase {
  available: boolean;
  /** Why there is no showcase (no model or no images). */
  reason?: string;
  /** The chosen view; the page opens on it. */
  best?: IgcamCandidate & {
    className: string;
    steps: number;
    /** The class score (logit) at each path point j/m, and the points. */
    pathScores: number[];
    fractions: number[];
    /** The first j/m where the score has made 90% of its rise from the baseline to the image. */
    saturatesAt: number;
    /** The model's probability for the class on the image. */
    probability: number;
  };
  /** Every view compared, most different first. */
  candidates: IgcamCandidate[];
  steps: number;
  seconds: number;
}

function stats(a: Float32Array, b: Float32Array): {mad: number; r: number} {
  let mad = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) {
    mad += Math.abs(a[i]! - b[i]!);
    sa += a[i]!;
    sb += b[i]!;
  }
  const ma = sa / a.length;
  const mb = sb / b.length;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += (a[i]! - ma) * (b[i]! - mb);
    aa += (a[i]! - ma) ** 2;
    bb += (b[i]! - mb) ** 2;
  }
  return {mad: mad / a.length, r: aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 1};
}

async function openModel(entry: SiteModelEntry): Promise<ExplainableModel> {
  const {meta, parts} = unpack<PackedModelMeta>(packModel(entry.name), entry.name);
  const layersModel = await loadLayersModelFromParts(meta.modelJson as object, async (path) => partBuffer(parts.get(path)!), entry.name);
  return new ExplainableModel(layersModel, {name: entry.name, ...(meta.card ? metaFromCard(meta.card, `${entry.name}/card.json`) : {})});
}

const sameClasses = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((c, i) => c === b[i]);

export async function igcamShowcase(log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Promise<IgcamShowcase> {
  const started = performance.now();
  const steps = integratedGradCam.params.steps.default;
  await selectNodeBackend();
  const {meta: gallery, images} = await loadImageSets(siteProfile().galleryPerDataset);
  // Like the precomputed maps: only the models and image sets the configuration precomputes.
  const config = siteConfig();
  const precomputed = new Set(config.models.filter((m) => m.precompute).map((m) => m.name));
  const precomputedSets = new Set(config.imageSets.filter((set) => set.precompute).map((set) => set.name));
  const candidates: (IgcamCandidate & {className: string; pathScores: number[]; fractions: number[]; probability: number})[] = [];
  for (const entry of modelEntries().filter((m) => precomputed.has(m.name))) {
    const datasets = gallery.datasets
      .filter((d) => precomputedSets.has(d.name) && (d.name === entry.dataset || sameClasses(entry.classNames, d.classes)))
      .map((d) => d.name);
    const todo = images.filter((image) => datasets.includes(image.dataset));
    if (todo.length === 0) continue;
    const model = await openModel(entry);
    try {
      const layers = [...new Set([...model.blockEnds, model.defaultCamLayer])];
      for (const image of todo) {
        const probabilities = tf.tidy(() => {
          const pixels = tf.image.resizeBilinear(
            tf.tensor4d(Float32Array.from(image.rgb), [1, image.height, image.width, 3]),
            [model.inputHeight, model.inputWidth],
            false,
            true
          );
          return tf.softmax(model.logits(pixels as tf.Tensor4D));
        });
        const p = await probabilities.data();
        probabilities.dispose();
        // Only images the model gets right: a showcase should explain a correct prediction.
        const top = p.indexOf(Math.max(...p));
        if (top !== image.label) continue;
        for (const layer of layers) {
          const options = {classIndex: image.label, layer};
          const gradcam = await getMethod("gradcam").explain(model, image, options);
          const igcam = await getMethod("igcam").explain(model, image, {...options, steps});
          const a = igcam.map.data;
          const b = gradcam.map.data;
          // A blank map (all zero after the ReLU) makes any difference meaningless.
          if (Math.max(...a) <= 0 || Math.max(...b) <= 0) continue;
          const {mad, r} = stats(a, b);
          const inter = igcam.intermediates as {pathScores: number[] | Float32Array; fractions: number[] | Float32Array};
          candidates.push({
            model: entry.name,
            image: image.id,
            layer,
            classIndex: image.label,
            className: igcam.className,
            meanAbsDifference: Math.round(mad * 1e5) / 1e5,
            correlation: Math.round(r * 1e5) / 1e5,
            pathScores: Array.from(inter.pathScores, (v) => Math.round(v * 1e4) / 1e4),
            fractions: Array.from(inter.fractions, (v) => Math.round(v * 1e4) / 1e4),
            probability: Math.round(p[image.label]! * 1e4) / 1e4
          });
        }
      }
      log(`igcam showcase: ${entry.name} done (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    } finally {
      model.dispose();
    }
  }
  candidates.sort((x, y) => y.meanAbsDifference - x.meanAbsDifference);
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  const best = candidates[0];
  if (!best) return {available: false, reason: "no model explains a gallery image it classifies correctly", candidates: [], steps, seconds};
  const s0 = best.pathScores[0]!;
  const s1 = best.pathScores[best.pathScores.length - 1]!;
  const at = best.pathScores.findIndex((s) => (s1 >= s0 ? s >= s0 + 0.9 * (s1 - s0) : s <= s0 + 0.9 * (s1 - s0)));
  return {
    available: true,
    best: {...best, steps, saturatesAt: best.fractions[Math.max(0, at)]!},
    candidates: candidates.map(({model, image, layer, classIndex, meanAbsDifference, correlation}) => ({
      model,
      image,
      layer,
      classIndex,
      meanAbsDifference,
      correlation
    })),
    steps,
    seconds
  };
}

/** igcamShowcase() as JSON, reusing the last result while nothing it depends on has changed. */
export async function igcamShowcaseFile(): Promise<Uint8Array> {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const key = contentKey(
    [join(REPO_ROOT, "src", "lib"), join(REPO_ROOT, "loaders", "showcase"), ...siteConfig().models.map((m) => m.directory), ...imageSetFiles()],
    [JSON.stringify(siteProfile()), JSON.stringify(siteConfig()), process.env.SALIENCY_BACKEND ?? "auto"]
  );
  return cachedBytes(`igcam-showcase-${siteProfile().name}`, key, async () => new TextEncoder().encode(JSON.stringify(await igcamShowcase(log))), log);
}
