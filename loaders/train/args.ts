/** Command-line options of `loaders/train/main.ts`. */
import {isArchitectureName, type ArchitectureName} from "../models/build.js";
import {isDatasetName} from "../datasets/index.js";
import type {DatasetName} from "../datasets/types.js";

export interface TrainArgs {
  model: ArchitectureName;
  dataset: DatasetName;
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  backend: string;
  out: string;
  resume: boolean;
  augment: boolean;
  checkpointEvery: number;
  validationSamples: number;
  /** Free text recorded in the card (e.g. what else shared the machine). */
  note: string | null;
  /** Worker threads sharing each step (data parallel, gradients averaged); 1 = this thread only. */
  workers: number;
  /** A trained model directory whose weights start this run (same layer names and weight shapes; any input size). */
  init: string | null;
}

const USAGE =
  "usage: tsx loaders/train/main.ts --model vgg|resnet --dataset shapes|defects|scenes [--steps N] [--batch 32] [--lr 1e-3] " +
  "[--seed S] [--backend auto|wasm|cpu|tensorflow] [--out data/models/<model>-<dataset>] [--resume] [--augment] " +
  "[--checkpoint-every 100] [--validation 512] [--workers 1] [--init data/models/<trained>] [--note text]";

export function parseTrainArgs(argv: readonly string[]): TrainArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new Error(`unexpected argument ${arg}\n${USAGE}`);
    const [key, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
    if (key === "resume" || key === "augment") flags.add(key);
    else if (inline !== undefined) values.set(key, inline);
    else if (i + 1 < argv.length) values.set(key, argv[++i]!);
    else throw new Error(`--${key} needs a value\n${USAGE}`);
  }
  const known = new Set(["model", "dataset", "steps", "batch", "lr", "seed", "backend", "out", "checkpoint-every", "validation", "note", "workers", "init"]);
  for (const key of values.keys()) if (!known.has(key)) throw new Error(`unknown option --${key}\n${USAGE}`);
  const model = values.get("model") ?? "";
  const dataset = values.get("dataset") ?? "";
  if (!isArchitectureName(model)) throw new Error(`--model must be vgg or resnet\n${USAGE}`);
  if (!isDatasetName(dataset)) throw new Error(`--dataset must be a data set name\n${USAGE}`);
  const int = (key: string, fallback: number): number => {
    const value = Number(values.get(key) ?? fallback);
    if (!Number.isInteger(value) || value < 0) throw new Error(`--${key} must be a non-negative integer`);
    return value;
  };
  const lr = Number(values.get("lr") ?? 1e-3);
  if (!(lr > 0)) throw new Error("--lr must be positive");
  return {
    model,
    dataset,
    steps: int("steps", 2000),
    batch: Math.max(1, int("batch", 32)),
    lr,
    seed: int("seed", 1),
    backend: values.get("backend") ?? "wasm",
    out: values.get("out") ?? `data/models/${model}-${dataset}`,
    resume: flags.has("resume"),
    augment: flags.has("augment"),
    checkpointEvery: Math.max(1, int("checkpoint-every", 100)),
    validationSamples: int("validation", 512),
    note: values.get("note") ?? null,
    workers: Math.max(1, int("workers", 1)),
    init: values.get("init") ?? null
  };
}
