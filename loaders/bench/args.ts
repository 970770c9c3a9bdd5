/** Command-line options of `npm run bench`, checked, with the usage text. */
import {parseArgs} from "node:util";

export const BENCH_USAGE = `usage: npm run bench -- [options]
  --models a,b          model directory names under --models-dir, or paths (default: every model there)
  --models-dir DIR      where committed models live (default data/models)
  --methods x,y         methods from the registry (default: all)
  --images N            images per test split (default 12; --quick 2; --full: every image unless given)
  --pairs-images N      shapes-pairs images for class discrimination (default 6; 0 skips)
  --sanity-images N     images for the randomisation sanity check (default 3; 0 skips)
  --curve-steps N       deletion/insertion steps (default 32)
  --split S             test split for every model: a data set name or a directory
                        (default: the split of the data set in the model's card.json)
  --truth box|mask      ground truth for localisation metrics (default box, as the paper)
  --backend B           auto | wasm | cpu | tensorflow (default auto)
  --engine E            table and --full: auto | onnx | tfjs, where the forward-only passes of RISE, Score-CAM,
                        SISE and Ada-SISE run (default: SALIENCY_ENGINE, else auto: ONNX Runtime
                        when onnxruntime-node loads and the model converts); gradients stay on tfjs
  --workers N           worker threads for the untimed class-discrimination runs (default: every core)
  --out DIR             output folder (default results/; --quick: results/tmp/)
  --sections a,b        what to run, in this order (default table: Table 1 on the committed models'
                        fixed subset, under 15 minutes on 2 cores; all: every section): table,
                        kernels (gradient kernels vs forward), pool (workers vs one),
                        paper-scale (VGG16 / ResNet-50 GFLOP/s and ResNet-50 time per method on
                        tfjs and with ONNX Runtime forward passes), onnx (forward ms/image and
                        GFLOP/s: tfjs wasm vs ONNX Runtime, 1 thread and all cores), faces
                        (model-truth metrics and the sanity check of every method on face crops
                        of data/photos for the face-expression model; bench-faces.{txt,json,csv});
                        the machine sections take from minutes (kernels) to about an hour (faces)
  --quick               small settings for a smoke run
  --full                the full protocol instead of the timed table: every (image, present class)
                        pair of each model's test split, every method (Extremal Perturbation only
                        when --methods names it: minutes per pair at 128²), over the worker pool, 95%
                        intervals on every figure; resumable (the same command continues after an
                        interruption); writes bench-full.{txt,json} and bench-full-*.csv
  --store DIR           --full: where finished maps are kept between runs (default results/tmp/full-store)`;

export const BENCH_SECTIONS = ["table", "kernels", "pool", "onnx", "paper-scale", "faces"] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];

export interface BenchArgs {
  models: string[] | null;
  modelsDir: string;
  methods: string[] | null;
  images?: number;
  pairsImages?: number;
  sanityImages?: number;
  curveSteps?: number;
  split: string | null;
  truth?: "box" | "mask";
  backend?: string;
  engine?: string;
  workers?: number;
  out: string;
  quick: boolean;
  /** The full protocol (loaders/bench/full.ts) instead of the sections. */
  full: boolean;
  store?: string;
  sections: BenchSection[];
  help: boolean;
}

function list(value: string | undefined): string[] | null {
  if (value === undefined) return null;
  const items = value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (items.length === 0) throw new Error("an empty list was given");
  return items;
}

function integer(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  return n;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const {values} = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      models: {type: "string"},
      "models-dir": {type: "string"},
      methods: {type: "string"},
      images: {type: "string"},
      "pairs-images": {type: "string"},
      "sanity-images": {type: "string"},
      "curve-steps": {type: "string"},
      split: {type: "string"},
      truth: {type: "string"},
      backend: {type: "string"},
      engine: {type: "string"},
      workers: {type: "string"},
      out: {type: "string"},
      quick: {type: "boolean"},
      full: {type: "boolean"},
      store: {type: "string"},
      sections: {type: "string"},
      help: {type: "boolean", short: "h"}
    }
  });
  const truth = values.truth;
  if (truth !== undefined && truth !== "box" && truth !== "mask") throw new Error(`--truth must be box or mask, got "${truth}"`);
  const quick = values.quick ?? false;
  // The default is the timed table alone (issue 16: under 15 minutes on 2 cores); the machine
  // sections are minutes to an hour each and run when named, or all of them with "all".
  const named = list(values.sections) ?? ["table"];
  const sections = named.length === 1 && named[0] === "all" ? [...BENCH_SECTIONS] : named;
  for (const section of sections) {
    if (!(BENCH_SECTIONS as readonly string[]).includes(section))
      throw new Error(`--sections: unknown section "${section}" (choose from ${BENCH_SECTIONS.join(", ")})`);
  }
  return {
    models: list(values.models),
    modelsDir: values["models-dir"] ?? "data/models",
    methods: list(values.methods),
    images: integer("images", values.images, 1, 100_000),
    pairsImages: integer("pairs-images", values["pairs-images"], 0, 100_000),
    sanityImages: integer("sanity-images", values["sanity-images"], 0, 1000),
    curveSteps: integer("curve-steps", values["curve-steps"], 1, 10_000),
    split: values.split ?? null,
    ...(truth ? {truth} : {}),
    ...(values.backend ? {backend: values.backend} : {}),
    ...(values.engine ? {engine: values.engine} : {}),
    ...(values.workers !== undefined ? {workers: integer("workers", values.workers, 1, 256)} : {}),
    // A quick run must never overwrite the committed results.
    out: values.out ?? (quick ? "results/tmp" : "results"),
    quick,
    full: values.full ?? false,
    ...(values.store ? {store: values.store} : {}),
    sections: sections as BenchSection[],
    help: values.help ?? false
  };
}
