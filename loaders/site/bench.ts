/**
 * The benchmark results for the Benchmark page: results/bench.json as `npm run bench` writes
 * it (schema saliency-bench/1, results/README.md), or a "no results yet" record when there is
 * none. SALIENCY_RESULTS_DIR points elsewhere (e.g. results/tmp for a --quick run).
 */
import {existsSync, readFileSync} from "node:fs";
import {join, relative} from "node:path";
import {REPO_ROOT, resultsDirectory} from "./paths.js";

export interface BenchFile {
  available: boolean;
  /** Where the site looked (relative to the repository when inside it). */
  source: string;
  /** Why there is nothing to show, when `available` is false. */
  reason?: string;
  result?: unknown;
}

export function benchFile(): BenchFile {
  const path = join(resultsDirectory(), "bench.json");
  const source = relative(REPO_ROOT, path).startsWith("..") ? path : relative(REPO_ROOT, path);
  if (!existsSync(path)) return {available: false, source, reason: "no benchmark has been run yet"};
  try {
    const result = JSON.parse(readFileSync(path, "utf8")) as {schema?: string; models?: unknown[]};
    if (result.schema !== "saliency-bench/1") return {available: false, source, reason: `unknown schema ${JSON.stringify(result.schema)}`};
    if (!Array.isArray(result.models) || result.models.length === 0) return {available: false, source, reason: "the file lists no models"};
    return {available: true, source, result};
  } catch (error) {
    return {available: false, source, reason: `the file could not be read: ${(error as Error).message}`};
  }
}
