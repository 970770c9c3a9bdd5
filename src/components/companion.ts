/**
 * Components for authors: a paper's companion page in under thirty lines (the "Write a companion
 * page" page shows how; src/templates/companion.md is a page to copy). One call gives a whole live
 * explanation, and the pieces work on their own:
 *
 *   import {explainer, cascadeView} from "./components/companion.js";
 *   const sise = view(explainer({method: "sise", params: {maxMasks: 8}, controls: ["mu"]}));
 *   display(sise ? cascadeView(sise) : "Computing…");
 *
 * - `explainer(options)`: the pickers it is asked for (model, image, class), the method's
 *   controls, the run with progress and Cancel, and the map view; a view whose value is the
 *   result (an Explanation with its `image` and `modelName`), null until the first run ends.
 * - `loadSite()`, `modelPicker`, `liveModel`, `imagePicker` (gallery, upload, URL),
 *   `classPickerFor`: the live pages' setup (the site's models and gallery, the backend, the
 *   loaded model, the image and the class), one cell each.
 * - `methodControls(method, model)`: the method's parameters as controls, from its parameter
 *   declaration (src/lib/explain/param-types.ts), the same ranges and defaults as the engine.
 * - `mapView(result)`: the image, the map over it, the map alone, a legend, ground-truth outlines,
 *   and a difference against a second result. `resultPanels` gives the same panels for figures.
 * - `cascadeView(result)`: SISE's / Ada-SISE's fusion, layer by layer.
 * - `pathView(result)`: Integrated Grad-CAM's path: the inputs, each step's map, the running sum.
 * - `sweep(method, param, values, {model, image, ...})`: one map per value as small multiples and a Plot chart
 *   of a metric over the values.
 *
 * They build on the site's own pieces (run.ts, class-picker.ts, method-params.ts, draw.ts,
 * difference.ts, live.ts): a page made with them looks and behaves like the site's pages.
 */
import * as Inputs from "@observablehq/inputs";
import * as Plot from "@observablehq/plot";
import type {Explanation, Progress} from "../lib/explain/types.js";
import {readGallery, groundTruthMask, decodeRle, type Gallery, type GalleryImage, type SiteModelEntry} from "../lib/format/site-data.js";
import type {ExplainableModel} from "../lib/model/adapter.js";
import {resizeBilinear, resizeBilinearArray, type ColormapName, type SaliencyMap} from "../lib/maps/index.js";
import {ebpg, pointingGame} from "../lib/metrics/index.js";
import {getMethod} from "../lib/methods/registry.js";
import {BACKEND_CHOICES, modelPace, useBackend, type BackendChoice, type BackendStatus} from "./backend.js";
import {classPicker, type ClassPickerOptions} from "./class-picker.js";
import {bindUrl, parseChoice, setUrlParams, urlParam, urlValue} from "./controls.js";
import {differenceLegend, differencePanel} from "./difference.js";
import {embedFigure, isEmbed} from "./embed.js";
import {argmaxPoint, colorLegend, formatNumber, groundTruthOutlines, mapView as drawMap, type DrawColormap} from "./draw.js";
import type {FigurePanel} from "./figure.js";
import {imageFromBlob, topPredictions} from "./images.js";
import {backendSummary, modelInput, publishResult} from "./live.js";
import {control as paramControl, controlledParams, methodOptions} from "./method-params.js";
import {loadSiteModel} from "./models.js";
import {pacedOptions, type ProbeTiming} from "./pace.js";
import {defaultImageId, imagePicker as galleryPicker, imagesForModel, imageTitle} from "./picker.js";
import {errorBox, taskStatus, type RunState} from "./run.js";
import {galleryFile, modelIndex, modelSlots, wasmBackend} from "./site-files.js";

/** An image to explain: a gallery image, or one the reader uploaded or fetched (no ground truth). */
export interface PickedImage {
  id: string;
  width: number;
  height: number;
  rgb: Uint8Array;
  /** The gallery's label (the class pickers start there); absent for the reader's own images. */
  label?: number;
  labels?: number[];
  instances?: GalleryImage["instances"];
  dataset?: string;
}

/** What an explainer's value is: the method's Explanation, with the image and model it explains. */
export type ExplainerResult = Explanation & {image: PickedImage; modelName: string};

export interface Site {
  gallery: Gallery;
  /** The build's models that have gallery images to explain. */
  models: SiteModelEntry[];
}

let sitePromise: Promise<Site> | null = null;

/** The site's gallery and models (read once per page). */
export function loadSite(): Promise<Site> {
  sitePromise ??= (async () => {
    const gallery = readGallery(await galleryFile.arrayBuffer());
    const models = ((await modelIndex.json()) as SiteModelEntry[]).filter((m) => imagesForModel(gallery, m).length > 0);
    return {gallery, models};
  })();
  return sitePromise;
}

