/**
 * The result store of a batch output folder: each result is `maps/<k0k1>/<key>.npy` (the map,
 * float32, height × width) and `<key>.json` beside it (what the CLI's JSON output says about the
 * explanation, without the map). The .npy is written first and the .json last, each atomically,
 * so a result exists exactly when its .json does and both files are whole.
 */
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync} from "node:fs";
import {dirname, join} from "node:path";
import type {Explanation} from "../../src/lib/explain/types.js";
import {removeDeadPartials, writeFileAtomic} from "../atomic-write.js";
import type {ForwardEngineName} from "../onnx/run-engine.js";
import {KEY_SCHEMA, type ClassRequest} from "./keys.js";
import {decodeNpy, encodeNpy, npyByteLength} from "./npy.js";

/** The metadata file of one result. */
export interface ResultRecord {
  schema: typeof KEY_SCHEMA;
  key: string;
  method: string;
  title: string;
  /** The image as the work list names it (path or id). */
  image: string;
  imageHash: string;
  model: string;
  modelHash: string;
  /** The options the key was made from (defaults filled in). */
  options: Record<string, unknown>;
  classRequest: ClassRequest;
  classIndex: number;
  className: string;
  score: {mode: string; value: number};
  layer: string | string[] | null;
  width: number;
  height: number;
  backend: string;
  /**
   * Where the forward-only passes (masked inputs) ran: ONNX Runtime or tfjs. Not part of the key:
   * the maps agree to 1e-4 (keys.ts). Absent in records written before engines were recorded.
   */
  engine?: ForwardEngineName;
  /** The explanation's own time (Explanation.timings.totalMs). */
  ms: number;
  timings: Record<string, number>;
  passes: {forward: number; backward: number};
  /** SISE / Ada-SISE: feature maps kept per layer (the rest of the intermediates is not stored). */
  masksPerLayer?: Record<string, number>;
}

/** Paths of a result's files, relative to the output folder. */
export function resultFiles(key: string): {map: string; meta: string} {
  const dir = join("maps", key.slice(0, 2));
  return {map: join(dir, `${key}.npy`), meta: join(dir, `${key}.json`)};
}

function metricRowFile(key: string, settingsId: string): string {
  return join("metrics", key.slice(0, 2), `${key}-${settingsId}.json`);
}

export class ResultStore {
  constructor(readonly dir: string) {}

  /** Creates the folder; removes temporary files left by this host's dead runs. */
  open(): {removedPartials: number} {
    mkdirSync(join(this.dir, "maps"), {recursive: true});
    let removedPartials = removeDeadPartials(this.dir);
    for (const prefix of readdirSafe(join(this.dir, "maps"))) removedPartials += removeDeadPartials(join(this.dir, "maps", prefix));
    return {removedPartials};
  }

  /** The stored record of `key` when both its files are whole, else null. */
  read(key: string): ResultRecord | null {
    const files = resultFiles(key);
    const metaPath = join(this.dir, files.meta);
    const mapPath = join(this.dir, files.map);
    if (!existsSync(metaPath) || !existsSync(mapPath)) return null;
    let record: ResultRecord;
    try {
      record = JSON.parse(readFileSync(metaPath, "utf8")) as ResultRecord;
    } catch {
      return null; // not ours (atomic writes never leave half a file): recompute it
    }
    if (record.key !== key || statSync(mapPath).size !== npyByteLength([record.height, record.width])) return null;
    return record;
  }

  /** The map of a stored result. */
  readMap(key: string): {data: Float32Array; width: number; height: number} {
    const path = join(this.dir, resultFiles(key).map);
    const {data, shape} = decodeNpy(new Uint8Array(readFileSync(path)), path);
    if (shape.length !== 2) throw new Error(`${path} is not a 2-D map`);
    return {data, height: shape[0]!, width: shape[1]!};
  }

