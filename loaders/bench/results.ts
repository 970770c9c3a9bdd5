/** Writes a bench run to its output folder: bench.json (everything), bench-summary.csv, bench-images.csv. */
import {mkdirSync, renameSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {toCsv} from "./csv.js";
import type {BenchResult} from "./types.js";

export const SUMMARY_COLUMNS = [
  "model",
  "dataset",
  "split",
  "method",
  "explainedScore",
  "images",
  "localisedImages",
  "ebpg",
  "bbox",
  "miou",
  "pointing",
  "drop",
  "increase",
  "deletionAuc",
  "insertionAuc",
  "secondsPerImage",
  "forwardPasses",
  "backwardPasses",
  "msPerImage",
  "idealMsPerImage",
  "speedRatio",
  "discrimination",
  "sanityMeanAbsFinal",
  "sanityPass",
  "backend"
] as const;

export const IMAGE_COLUMNS = [
  "model",
  "method",
  "file",
  "classIndex",
  "predicted",
  "explainedScore",
  "ebpg",
  "bbox",
  "iou",
  "pointingHit",
  "probability",
  "keptProbability",
  "deletionAuc",
  "insertionAuc",
  "ms",
  "forwardPasses",
  "backwardPasses"
] as const;

export function summaryRecords(result: BenchResult): Record<string, unknown>[] {
  return result.models.flatMap((model) =>
    model.methods.map((m) => {
      const sanity = model.sanity?.methods.find((s) => s.method === m.method);
      const discrimination = model.discrimination?.methods.find((d) => d.method === m.method);
      return {
        model: model.name,
        dataset: model.dataset,
        split: model.split,
        method: m.method,
        explainedScore: m.explainedScore,
        images: m.images,
        localisedImages: m.localisedImages,
        ...m.metrics,
        forwardPasses: m.speed.forwardPasses,
        backwardPasses: m.speed.backwardPasses,
        msPerImage: m.speed.msPerImage,
        idealMsPerImage: m.speed.idealMsPerImage,
        speedRatio: m.speed.ratio,
        discrimination: discrimination?.fraction ?? null,
        sanityMeanAbsFinal: sanity?.meanAbsFinal ?? null,
        sanityPass: sanity?.pass ?? null,
        backend: result.backend.name
      };
    })
  );
}

function writeWhole(path: string, contents: string): void {
  const temporary = `${path}.partial-${process.pid}`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

/** The JSON text: NaN and infinities become null (JSON has neither). */
export function benchJson(result: BenchResult): string {
  return JSON.stringify(result, (_key, value) => (typeof value === "number" && !Number.isFinite(value) ? null : value), 1) + "\n";
}

export function writeBenchResults(result: BenchResult, outDir: string): string[] {
  mkdirSync(outDir, {recursive: true});
  const files = {
    "bench.json": benchJson(result),
    "bench-summary.csv": toCsv(SUMMARY_COLUMNS, summaryRecords(result)),
    "bench-images.csv": toCsv(
      IMAGE_COLUMNS,
      result.models.flatMap((m) => m.rows as unknown as Record<string, unknown>[])
    )
  };
  return Object.entries(files).map(([name, contents]) => {
    const path = join(outDir, name);
    writeWhole(path, contents);
    return path;
  });
}
