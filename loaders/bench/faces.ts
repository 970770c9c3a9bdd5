/**
 * The bench's faces section: model-truth metrics on real photographs. Every method explains the
 * face-expression model's top class on face crops of the committed photos (data/photos/), and is
 * scored without ground truth, as the SISE paper's model-truth evaluation: Drop % / Increase %
 * (top 15% of the map kept) and deletion / insertion AUC on the model's softmax probability,
 * plus the model-randomisation sanity check. The per-crop figures come from the table's own
 * code (image-context.ts, aggregate.ts, sanity.ts), so they mean exactly what they mean there.
 *
 * There are only 7 faces, so each is cropped at three margins and mirrored (6 real views of one
 * face); those views are not independent, so the 95% intervals are over faces (each face's views
 * averaged first, Student's t), not over crops.
 */
import {isSmallFace, mirroredPixels, squareCrop, DEFAULT_FACE_MARGIN, type FaceBox} from "../../src/lib/model/face-crop.js";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {getMethod} from "../../src/lib/methods/registry.js";
import {detectFaces} from "../faces/detect.js";
import {faceInput} from "../faces/face-inputs.js";
import {readPhoto, readPhotoSources} from "../faces/photos.js";
import {mean, methodMetrics} from "./aggregate.js";
import {toCsv} from "./csv.js";
import {edgeDetector} from "./edge-detector.js";
import {imageContexts, imageRow, type ImageContext, type NamedImage} from "./image-context.js";
import {metricIntervals, perImageTerm, type MetricKey} from "./per-image.js";
import {silentProgress, type ProgressLog} from "./progress.js";
import {IMAGE_COLUMNS} from "./results.js";
import {runSanityCheck} from "./sanity.js";
import {benchSettings} from "./settings.js";
import {formatNumber, formatTable, starredRow} from "./table.js";
import type {BenchSettings, ImageRow, SanityResult} from "./types.js";

export const FACES_SCHEMA = "saliency-bench-faces/1";

/** The metrics a crop without ground truth has. */
export const FACE_METRICS = ["drop", "increase", "deletionAuc", "insertionAuc"] as const satisfies readonly MetricKey[];
type FaceMetric = (typeof FACE_METRICS)[number];

/**
 * Extremal Perturbation's SGD iterations here (TorchRay: 800). At 800 it takes ~270 s per 112²
 * crop on this 2-core machine, ~4 h for the section; 200 keeps it near an hour with the rest.
 */
export const FACES_EXTREMAL_ITERATIONS = 200;

export interface FacesSettings {
  /** Crop margins (fraction of the box's longer side on every side). */
  margins: number[];
  /** Each crop also mirrored. */
  mirrored: boolean;
  /** Faces used, in photo order (sources.json) then detector order; undefined: all. */
  maxFaces: number | undefined;
  bench: BenchSettings;
}

export function facesSettings(options: {quick: boolean; methods: string[]; sanityImages?: number; curveSteps?: number}): FacesSettings {
  const bench = benchSettings({
    quick: options.quick,
    methods: options.methods,
    ...(options.sanityImages === undefined ? {} : {sanityImages: options.sanityImages}),
    ...(options.curveSteps === undefined ? {} : {curveSteps: options.curveSteps})
  });
  if (!options.quick && bench.methodOptions.extremal) bench.methodOptions.extremal = {...bench.methodOptions.extremal, iterations: FACES_EXTREMAL_ITERATIONS};
  return options.quick
    ? {margins: [DEFAULT_FACE_MARGIN], mirrored: false, maxFaces: 2, bench}
    : {margins: [0.15, DEFAULT_FACE_MARGIN, 0.4], mirrored: true, maxFaces: undefined, bench};
}

/** One face of one photo, as the detector found it, and the model's reading of its default crop. */
export interface FaceRecord {
  /** "astronaut.jpg#0": photo file and the face's index in the detector's list. */
  id: string;
  photo: string;
  index: number;
  box: FaceBox;
  score: number;
  /** Box shorter than 48 px: the crop is mostly upsampled. */
  small: boolean;
  /** The model's top class and its probability on the plain crop (margin 0.25, not mirrored). */
  predicted: string;
  probability: number;
}

/** A crop the methods explain: one view (margin, mirrored) of one face. */
export interface FaceView extends NamedImage {
  face: string;
  margin: number;
  mirrored: boolean;
}

