/**
 * The benchmark results for the Benchmark page, one record per file (results/README.md): each is
 * the file's content, or a "no results yet" record with the reason when the file is missing or
 * unreadable, so the page can say so instead of failing. SALIENCY_RESULTS_DIR points elsewhere
 * (e.g. results/tmp for a --quick run).
 *
 * - bench.json (`npm run bench`, schema saliency-bench/1): the timed subset, passed through.
 * - bench-full.json (`npm run bench -- --full`, saliency-bench-full/1): Table 1 with intervals
 *   and the claims per model; paths made relative, the model's probability filled in, and the
 *   registry's methods (so the page can name those the run left out).
 * - bench-sweeps.csv (`npm run bench:sweeps`): one row per (model, sweep setting, metric), typed.
 * - bench-faces.json (`npm run bench -- --sections faces`, saliency-bench-faces/1): without its
 *   per-crop rows (bench-faces-images.csv has them), which the page does not draw.
 */
import {existsSync, readFileSync} from "node:fs";
import {isAbsolute, join, relative} from "node:path";
import {csvParse} from "d3";
import type {SweepRow} from "../../src/components/bench-figures.js";
import {METHODS} from "../../src/lib/methods/registry.js";
import {dataDirectory, REPO_ROOT, resultsDirectory} from "./paths.js";

export interface ResultFile<T = unknown> {
  available: boolean;
  /** Where the site looked (relative to the repository when inside it). */
  source: string;
  /** Why there is nothing to show, when `available` is false. */
  reason?: string;
  result?: T;
}

/** A path relative to the repository when it lies inside it (files name absolute split paths). */
function shown(path: string): string {
  if (!isAbsolute(path)) return path;
  const inside = relative(REPO_ROOT, path);
  return inside.startsWith("..") ? path : inside;
}

/** Reads results/<name> and hands its text to `parse`; a missing or broken file becomes a reason. */
function readResult<T>(name: string, missing: string, parse: (text: string) => T | string): ResultFile<T> {
  const path = join(resultsDirectory(), name);
  const source = shown(path);
  if (!existsSync(path)) return {available: false, source, reason: missing};
  try {
    const result = parse(readFileSync(path, "utf8"));
    // A string is the parser's reason for refusing the file.
    return typeof result === "string" ? {available: false, source, reason: result} : {available: true, source, result};
  } catch (error) {
    return {available: false, source, reason: `the file could not be read: ${(error as Error).message}`};
  }
}

type Json = Record<string, unknown>;

export function benchFile(): ResultFile {
  return readResult("bench.json", "no benchmark has been run yet", (text) => {
    const result = JSON.parse(text) as {schema?: string; models?: unknown[]};
    if (result.schema !== "saliency-bench/1") return `unknown schema ${JSON.stringify(result.schema)}`;
    if (!Array.isArray(result.models) || result.models.length === 0) return "the file lists no models";
    return result;
  });
}

/**
 * The probability Drop/Increase and the curves used: the file says it (runs since it was added);
 * for older files the model card's `score` (sigmoid for multi-label models); null when neither says.
 */
function modelProbability(model: Json): "softmax" | "sigmoid" | null {
  if (model.probability === "softmax" || model.probability === "sigmoid") return model.probability;
  const card = join(dataDirectory(), "models", String(model.name), "card.json");
  if (!existsSync(card)) return null;
  const score = (JSON.parse(readFileSync(card, "utf8")) as Json).score;
  return score === "sigmoid" ? "sigmoid" : "softmax";
}

export function benchFullFile(): ResultFile {
  return readResult("bench-full.json", "the full protocol has not been run yet", (text) => {
    const result = JSON.parse(text) as Json & {models?: Json[]};
    if (result.schema !== "saliency-bench-full/1") return `unknown schema ${JSON.stringify(result.schema)}`;
    if (!Array.isArray(result.models) || result.models.length === 0) return "the file lists no models";
    if (result.models.some((m) => !Array.isArray(m.methods) || m.methods.length === 0)) return "a model in the file has no methods";
    const models = result.models.map((m) => ({
      ...m,
      split: shown(String(m.split)),
      dataset:
        typeof m.dataset === "string"
          ? m.dataset.replace(/^([a-z]+:)?(.*)$/, (_all, kind: string | undefined, path: string) => `${kind ?? ""}${shown(path)}`)
          : m.dataset,
      probability: modelProbability(m)
    }));
    const registry = Object.entries(METHODS).map(([method, m]) => ({method, title: m.title}));
    return {...result, models, registry};
  });
}

export interface SweepsResult {
  /** The first line of bench-sweeps.txt (command, date, machine), when that file is there. */
  header: string | null;
  rows: SweepRow[];
}

const SWEEP_COLUMNS = ["model", "sweep", "method", "param", "value", "metric", "mean", "ci95", "pairs"];

/** A CSV number: empty cells (null/NaN when written) are null. */
const numberOrNull = (text: string | undefined): number | null => (text === undefined || text === "" ? null : Number(text));

export function benchSweepsFile(): ResultFile<SweepsResult> {
  return readResult("bench-sweeps.csv", "the sweeps have not been run yet", (text) => {
    const table = csvParse(text);
    const missing = SWEEP_COLUMNS.filter((c) => !table.columns.includes(c));
    if (missing.length) return `missing columns ${missing.join(", ")}`;
    if (table.length === 0) return "the file has no rows";
    const rows = table.map((r) => ({
      model: r.model!,
      sweep: r.sweep!,
      method: r.method!,
      param: r.param ? r.param : null,
      value: numberOrNull(r.value),
      metric: r.metric!,
      mean: numberOrNull(r.mean),
      ci95: numberOrNull(r.ci95),
      pairs: Number(r.pairs)
    }));
    const report = join(resultsDirectory(), "bench-sweeps.txt");
    const header = existsSync(report) ? (readFileSync(report, "utf8").split("\n")[0] ?? "").replace(/^#\s*/, "") || null : null;
    return {header, rows};
  });
}

export function benchFacesFile(): ResultFile {
  return readResult("bench-faces.json", "the faces section has not been run yet", (text) => {
    const result = JSON.parse(text) as Json & {methods?: unknown[]};
    if (result.schema !== "saliency-bench-faces/1") return `unknown schema ${JSON.stringify(result.schema)}`;
    if (!Array.isArray(result.methods) || result.methods.length === 0) return "the file lists no methods";
    const {rows: _rows, ...rest} = result;
    return rest;
  });
}
