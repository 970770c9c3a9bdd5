/**
 * The manifest of a batch folder: one JSON line per result of the work list (computed now or
 * found from an earlier run), in work-list order, with its content key, files and timing. A
 * sharded run writes `manifest-K-of-N.jsonl`; `saliency merge` combines shard folders into one
 * `manifest.jsonl` and `results.csv`. Manifests are rewritten whole (atomically), never appended,
 * so a killed run leaves the previous complete one.
 */
import {existsSync, readdirSync, readFileSync} from "node:fs";
import {join, resolve} from "node:path";
import {toCsv} from "../bench/csv.js";
import {writeFileAtomic} from "../atomic-write.js";
import type {ClassRequest} from "./keys.js";
import {resultFiles, ResultStore, type ResultRecord} from "./store.js";

export interface ManifestRow {
  /** Position in the whole (unsharded) work list. */
  index: number;
  /** Items in the whole work list. */
  total: number;
  key: string;
  image: string;
  method: string;
  classRequest: ClassRequest;
  classIndex: number;
  className: string;
  scoreMode: string;
  score: number;
  width: number;
  height: number;
  backend: string;
  /** Explanation time when it was computed, ms. */
  ms: number;
  /** Files, relative to the folder. */
  map: string;
  meta: string;
}

export const MANIFEST_COLUMNS = [
  "index",
  "key",
  "image",
  "method",
  "classRequest",
  "classIndex",
  "className",
  "scoreMode",
  "score",
  "width",
  "height",
  "backend",
  "ms",
  "map",
  "meta"
] as const satisfies readonly (keyof ManifestRow)[];

export function manifestRow(record: ResultRecord, index: number, total: number): ManifestRow {
  const files = resultFiles(record.key);
  return {
    index,
    total,
    key: record.key,
    image: record.image,
    method: record.method,
    classRequest: record.classRequest,
    classIndex: record.classIndex,
    className: record.className,
    scoreMode: record.score.mode,
    score: record.score.value,
    width: record.width,
    height: record.height,
    backend: record.backend,
    ms: record.ms,
    map: files.map,
    meta: files.meta
  };
}

export function manifestName(suffix: string): string {
  return `manifest${suffix}.jsonl`;
}

export function writeManifest(dir: string, name: string, rows: readonly ManifestRow[]): string {
  const path = join(dir, name);
  const sorted = [...rows].sort((a, b) => a.index - b.index);
  writeFileAtomic(path, sorted.map((row) => JSON.stringify(row)).join("\n") + (sorted.length ? "\n" : ""));
  return path;
}

/** Rows of one manifest file; a malformed line is an error naming the file and line. */
export function readManifest(path: string): ManifestRow[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, n) => {
      try {
        return JSON.parse(line) as ManifestRow;
      } catch (error) {
        throw new Error(`${path} line ${n + 1} is not JSON: ${(error as Error).message}`);
      }
    });
}

/** Every manifest*.jsonl file in a folder. */
export function manifestFiles(dir: string): string[] {
  if (!existsSync(dir)) throw new Error(`batch folder ${dir} does not exist`);
  return readdirSync(dir)
    .filter((name) => /^manifest.*\.jsonl$/.test(name))
    .sort()
    .map((name) => join(dir, name));
}

export interface MergeResult {
  rows: ManifestRow[];
  /** Items of the work list no folder had. */
  missing: number[];
  copied: number;
  files: string[];
}

/**
 * Merges batch folders (shards) into `out`: result files are copied into it when not already
 * there, rows combined by work-list position (two folders disagreeing on a position is an
 * error), and `manifest.jsonl` plus `results.csv` written.
 */
export function mergeBatchFolders(dirs: readonly string[], out: string): MergeResult {
  if (dirs.length === 0) throw new Error("merge needs at least one batch folder");
  const target = new ResultStore(out);
  target.open();
  const byIndex = new Map<number, ManifestRow>();
  let total: number | null = null;
  let copied = 0;
  for (const dir of dirs) {
    const files = manifestFiles(dir);
    if (files.length === 0) throw new Error(`${dir} has no manifest*.jsonl (is it a batch output folder?)`);
    const source = new ResultStore(dir);
    for (const file of files) {
      for (const row of readManifest(file)) {
        if (total !== null && row.total !== total) throw new Error(`${file} belongs to a work list of ${row.total} items, others to one of ${total}`);
        total = row.total;
        const known = byIndex.get(row.index);
        if (known && known.key !== row.key) throw new Error(`work item ${row.index} is ${known.key} in one folder and ${row.key} in ${dir}`);
        if (!source.read(row.key)) throw new Error(`${dir}: result ${row.key} is listed in ${file} but its files are missing or incomplete`);
        if (resolve(dir) !== resolve(out) && target.copyFrom(source, row.key)) copied++;
        byIndex.set(row.index, row);
      }
    }
  }
  const rows = [...byIndex.values()].sort((a, b) => a.index - b.index);
  const missing: number[] = [];
  for (let i = 0; i < (total ?? 0); i++) if (!byIndex.has(i)) missing.push(i);
  const written = [writeManifest(out, manifestName(""), rows), writeResultsCsv(out, rows)];
  return {rows, missing, copied, files: written};
}

export function writeResultsCsv(dir: string, rows: readonly ManifestRow[]): string {
  const path = join(dir, "results.csv");
  writeFileAtomic(path, toCsv(MANIFEST_COLUMNS, rows as unknown as Record<string, unknown>[]));
  return path;
}