/** Every view of every face of the committed photos (up to `maxFaces` faces). */
export async function faceViews(
  settings: Pick<FacesSettings, "margins" | "mirrored" | "maxFaces">
): Promise<{faces: Omit<FaceRecord, "predicted" | "probability">[]; views: FaceView[]}> {
  const faces: Omit<FaceRecord, "predicted" | "probability">[] = [];
  const views: FaceView[] = [];
  for (const source of readPhotoSources()) {
    if (settings.maxFaces !== undefined && faces.length >= settings.maxFaces) break;
    const photo = await readPhoto(source.file);
    for (const [index, face] of (await detectFaces(photo)).entries()) {
      if (settings.maxFaces !== undefined && faces.length >= settings.maxFaces) break;
      const id = `${source.file}#${index}`;
      faces.push({id, photo: source.file, index, box: face.box, score: face.score, small: isSmallFace(face.box)});
      for (const margin of settings.margins) {
        const {pixels} = faceInput(photo, face, index, {margin});
        for (const mirrored of settings.mirrored ? [false, true] : [false]) {
          const view = mirrored ? mirroredPixels(pixels) : pixels;
          views.push({...view, file: `${id} margin ${margin}${mirrored ? " mirrored" : ""}`, face: id, margin, mirrored});
        }
      }
    }
  }
  if (faces.length === 0) throw new Error("no face found in the committed photographs (data/photos/)");
  return {faces, views};
}

/** Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom. */
const T_975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069,
  2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042
];

/** t quantile for `df` degrees of freedom: the table, then the Cornish-Fisher expansion (error < 1e-3 past 30). */
export function tQuantile975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`degrees of freedom must be a positive integer, got ${df}`);
  if (df <= T_975.length) return T_975[df - 1]!;
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2);
}

/** Half-width of the t-based 95% interval of a mean of few values; NaN with fewer than 2. */
export function tHalfWidth95(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return Number.NaN;
  const m = mean(values);
  const variance = values.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1);
  return tQuantile975(n - 1) * Math.sqrt(variance / n);
}

/** Each face's mean of a metric's per-crop term over its views, in first-seen order. */
export function perFaceMeans(rows: readonly ImageRow[], faceOf: (row: ImageRow) => string, metric: MetricKey): number[] {
  const byFace = new Map<string, number[]>();
  for (const row of rows) {
    const term = perImageTerm(metric, row);
    if (term === null) continue;
    byFace.set(faceOf(row), [...(byFace.get(faceOf(row)) ?? []), term]);
  }
  return [...byFace.values()].map(mean);
}

export interface FacesMethodResult {
  method: string;
  title: string;
  explainedScore: string;
  crops: number;
  faces: number;
  /** Means over the crops (every face has the same number of views, so also the mean of the face means). */
  metrics: Record<FaceMetric, number>;
  /** 95% half-widths over faces (t, faces − 1 df): the interval to read. */
  faceIntervals: Record<FaceMetric, number>;
  /** 95% half-widths over crops (1.96 standard errors), as if the views were independent: narrower than the truth. */
  cropIntervals: Record<FaceMetric, number>;
  secondsPerCrop: number;
  options: Record<string, unknown>;
}

export interface FacesBenchResult {
  schema: typeof FACES_SCHEMA;
  model: string;
  classes: string[];
  settings: Omit<FacesSettings, "bench"> & {bench: BenchSettings};
  faces: FaceRecord[];
  crops: number;
  methods: FacesMethodResult[];
  sanity: SanityResult | null;
  rows: ImageRow[];
  failures: {method: string; stage: string; message: string}[];
  wallSeconds: number;
}

const pick = (values: Record<string, number | null>): Record<FaceMetric, number> =>
  Object.fromEntries(FACE_METRICS.map((k) => [k, values[k] ?? Number.NaN])) as Record<FaceMetric, number>;

/** Contexts for the model's own top class on each view (no ground truth: the model-truth protocol). */
async function topClassContexts(model: ExplainableModel, views: readonly FaceView[], settings: BenchSettings): Promise<ImageContext<FaceView>[]> {
  // A first pass only reads each view's top class; the second scores that class.
  const probe = await imageContexts(
    model,
    views.map((image) => ({image, classIndex: 0, truth: null})),
    settings
  );
  return imageContexts(
    model,
    probe.map((c) => ({image: c.image, classIndex: c.predicted, truth: null})),
    settings
  );
}