/** The model to explain, from the site's models, kept in the URL ("model"). Value: the model's index entry. */
export function modelPicker(site: Site, options: {prefer?: string; preferDataset?: string} = {}): HTMLElement & {value: SiteModelEntry} {
  return modelInput(site.models, options);
}

/** The backend the URL asks for (?backend=), else automatic. */
export function urlBackend(): BackendChoice {
  return urlValue("backend", "auto" as BackendChoice, parseChoice(BACKEND_CHOICES));
}

export interface LiveModel {
  entry: SiteModelEntry;
  model: ExplainableModel;
  backend: BackendStatus;
  /** How fast the model runs here (the methods' batch sizes follow it). */
  pace: ProbeTiming;
}

let backendQueue: Promise<unknown> = Promise.resolve();

/**
 * The backend set up (the automatic choice probes this model) and the model loaded on it.
 * `invalidation`: the cell's, so a new choice disposes the old model.
 */
export async function liveModel(entry: SiteModelEntry, backendChoice: BackendChoice = urlBackend(), invalidation?: Promise<unknown>): Promise<LiveModel> {
  const slot = modelSlots[entry.slot];
  if (!slot) throw new Error(`model "${entry.name}" has no slot in this build`);
  // One backend switch at a time: two explainers on a page start together, and tfjs's backend is global.
  const switched = backendQueue.then(() =>
    useBackend(backendChoice, wasmBackend, {
      probe: {key: entry.name, load: async () => (await loadSiteModel(entry, slot)).model},
      probeAll: urlParam("probe") === "all"
    })
  );
  backendQueue = switched.catch(() => undefined);
  const backend = await switched;
  const {model} = await loadSiteModel(entry, slot);
  invalidation?.then(() => model.dispose());
  return {entry, model, backend, pace: await modelPace(entry.name, model)};
}

/** The backend status line of a live model (which backend, why, how fast). */
export function backendStatus(live: LiveModel): HTMLElement {
  return backendSummary(live.backend);
}

export interface ImagePickerOptions {
  label?: string;
  /** Offer "Your image" (a file from the reader's disk). Default true. */
  upload?: boolean;
  /** Offer an image by its URL. Default true. */
  url?: boolean;
  /** URL parameter of the gallery choice (null: none). Default "image". */
  urlName?: string | null;
  /** Gallery image to start on (default: the URL's, else the model's first). */
  value?: string;
}

/**
 * The image to explain: the gallery images the model can explain as thumbnails, and (unless
 * turned off) the reader's own image from a file or a URL. Value: the image (PickedImage).
 */
export function imagePicker(site: Site, entry: SiteModelEntry, options: ImagePickerOptions = {}): HTMLElement & {value: PickedImage} {
  const {label = "Test image", upload = true, url = true, urlName = "image"} = options;
  const candidates = imagesForModel(site.gallery, entry);
  const start = options.value ?? (urlName ? urlValue(urlName, defaultImageId(candidates, entry) ?? "") : defaultImageId(candidates, entry));
  const thumbs = galleryPicker({images: candidates, value: start, label});
  if (urlName) bindUrl(thumbs, urlName);
  const root = document.createElement("div") as HTMLDivElement & {value: PickedImage};
  root.className = "sx-image-picker";
  let value: PickedImage = candidates.find((i) => i.id === thumbs.value) ?? candidates[0]!;
  Object.defineProperty(root, "value", {get: () => value});
  const changed = (image: PickedImage) => {
    value = image;
    root.dispatchEvent(new Event("input", {bubbles: true}));
  };
  // The thumbnails' own input events: the value changes first, then the event goes on to the page.
  thumbs.addEventListener("input", (event) => {
    if (event.target !== thumbs) return;
    event.stopPropagation();
    changed(candidates.find((i) => i.id === thumbs.value) ?? candidates[0]!);
  });
  root.append(thumbs);
  if (upload || url) {
    const row = document.createElement("div");
    row.className = "sx-row sx-image-own";
    const note = document.createElement("span");
    note.className = "sx-small";
    note.setAttribute("role", "status");
    const own = async (load: () => Promise<Blob>, name: string) => {
      note.textContent = `Reading ${name}…`;
      try {
        const image = await imageFromBlob(await load(), name);
        note.textContent = `Your image: ${name} (${image.width}×${image.height}, no ground truth)`;
        for (const b of thumbs.querySelectorAll("button")) b.setAttribute("aria-checked", "false");
        changed({id: `own/${name}`, width: image.width, height: image.height, rgb: image.rgb});
      } catch (error) {
        note.textContent = `Cannot read ${name}: ${(error as Error).message}`;
      }
    };
    if (upload) {
      const file = document.createElement("input");
      file.type = "file";
      file.accept = "image/png,image/jpeg,image/webp";
      file.setAttribute("aria-label", "Your image (a PNG or JPEG file)");
      file.addEventListener("input", (event) => event.stopPropagation());
      file.addEventListener("change", () => {
        const chosen = file.files?.[0];
        if (chosen) void own(async () => chosen, chosen.name);
      });
      row.append(file);
    }
    if (url) {
      const form = document.createElement("form");
      const field = document.createElement("input");
      field.type = "url";
      field.placeholder = "https://… image URL";
      field.setAttribute("aria-label", "An image by its URL");
      field.addEventListener("input", (event) => event.stopPropagation());
      const go = document.createElement("button");
      go.type = "submit";
      go.textContent = "Load";
      form.append(field, go);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const address = field.value.trim();
        if (address)
          void own(
            async () => {
              const response = await fetch(address);
              if (!response.ok) throw new Error(`HTTP ${response.status}`);
              return response.blob();
            },
            address.split("/").pop() || address
          );
      });
      row.append(form);
    }
    row.append(note);
    root.append(row);
  }
  return root;
}