  /** Writes the map, then the record (the record's presence marks the result complete). */
  write(record: ResultRecord, map: Float32Array): void {
    const files = resultFiles(record.key);
    mkdirSync(dirname(join(this.dir, files.map)), {recursive: true});
    writeFileAtomic(join(this.dir, files.map), encodeNpy(map, [record.height, record.width]));
    writeFileAtomic(join(this.dir, files.meta), `${JSON.stringify(record, null, 1)}\n`);
  }

  /**
   * A Table 1 row computed earlier from `key`'s map under the metric settings `settingsId` (see
   * metricRowId in evaluate.ts), or null: a rerun of `evaluate` or `bench --full` reads it instead of
   * redoing the deletion / insertion curves. Kept under metrics/, apart from the maps.
   */
  readMetricRow<R>(key: string, settingsId: string): R | null {
    const path = join(this.dir, metricRowFile(key, settingsId));
    if (!existsSync(path)) return null;
    try {
      return JSON.parse(readFileSync(path, "utf8")) as R;
    } catch {
      return null; // not ours (atomic writes never leave half a file): recompute it
    }
  }

  writeMetricRow(key: string, settingsId: string, row: unknown): void {
    const path = join(this.dir, metricRowFile(key, settingsId));
    mkdirSync(dirname(path), {recursive: true});
    writeFileAtomic(path, `${JSON.stringify(row)}\n`);
  }

  /** Deletes every stored result whose key is not in `keep` (a cache that holds one build's maps); returns how many. */
  prune(keep: ReadonlySet<string>): number {
    let removed = 0;
    for (const prefix of readdirSafe(join(this.dir, "maps"))) {
      for (const name of readdirSafe(join(this.dir, "maps", prefix))) {
        const key = name.replace(/\.(npy|json)$/, "");
        if (key === name || keep.has(key)) continue;
        rmSync(join(this.dir, "maps", prefix, name), {force: true});
        if (name.endsWith(".json")) removed++;
      }
    }
    return removed;
  }

  /** Copies a stored result from another store (merging shard folders), when not here already. */
  copyFrom(other: ResultStore, key: string): boolean {
    if (this.read(key)) return false;
    const files = resultFiles(key);
    mkdirSync(dirname(join(this.dir, files.map)), {recursive: true});
    writeFileAtomic(join(this.dir, files.map), readFileSync(join(other.dir, files.map)));
    writeFileAtomic(join(this.dir, files.meta), readFileSync(join(other.dir, files.meta)));
    return true;
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** The record of a fresh explanation. */
export function recordOf(
  explanation: Explanation & {engine?: ForwardEngineName},
  parts: {
    key: string;
    title: string;
    image: string;
    imageHash: string;
    model: string;
    modelHash: string;
    options: Record<string, unknown>;
    classRequest: ClassRequest;
  }
): ResultRecord {
  return {
    schema: KEY_SCHEMA,
    key: parts.key,
    method: explanation.method,
    title: parts.title,
    image: parts.image,
    imageHash: parts.imageHash,
    model: parts.model,
    modelHash: parts.modelHash,
    options: parts.options,
    classRequest: parts.classRequest,
    classIndex: explanation.classIndex,
    className: explanation.className,
    score: explanation.score,
    layer: explanation.layer,
    width: explanation.map.width,
    height: explanation.map.height,
    backend: explanation.backend,
    ...(explanation.engine ? {engine: explanation.engine} : {}),
    ms: explanation.timings.totalMs,
    timings: {...explanation.timings},
    passes: explanation.passes,
    ...masksPerLayer(explanation)
  };
}

function masksPerLayer(explanation: Explanation): {masksPerLayer?: Record<string, number>} {
  const layers = (explanation.intermediates as {layers?: {layer: string; selectedCount: number}[]} | undefined)?.layers;
  return Array.isArray(layers) ? {masksPerLayer: Object.fromEntries(layers.map((l) => [l.layer, l.selectedCount]))} : {};
}