export async function runFacesBench(model: ExplainableModel, settings: FacesSettings, log: ProgressLog = silentProgress): Promise<FacesBenchResult> {
  const start = performance.now();
  const {bench} = settings;
  const {faces: found, views} = await faceViews(settings);
  log(`faces: ${found.length} faces, ${views.length} crops`);
  const contexts = await topClassContexts(model, views, bench);
  const faceOfFile = new Map(views.map((v) => [v.file, v.face]));
  const faceOf = (row: ImageRow) => faceOfFile.get(row.file)!;
  // Each face's plain view: the default margin, not mirrored (else its first view).
  const plainView = (face: string) =>
    contexts.find((c) => c.image.face === face && !c.image.mirrored && c.image.margin === DEFAULT_FACE_MARGIN) ?? contexts.find((c) => c.image.face === face)!;
  const faces: FaceRecord[] = found.map((face) => {
    const plain = plainView(face.id);
    return {...face, predicted: model.meta.classNames[plain.predicted] ?? String(plain.predicted), probability: plain.probability};
  });

  const rows: ImageRow[] = [];
  const methods: FacesMethodResult[] = [];
  const failures: FacesBenchResult["failures"] = [];
  const working: {name: string; method: ReturnType<typeof getMethod>; options: Record<string, unknown>}[] = [];
  for (const name of bench.methods) {
    const method = getMethod(name);
    const options = bench.methodOptions[name] ?? {};
    try {
      const own: ImageRow[] = [];
      let recorded: Record<string, unknown> = {};
      for (const [n, context] of contexts.entries()) {
        const started = performance.now();
        const explanation = await method.explain(model, context.image, {...options, classIndex: context.classIndex});
        const ms = performance.now() - started;
        if (n === 0) recorded = explanation.options;
        // No ground truth, so the pointing tolerance is never used.
        own.push(await imageRow(model.meta.name, name, context, explanation, ms, bench, 0));
        log(`faces: ${name} ${n + 1}/${contexts.length} (${(ms / 1000).toFixed(2)} s)`);
      }
      const {classIndex: _class, ...optionsUsed} = recorded;
      const metrics = methodMetrics(own);
      methods.push({
        method: name,
        title: method.title,
        explainedScore: own[0]!.explainedScore,
        crops: own.length,
        faces: new Set(own.map(faceOf)).size,
        metrics: pick(metrics as unknown as Record<string, number | null>),
        faceIntervals: Object.fromEntries(FACE_METRICS.map((k) => [k, tHalfWidth95(perFaceMeans(own, faceOf, k))])) as Record<FaceMetric, number>,
        cropIntervals: pick(metricIntervals(own)),
        secondsPerCrop: metrics.secondsPerImage,
        options: optionsUsed
      });
      rows.push(...own);
      working.push({name, method, options});
    } catch (error) {
      log(`faces: ${name} FAILED: ${(error as Error).message}`);
      failures.push({method: name, stage: "metrics", message: (error as Error).message});
    }
  }

  let sanity: SanityResult | null = null;
  if (bench.sanityImages > 0 && working.length > 0) {
    // The largest faces' plain crops: randomising the model must change their maps.
    const largest = [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height).slice(0, bench.sanityImages);
    const cases = largest.map((face) => {
      const context = plainView(face.id);
      return {image: context.image, file: context.image.file, classIndex: context.classIndex};
    });
    try {
      sanity = await runSanityCheck(model, [...working, {name: edgeDetector.name, method: edgeDetector, options: {}, control: true}], cases, {
        steps: bench.sanitySteps,
        onProgress: (m) => log(`faces: ${m}`)
      });
    } catch (error) {
      failures.push({method: "*", stage: "sanity", message: (error as Error).message});
    }
  }
  const {bench: _bench, ...shape} = settings;
  return {
    schema: FACES_SCHEMA,
    model: model.meta.name,
    classes: [...model.meta.classNames],
    settings: {...shape, bench},
    faces,
    crops: contexts.length,
    methods,
    sanity,
    rows,
    failures,
    wallSeconds: (performance.now() - start) / 1000
  };
}

const METRIC_COLUMNS: {key: FaceMetric; label: string; better: "higher" | "lower"; digits: number}[] = [
  {key: "drop", label: "Drop % ↓", better: "lower", digits: 2},
  {key: "increase", label: "Increase % ↑", better: "higher", digits: 2},
  {key: "deletionAuc", label: "Deletion AUC ↓", better: "lower", digits: 4},
  {key: "insertionAuc", label: "Insertion AUC ↑", better: "higher", digits: 4}
];

/** The faces table: one row per method, each figure with its 95% interval over faces, best starred; then the sanity check. */
export function facesTable(result: FacesBenchResult): string {
  const sanityOf = (method: string) => result.sanity?.methods.find((m) => m.method === method);
  const columns = METRIC_COLUMNS.map(({key, better, digits}) =>
    starredRow(
      result.methods.map((m) => m.metrics[key]),
      better,
      digits
    ).map((cell, i) => `${cell} ± ${formatNumber(result.methods[i]!.faceIntervals[key], digits)}`)
  );
  const header = ["method", ...METRIC_COLUMNS.map((c) => c.label), "sanity |ρ| (pass < 0.5)", "s / crop"];
  const body = result.methods.map((m, i) => {
    const sanity = sanityOf(m.method);
    const verdict = sanity ? `${formatNumber(sanity.meanAbsFinal, 3)} ${sanity.pass ? "pass" : "FAIL"}` : "–";
    return [m.method, ...columns.map((column) => column[i]!), verdict, formatNumber(m.secondsPerCrop, 2)];
  });
  const control = result.sanity?.methods.find((m) => m.control);
  if (control)
    body.push([
      `${control.method} (control)`,
      ...METRIC_COLUMNS.map(() => "–"),
      `${formatNumber(control.meanAbsFinal, 3)} ${control.pass ? "pass" : "FAIL"}`,
      "–"
    ]);
  return formatTable(header, body);
}