/** The class picker for a model and an image: every class, the model's top predictions first (their probabilities), starting on the image's label. */
export async function classPickerFor(
  model: ExplainableModel,
  image: PickedImage,
  options: Partial<ClassPickerOptions> = {}
): Promise<HTMLElement & {value: number}> {
  const predictions = await topPredictions(model, image, model.numClasses);
  return classPicker({classNames: model.meta.classNames, predictions, fallback: image.label, ...options});
}

export interface MethodControlsOptions {
  /** Parameters to offer (default: every parameter the method declares, but class, score and batch size). */
  only?: readonly string[];
  /** Fixed values: passed to the method, offered as the controls' starting values when also controlled. */
  params?: Record<string, unknown>;
  /** Keep the values in the URL (by parameter name). Default true. */
  url?: boolean;
}

/**
 * The method's parameters as controls (sliders, menus, layer choices), from its parameter
 * declaration. Value: the options to pass to the method (the fixed `params` included). Layer
 * choices need the model (its layers); without one, the method's default layers are used.
 */
export function methodControls(
  method: string,
  model?: ExplainableModel | null,
  options: MethodControlsOptions = {}
): HTMLElement & {value: Record<string, unknown>} {
  const {params = {}, url = true} = options;
  const isLayer = (kind: string) => kind === "layer" || kind === "layers";
  const specs = controlledParams(method)
    .filter(([name]) => (options.only ? options.only.includes(name) : !(name in params)))
    .filter(
      ([name, spec]) =>
        model || !isLayer(spec.kind) || (options.only?.includes(name) && fail(`${method}'s ${name} needs the model: methodControls(method, model)`))
    );
  const unknown = (options.only ?? []).filter((name) => !specs.some(([n]) => n === name));
  if (unknown.length)
    throw new Error(
      `${method} has no parameter ${unknown.join(", ")} (it has ${controlledParams(method)
        .map(([n]) => n)
        .join(", ")})`
    );
  const start = (name: string) => (url && urlParam(name) !== null ? urlParam(name) : name in params ? String(params[name]) : null);
  const inputs = Object.fromEntries(specs.map(([name, spec]) => [name, paramControl(name, spec, model!, start(name))]).filter(([, input]) => input !== null));
  const form = Inputs.form(inputs);
  form.classList.add("sx-method-controls");
  const root = document.createElement("div") as HTMLDivElement & {value: Record<string, unknown>};
  root.className = "sx-toolbar sx-method-controls-wrap";
  root.append(form);
  Object.defineProperty(root, "value", {get: () => methodOptions(method, {...params, ...form.value})});
  if (url) {
    const write = () => setUrlParams(Object.fromEntries(Object.keys(inputs).map((name) => [name, String(form.value[name])])));
    form.addEventListener("input", write);
  }
  return root;
}

export interface MapViewOptions {
  colormap?: DrawColormap;
  /** The map's opacity over the image (0–1). Default 0.5. */
  alpha?: number;
  /** Longest side of each panel in CSS px. Default 200. */
  size?: number;
  /** Show the image alone, the map over it, the map alone (defaults: all true). */
  image?: boolean;
  overlay?: boolean;
  mapAlone?: boolean;
  /** Ground-truth outlines of the explained class (and, dashed, the others). Default true. */
  outlines?: boolean;
  /** Mark the map's maximum (the pointing game). Default true. */
  point?: boolean;
  legend?: boolean;
  /** A second result: its difference (this − that) on a diverging scale. */
  difference?: Explanation | null;
  differenceLabel?: string;
  /** The overlay's caption (default: "<method> for “<class>”"). */
  caption?: string;
  /** The image's caption (default: its id). */
  imageCaption?: string;
}

