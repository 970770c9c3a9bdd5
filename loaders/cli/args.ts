/** Command-line options of `saliency explain`, mapped onto method options with range checks. */
import {parseScoreMode} from "../../src/lib/model/score.js";

export const EXPLAIN_OPTIONS = {
  model: {type: "string"},
  image: {type: "string"},
  method: {type: "string"},
  layer: {type: "string"},
  layers: {type: "string"},
  class: {type: "string"},
  score: {type: "string"},
  seed: {type: "string"},
  backend: {type: "string"},
  out: {type: "string"},
  steps: {type: "string"},
  baseline: {type: "string"},
  variant: {type: "string"},
  masks: {type: "string"},
  grid: {type: "string"},
  keep: {type: "string"},
  mu: {type: "string"},
  "max-masks": {type: "string"},
  fusion: {type: "string"},
  batch: {type: "string"},
  colormap: {type: "string"},
  alpha: {type: "string"},
  "fold-batchnorm": {type: "boolean"},
  json: {type: "boolean"},
  help: {type: "boolean", short: "h"}
} as const;

export function parseInteger(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new Error(`--${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

export function parseNumber(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < min || n > max) {
    throw new Error(`--${name} must be a number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

function parseChoice<T extends string>(name: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) throw new Error(`--${name} must be one of ${choices.join(", ")}, got "${value}"`);
  return value as T;
}

type Values = Partial<Record<keyof typeof EXPLAIN_OPTIONS, string | boolean>>;

/** Method options from CLI values; only options that were given are set. */
export function methodOptionsFromArgs(values: Values): Record<string, unknown> {
  const v = values as Record<string, string | undefined>;
  const options: Record<string, unknown> = {};
  if (v.class !== undefined) options.classIndex = parseInteger("class", v.class, 0, 1_000_000);
  if (v.score !== undefined) options.score = parseScoreMode(v.score);
  if (v.layer !== undefined) options.layer = v.layer;
  if (v.layers !== undefined) options.layers = v.layers.split(",").map((s) => s.trim()).filter(Boolean);
  if (v.seed !== undefined) options.seed = parseInteger("seed", v.seed, 0, 2 ** 32 - 1);
  if (v.steps !== undefined) options.steps = parseInteger("steps", v.steps, 1, 1024);
  if (v.baseline !== undefined) options.baseline = parseChoice("baseline", v.baseline, ["black", "blur", "noise"]);
  if (v.variant !== undefined) options.variant = parseChoice("variant", v.variant, ["paper", "code", "integrated-weights"]);
  if (v.masks !== undefined) options.masks = parseInteger("masks", v.masks, 1, 100_000);
  if (v.grid !== undefined) options.grid = parseInteger("grid", v.grid, 2, 64);
  if (v.keep !== undefined) options.keep = parseNumber("keep", v.keep, 0.01, 0.99);
  if (v.mu !== undefined) options.mu = parseNumber("mu", v.mu, -1, 1);
  if (v["max-masks"] !== undefined) options.maxMasks = parseInteger("max-masks", v["max-masks"], 1, 100_000);
  if (v.fusion !== undefined) options.fusion = parseChoice("fusion", v.fusion, ["hard", "soft"]);
  if (v.batch !== undefined) options.batchSize = parseInteger("batch", v.batch, 1, 4096);
  return options;
}