export function facesReport(result: FacesBenchResult): string {
  const {settings} = result;
  const views = settings.margins.length * (settings.mirrored ? 2 : 1);
  const photos = new Set(result.faces.map((f) => f.photo)).size;
  const faceLines = result.faces.map(
    (f) =>
      `  ${f.id.padEnd(20)} box ${Math.round(f.box.width)}x${Math.round(f.box.height)} at (${Math.round(f.box.x)}, ${Math.round(f.box.y)}), detector ${f.score.toFixed(3)}` +
      `${f.small ? ", small (< 48 px: crop mostly upsampled)" : ""}; model: ${f.predicted} ${f.probability.toFixed(3)}`
  );
  const sanity = result.sanity
    ? `sanity check: ${result.sanity.images.length} crop(s) (${result.sanity.images.join("; ")}), layers randomised top-down in ${result.sanity.steps.length} steps ` +
      `(last: ${result.sanity.steps[result.sanity.steps.length - 1]}); mean |Spearman ρ| with the original map after the last step; pass below 0.5; the Sobel edge map is the control that must fail`
    : "sanity check: not run";
  const failures = result.failures.map((f) => `FAILED ${f.method} (${f.stage}): ${f.message}`);
  return [
    `=== ${result.model} on face crops of data/photos: ${result.faces.length} faces in ${photos} photos, ${result.crops} crops ` +
      `(margins ${settings.margins.join(", ")}${settings.mirrored ? ", each also mirrored" : ""}: ${views} view(s) per face) ===`,
    "No ground truth: each crop explains the model's own top class (the SISE paper's model-truth evaluation).",
    `Drop/Increase keep the map's top ${100 * settings.bench.keepFraction}% (rest black); ${settings.bench.curveSteps} deletion/insertion steps ` +
      `(deletion to black, insertion from blur); every figure on the softmax probability.`,
    `± is the 95% interval over the ${result.faces.length} faces (Student's t, ${result.faces.length - 1} df; each face's ${views} view(s) averaged first, ` +
      "since views of one face are not independent). Per-crop intervals are in the CSV.",
    "faces:",
    ...faceLines,
    "",
    facesTable(result),
    "",
    sanity,
    ...failures,
    `method options: ${result.methods
      .filter((m) => Object.keys(m.options).length > 0)
      .map((m) => `${m.method} ${JSON.stringify(m.options)}`)
      .join("; ")}`,
    `wall time ${(result.wallSeconds / 60).toFixed(1)} min`
  ].join("\n");
}

export const FACES_SUMMARY_COLUMNS = [
  "model",
  "method",
  "explainedScore",
  "faces",
  "crops",
  ...FACE_METRICS.flatMap((k) => [k, `${k}Ci95Faces`, `${k}Ci95Crops`]),
  "secondsPerCrop",
  "sanityMeanAbsFinal",
  "sanityPass"
];

/** bench-faces.json (everything), bench-faces.csv (one row per method) and bench-faces-images.csv (one per crop and method). */
export function facesFiles(result: FacesBenchResult): [string, string][] {
  const summary = result.methods.map((m) => {
    const sanity = result.sanity?.methods.find((s) => s.method === m.method);
    return {
      model: result.model,
      method: m.method,
      explainedScore: m.explainedScore,
      faces: m.faces,
      crops: m.crops,
      ...Object.fromEntries(
        FACE_METRICS.flatMap((k) => [
          [k, m.metrics[k]],
          [`${k}Ci95Faces`, m.faceIntervals[k]],
          [`${k}Ci95Crops`, m.cropIntervals[k]]
        ])
      ),
      secondsPerCrop: m.secondsPerCrop,
      sanityMeanAbsFinal: sanity?.meanAbsFinal ?? null,
      sanityPass: sanity?.pass ?? null
    };
  });
  const json = JSON.stringify(result, (_key, value) => (typeof value === "number" && !Number.isFinite(value) ? null : value), 1) + "\n";
  return [
    ["bench-faces.json", json],
    ["bench-faces.csv", toCsv(FACES_SUMMARY_COLUMNS, summary)],
    ["bench-faces-images.csv", toCsv(IMAGE_COLUMNS, result.rows as unknown as Record<string, unknown>[])]
  ];
}