/** The panels of a result, for mapView and for figures (figure.ts). */
export function resultPanels(result: ExplainerResult, options: MapViewOptions = {}): FigurePanel[] {
  const {colormap = "turbo", size = 200} = options;
  const im = result.image;
  const outlines = options.outlines === false || !im.instances ? [] : groundTruthOutlines(im.instances, im.width, im.height, result.classIndex, decodeRle);
  const title = getMethod(result.method).title;
  const panels: FigurePanel[] = [];
  // The pointing game where the class has ground truth: the maximum's mark says hit or miss.
  const truth = im.instances ? groundTruthMask({width: im.width, height: im.height, instances: im.instances} as GalleryImage, result.classIndex) : null;
  const point =
    options.point === false ? null : truth?.some((v) => v) ? {...argmaxPoint(result.map), hit: pointingGame(result.map, truth).hit} : argmaxPoint(result.map);
  if (options.image !== false) panels.push({image: im.rgb, width: im.width, height: im.height, size, outlines, caption: options.imageCaption ?? im.id});
  if (options.overlay !== false) {
    panels.push({
      image: im.rgb,
      map: result.map,
      width: im.width,
      height: im.height,
      size,
      outlines,
      colormap,
      ...(options.alpha === undefined ? {} : {alpha: options.alpha}),
      point,
      caption: options.caption ?? `${title} for “${result.className}”`,
      className: "sx-result",
      title: `${title} explanation`
    });
  }
  if (options.mapAlone !== false) panels.push({map: result.map, width: im.width, height: im.height, size, colormap, caption: "the map alone"});
  if (options.difference) {
    const other = getMethod(options.difference.method).title;
    panels.push(differencePanel(result.map, options.difference.map, {label: options.differenceLabel ?? `${title} − ${other}`, size}));
  }
  return panels;
}

/** A result as a row of views: the image, the map over it, the map alone, the difference to another result, and the legends. */
export function mapView(result: ExplainerResult | null, options: MapViewOptions = {}): HTMLElement {
  const root = document.createElement("div");
  root.className = "sx-row sx-map-view";
  if (!result) {
    root.className = "sx-muted";
    root.textContent = "No map yet.";
    return root;
  }
  const panels = resultPanels(result, options);
  root.append(...panels.map((p) => drawMap(p)));
  if (options.legend !== false) {
    const legends = document.createElement("div");
    legends.className = "sx-map-legends";
    legends.append(colorLegend(options.colormap ?? "turbo"));
    const diff = panels.find((p) => p.colormap === "diverging") as (FigurePanel & {extent: number}) | undefined;
    if (diff) legends.append(differenceLegend(diff.extent));
    root.append(legends);
  }
  return root;
}

interface SiseLayerReport {
  layer: string;
  channels: number;
  selectedCount: number;
  map: SaliencyMap;
}
interface SiseFusion {
  layers: string[];
  initial: SaliencyMap;
  steps: {fused: SaliencyMap; gate: SaliencyMap; threshold: number}[];
}

const scaledToMax = (m: SaliencyMap): SaliencyMap => {
  let hi = 0;
  for (const v of m.data) hi = Math.max(hi, v);
  return {width: m.width, height: m.height, data: m.data.map((v) => v / (hi || 1))};
};

/** An image's pixels at another size (the layer maps are at the model's input size). */
function pixelsAt(image: PickedImage, width: number, height: number): Uint8Array {
  if (image.width === width && image.height === height) return image.rgb;
  return Uint8Array.from(resizeBilinearArray(Float32Array.from(image.rgb), image.width, image.height, width, height, 3), (v) => Math.round(v));
}

/** SISE's (or Ada-SISE's) fused map after each layer, for figures: one panel per layer. */
export function cascadePanels(result: ExplainerResult, options: {colormap?: DrawColormap; size?: number} = {}): FigurePanel[] {
  const f = result.intermediates?.fusion as SiseFusion | undefined;
  if (!f) return [];
  return f.layers.map((name, i) => {
    const fused = i === 0 ? f.initial : f.steps[i - 1]!.fused;
    return {
      map: scaledToMax(fused),
      width: fused.width,
      height: fused.height,
      size: options.size,
      colormap: options.colormap ?? "turbo",
      caption: `fused after ${name}`
    };
  });
}

/**
 * SISE's fusion cascade, one column per layer (shallow to deep): the layer map V, its gate
 * (Otsu threshold; soft: a steep sigmoid), and the running explanation E over the image.
 */
export function cascadeView(result: ExplainerResult, options: {colormap?: DrawColormap; size?: number} = {}): HTMLElement {
  const {colormap = "turbo", size = 132} = options;
  const f = result.intermediates?.fusion as SiseFusion | undefined;
  const reports = (result.intermediates?.layers ?? []) as SiseLayerReport[];
  const wrap = document.createElement("div");
  if (!f) {
    wrap.className = "sx-note";
    wrap.textContent = "Every layer was skipped: no channel had a positive average gradient.";
    return wrap;
  }
  wrap.style.overflowX = "auto";
  const {width: w, height: h} = f.initial;
  const shown = pixelsAt(result.image, w, h);
  const byLayer = new Map(reports.map((r) => [r.layer, r]));
  const table = document.createElement("table");
  table.className = "sx-matrix sx-cascade";
  const row = (head: string | null, cells: (Node | string)[], rowhead = true) => {
    const tr = table.insertRow();
    const th = document.createElement("th");
    if (rowhead) th.className = "sx-rowhead";
    th.textContent = head ?? "";
    tr.append(th);
    for (const content of cells) {
      const cell = document.createElement(head === null ? "th" : "td");
      cell.append(content);
      tr.append(cell);
    }
  };
  const heading = (name: string) => {
    const span = document.createElement("span");
    const r = byLayer.get(name);
    span.append(name, document.createElement("br"));
    const count = document.createElement("span");
    count.className = "sx-muted";
    count.textContent = r ? `${r.selectedCount} / ${r.channels} masks` : "";
    span.append(count);
    return span;
  };
  const noGate = () => {
    const d = document.createElement("div");
    d.className = "sx-muted";
    d.style.cssText = `width:${size}px;text-align:center`;
    d.textContent = "first layer: no gate";
    return d;
  };
  row(null, f.layers.map(heading), false);
  row(
    "layer map V",
    f.layers.map((name) => drawMap({map: byLayer.get(name)!.map, width: w, height: h, size, colormap}))
  );
  row(
    "gate",
    f.layers.map((_, i) => {
      const step = i === 0 ? null : f.steps[i - 1]!;
      return step ? drawMap({map: step.gate, width: w, height: h, size, colormap: "gray", caption: `t = ${step.threshold.toFixed(3)}`}) : noGate();
    })
  );
  row(
    "fused E",
    f.layers.map((name, i) =>
      drawMap({
        image: shown,
        map: scaledToMax(i === 0 ? f.initial : f.steps[i - 1]!.fused),
        width: w,
        height: h,
        size,
        colormap,
        caption: i === f.layers.length - 1 ? "final (before min-max)" : `after ${name}`
      })
    )
  );
  wrap.append(table);
  return wrap;
}

interface PathIntermediates {
  variant: string;
  width: number;
  height: number;
  fractions: ArrayLike<number>;
  pathScores: ArrayLike<number>;
  stepMaps: Float32Array[];
  cumulative: Float32Array[];
}

/**
 * Integrated Grad-CAM's path, up to `columns` steps: the inputs x_j along the path from the
 * baseline (black unless `baseline` gives its pixels), each step's Grad-CAM term L_j on one
 * scale, and the running sum (its last column is the result).
 */
export function pathView(
  result: ExplainerResult,
  options: {colormap?: DrawColormap; size?: number; columns?: number; baseline?: ArrayLike<number>} = {}
): HTMLElement {
  const {colormap = "turbo", size = 84, columns = 8} = options;
  const inter = result.intermediates as unknown as PathIntermediates | undefined;
  const wrap = document.createElement("div");
  wrap.className = "sx-path";
  if (!inter?.stepMaps) {
    wrap.className = "sx-note";
    wrap.textContent = `${result.method} has no path to show (pathView is for Integrated Grad-CAM).`;
    return wrap;
  }
  const im = result.image;
  const m = inter.fractions.length;
  const count = Math.min(columns, m);
  const shown = [...new Set(Array.from({length: count}, (_, i) => Math.round(((i + 1) * m) / count) - 1))];
  const up = (data: Float32Array) => resizeBilinear({width: inter.width, height: inter.height, data}, im.width, im.height);
  let stepMax = 0;
  for (const s of inter.stepMaps) for (const v of s) stepMax = Math.max(stepMax, v);
  const normalise = (map: SaliencyMap, hi: number): SaliencyMap => ({
    width: map.width,
    height: map.height,
    data: map.data.map((v) => (hi > 0 ? Math.max(0, v) / hi : 0))
  });
  const stepNumber = (j: number) => (inter.variant === "code" ? j : j + 1);
  const strip = (label: string, cells: Node[]) => {
    const row = document.createElement("div");
    row.className = "sx-strip";
    const head = document.createElement("div");
    head.className = "sx-strip-label";
    head.textContent = label;
    row.append(head, ...cells);
    return row;
  };
  const baseline = options.baseline ?? (result.options.baseline === undefined || result.options.baseline === "black" ? new Uint8Array(im.rgb.length) : null);
  if (baseline) {
    wrap.append(
      strip(
        "input x_j",
        shown.map((j) => {
          const a = inter.fractions[j]!;
          const rgb = new Uint8Array(im.rgb.length);
          for (let i = 0; i < rgb.length; i++) rgb[i] = Math.round(baseline[i]! + a * (im.rgb[i]! - baseline[i]!));
          return drawMap({image: rgb, width: im.width, height: im.height, size, caption: `j = ${stepNumber(j)} · ${a.toFixed(2)}`});
        })
      )
    );
  }
  wrap.append(
    strip(
      "step map L_j",
      shown.map((j) =>
        drawMap({
          map: normalise(up(inter.stepMaps[j]!), stepMax),
          width: im.width,
          height: im.height,
          size,
          colormap,
          caption: `score ${formatNumber(inter.pathScores[j])}`
        })
      )
    ),
    strip(
      "running sum",
      shown.map((j) => {
        const sum = up(inter.cumulative[j]!);
        let hi = 0;
        for (const v of sum.data) hi = Math.max(hi, v);
        return drawMap({
          image: im.rgb,
          map: normalise(sum, hi),
          width: im.width,
          height: im.height,
          size,
          colormap,
          caption: j === m - 1 ? "= result" : `Σ to j = ${stepNumber(j)}`
        });
      })
    )
  );
  return wrap;
}

/** A metric of a result for sweeps: EBPG (% of the map's energy inside the class's ground truth) where there is one, else the class score. */
export function defaultMetric(result: ExplainerResult): {name: string; value: number} {
  const im = result.image;
  const truth = im.instances
    ? groundTruthMask(
        {
          ...im,
          label: im.label ?? result.classIndex,
          labels: im.labels ?? [],
          instances: im.instances,
          dataset: im.dataset ?? "",
          file: im.id,
          className: ""
        } as GalleryImage,
        result.classIndex
      )
    : null;
  if (truth && truth.some((v) => v)) return {name: "EBPG (% of the map inside the object)", value: 100 * ebpg(result.map, truth)};
  return {name: `score (${result.score.mode})`, value: result.score.value};
}

const fail = (message: string): never => {
  throw new Error(message);
};

/** What a sweep explains: the model and image (an explainer's result, spread, has image and modelName), and the fixed settings. */
export interface SweepOptions {
  model: ExplainableModel;
  image: PickedImage;
  classIndex?: number;
  /** The other parameters (fixed). */
  params?: Record<string, unknown>;
  modelName?: string;
  /** Default: defaultMetric (EBPG where there is ground truth, else the score). */
  metric?: (result: ExplainerResult) => {name: string; value: number};
  colormap?: DrawColormap;
  size?: number;
  pace?: ProbeTiming | null;
}

/**
 * A parameter sweep: `method` run once per value of `param` (in turn, with progress and Cancel),
 * each map as a small multiple, and a Plot chart of the metric over the values. Value: the rows
 * ({value, result, metric}) once every run is done.
 *
 *   sweep("sise", "mu", [-0.5, 0, 0.5], {model, image, classIndex, params: {maxMasks: 4}})
 */
export function sweep(
  method: string,
  param: string,
  values: readonly unknown[],
  options: SweepOptions
): HTMLElement & {value: {value: unknown; result: ExplainerResult; metric: number}[] | null} {
  const {model, image, colormap = "turbo", size = 96, metric = defaultMetric} = options;
  if (!controlledParams(method).some(([name]) => name === param)) fail(`${method} has no parameter "${param}" to sweep`);
  const root = document.createElement("div") as HTMLDivElement & {value: {value: unknown; result: ExplainerResult; metric: number}[] | null};
  root.className = "sx-sweep";
  root.value = null;
  const status = document.createElement("div");
  const grid = document.createElement("div");
  grid.className = "sx-row sx-sweep-maps";
  const chart = document.createElement("div");
  root.append(status, grid, chart);
  const controller = new AbortController();
  const started = performance.now();
  const state = (s: Partial<RunState<unknown>>): RunState<unknown> => ({
    status: "running",
    label: `${getMethod(method).title} over ${param}`,
    progress: null,
    elapsedMs: performance.now() - started,
    cancel: () => controller.abort(),
    ...s
  });
  void (async () => {
    const rows: {value: unknown; result: ExplainerResult; metric: number}[] = [];
    let metricName = "";
    try {
      for (const [i, v] of values.entries()) {
        const progress: Progress = {
          done: i,
          total: values.length,
          stage: `${param} = ${String(v)}`,
          elapsedMs: performance.now() - started,
          remainingMs: i ? ((performance.now() - started) / i) * (values.length - i) : 0
        };
        status.replaceChildren(taskStatus(state({progress})));
        const explanation = await getMethod(method).explain(model, image, {
          ...(options.params ?? {}),
          [param]: v,
          ...(options.classIndex === undefined ? {} : {classIndex: options.classIndex}),
          signal: controller.signal,
          ...pacedOptions(method, model, options.pace ?? null)
        });
        const result: ExplainerResult = {...explanation, image, modelName: options.modelName ?? model.meta.name};
        const measured = metric(result);
        metricName = measured.name;
        rows.push({value: v, result, metric: measured.value});
        grid.append(
          drawMap({
            image: image.rgb,
            map: result.map,
            width: image.width,
            height: image.height,
            size,
            colormap,
            caption: `${param} = ${String(v)} · ${formatNumber(measured.value)}`
          })
        );
      }
      status.replaceChildren(taskStatus(state({status: "done", result: rows}), () => `${values.length} maps`));
      const numeric = rows.every((r) => typeof r.value === "number" && Number.isFinite(r.value));
      chart.replaceChildren(
        Plot.plot({
          ariaLabel: `Line chart: ${metricName} for each ${param}`,
          height: 220,
          marginLeft: 56,
          x: {label: `${param} →`, ...(numeric ? {} : {type: "point"})},
          y: {label: `↑ ${metricName}`, grid: true},
          marks: [
            Plot.line(rows, {x: (r) => (numeric ? r.value : String(r.value)), y: "metric", stroke: "#c2410c"}),
            Plot.dot(rows, {x: (r) => (numeric ? r.value : String(r.value)), y: "metric", fill: "#c2410c"})
          ]
        })
      );
      root.value = rows;
      root.dispatchEvent(new Event("input", {bubbles: true}));
    } catch (error) {
      status.replaceChildren(
        controller.signal.aborted ? taskStatus(state({status: "cancelled"})) : taskStatus(state({status: "error", error: error as Error}))
      );
    }
  })();
  return root;
}

export interface ExplainerOptions {
  /** The method's registry name ("sise", "igcam", "gradcam", ...). */
  method: string;
  /** A model by name; absent: a model picker. */
  model?: string;
  /** A gallery image by id; absent: an image picker (gallery, upload, URL). */
  image?: string;
  /** A class index; absent: a class picker (the model's top predictions first). */
  classIndex?: number;
  /** Fixed parameters of the method. */
  params?: Record<string, unknown>;
  /** Parameters offered as controls: a list, true (all the method declares, less the fixed ones) or false (none). Default true. */
  controls?: readonly string[] | boolean;
  /** Keep the pickers' and controls' values in the URL. Default true (one explainer per page). */
  url?: boolean;
  /** The view of a result (default: mapView with these options). */
  view?: MapViewOptions | ((result: ExplainerResult) => Node);
  /** Key under which the result is published for tests (window.saliencyExplorer). Default: the method. */
  key?: string;
}

let explainers = 0;

/**
 * A whole live explanation in one call: the pickers and controls asked for, the run (progress,
 * Cancel; a change re-runs), and the result's view. A view (Framework: `view(explainer(...))`)
 * whose value is the latest result (ExplainerResult), null until the first run ends.
 */
export function explainer(options: ExplainerOptions): HTMLElement & {value: ExplainerResult | null} {
  const {method, url = true, key = method} = options;
  getMethod(method); // an unknown method fails here, with the list of methods
  const root = document.createElement("div") as HTMLDivElement & {value: ExplainerResult | null};
  root.className = "sx-explainer";
  root.id = `sx-explainer-${++explainers}`;
  let value: ExplainerResult | null = null;
  Object.defineProperty(root, "value", {get: () => value});
  // Only the result's arrival is this view's input: the inner controls' events stop here.
  root.addEventListener("input", (event) => {
    if (event.target !== root) event.stopImmediatePropagation();
  });
  const pickers = document.createElement("div");
  pickers.className = "sx-toolbar";
  const images = document.createElement("div");
  const settings = document.createElement("div");
  settings.className = "sx-toolbar";
  const status = document.createElement("div");
  status.className = "sx-run";
  const out = document.createElement("div");
  out.className = "sx-result-wrap";
  root.append(pickers, images, settings, status, out);

  let live: LiveModel | null = null;
  let image: PickedImage | null = null;
  let classInput: (HTMLElement & {value: number}) | null = null;
  let controls: (HTMLElement & {value: Record<string, unknown>}) | null = null;
  let current: AbortController | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const fail = (error: unknown, context: string) => {
    out.classList.remove("sx-stale");
    out.replaceChildren(errorBox(error, context));
  };

  const colormap = (urlParam("colormap") as ColormapName | null) ?? "turbo";
  // Under ?embed the explainer is the page's figure (./embed.ts): its result as the figure export draws it, sized to the frame.
  const embedded = isEmbed();
  if (embedded) out.append(embedFigure(null));
  const render = (result: ExplainerResult) =>
    embedded
      ? embedFigure({
          title: `${getMethod(method).title} · “${result.className}” · ${result.modelName}`,
          rows: [resultPanels(result, {colormap, size: 200, ...(typeof options.view === "object" ? options.view : {})})],
          colormap
        })
      : typeof options.view === "function"
        ? options.view(result)
        : mapView(result, {colormap, ...options.view});

  const run = () => {
    if (!live || !image) return;
    current?.abort();
    const controller = new AbortController();
    current = controller;
    const {model, pace, entry} = live;
    const picked = image;
    const started = performance.now();
    const label = getMethod(method).title;
    const show = (s: Partial<RunState<ExplainerResult>>) =>
      status.replaceChildren(
        taskStatus(
          {status: "running", label, progress: null, elapsedMs: performance.now() - started, cancel: () => controller.abort(), ...s},
          (r) => `on ${r.backend}`
        )
      );
    show({});
    if (value) out.classList.add("sx-stale");
    const classIndex = options.classIndex ?? classInput?.value;
    getMethod(method)
      .explain(model, picked, {
        ...(options.params ?? {}),
        ...(controls?.value ?? {}),
        ...(classIndex === undefined ? {} : {classIndex}),
        signal: controller.signal,
        onProgress: (progress: Progress) => show({progress}),
        ...pacedOptions(method, model, pace)
      })
      .then(
        (explanation) => {
          if (current !== controller) return;
          value = {...explanation, image: picked, modelName: entry.name};
          show({status: "done", result: value});
          out.classList.remove("sx-stale");
          out.replaceChildren(render(value));
          publishResult(key, explanation);
          root.dispatchEvent(new Event("input", {bubbles: true}));
        },
        (error: Error) => {
          if (current !== controller) return;
          show({status: controller.signal.aborted ? "cancelled" : "error", error});
        }
      );
  };
  const soon = () => {
    clearTimeout(timer);
    timer = setTimeout(run, 120);
  };

  const setImage = async (picked: PickedImage) => {
    image = picked;
    if (options.classIndex === undefined && live) {
      const picker = await classPickerFor(live.model, picked, {urlName: url ? "class" : null});
      picker.addEventListener("input", soon);
      classInput?.remove();
      classInput = picker;
      pickers.append(picker);
    }
    run();
  };

  const setModel = async (site: Site, entry: SiteModelEntry) => {
    current?.abort();
    try {
      status.replaceChildren(taskStatus({status: "running", label: `Loading ${entry.name}`, progress: null, elapsedMs: 0, cancel: () => {}}));
      live?.model.dispose();
      live = null;
      live = await liveModel(entry);
      const optionsOf = options.controls === false ? [] : Array.isArray(options.controls) ? options.controls : undefined;
      controls = methodControls(method, live.model, {only: optionsOf, params: options.params, url});
      controls.addEventListener("input", soon);
      settings.replaceChildren(...(optionsOf && optionsOf.length === 0 ? [] : [controls]));
      let first: PickedImage | undefined;
      if (options.image !== undefined) {
        first = site.gallery.byId.get(options.image);
        if (!first) throw new Error(`no gallery image "${options.image}" in this build`);
        images.replaceChildren();
      } else {
        const picker = imagePicker(site, entry, {urlName: url ? "image" : null});
        picker.addEventListener("input", () => void setImage(picker.value).catch((e) => fail(e, "Image")));
        images.replaceChildren(picker);
        first = picker.value;
      }
      await setImage(first);
    } catch (error) {
      fail(error, `Cannot explain with ${entry.name}`);
      status.replaceChildren();
    }
  };

  void (async () => {
    try {
      const site = await loadSite();
      if (site.models.length === 0) throw new Error("no model with gallery images is in this build");
      if (options.model !== undefined) {
        const entry = site.models.find((m) => m.name === options.model);
        if (!entry) throw new Error(`no model "${options.model}" in this build (it has ${site.models.map((m) => m.name).join(", ")})`);
        await setModel(site, entry);
      } else {
        const picker = url
          ? modelPicker(site)
          : (Inputs.select(site.models, {label: "Model", format: (m: SiteModelEntry) => m.name}) as HTMLElement & {value: SiteModelEntry});
        picker.addEventListener("input", () => void setModel(site, picker.value));
        pickers.append(picker);
        await setModel(site, picker.value);
      }
    } catch (error) {
      fail(error, "The explainer cannot start");
    }
  })();
  return root;
}

export {classPicker, imageTitle};
