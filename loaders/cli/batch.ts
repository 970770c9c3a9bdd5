/**
 * `saliency batch` and `saliency merge`: thin wrappers around runBatch and mergeBatchFolders
 * (loaders/batch/) that read the command line, show progress and stop cleanly on Ctrl-C.
 */
import {parseArgs} from "node:util";
import {resolve} from "node:path";
import {getMethod} from "../../src/lib/methods/registry.js";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {listImages} from "../batch/images.js";
import type {ClassRequest} from "../batch/keys.js";
import {mergeBatchFolders} from "../batch/manifest.js";
import {runBatch, type BatchItem, type BatchRunResult} from "../batch/run.js";
import {resolveShard, type Shard} from "../batch/shard.js";
import {selectNodeBackend} from "../backend.js";
import {openModel} from "../model-files.js";
import {checkedEngineChoice} from "../onnx/run-engine.js";
import {BATCH_OPTIONS, methodsOptionsFromArgs, parseInteger, parseList} from "./args.js";
import {interruptSignal, INTERRUPTED_EXIT} from "./interrupt.js";
import {ProgressBar} from "./progress.js";

export const BATCH_USAGE = `usage:
  saliency batch --model PATH --images DIR|LIST.txt|GLOB --methods a,b,... --out DIR
                 [--classes top|all|N,M,...] [--workers N] [--shard K/N [--shard-count N]]
                 [method options] [--backend B] [--engine auto|onnx|tfjs] [--quiet] [--verbose]
    One result per (image, method, class) in DIR/maps/: the map as .npy (float32, height x width)
    and a .json of its metadata, named by a content key (model weights, method, options with
    defaults, image pixels, class). A rerun skips what exists; a killed run resumes. The shard's
    manifest (JSON Lines) lists every result: DIR/manifest.jsonl, or manifest-K-of-N.jsonl.
    --classes  top (default: the model's top prediction), all (every class), or class indices
    --workers  worker threads, each explaining whole images (default 1: this thread)
    --engine   forward-only passes (RISE, Score-CAM, SISE, Ada-SISE) on ONNX Runtime or tfjs
               (default: SALIENCY_ENGINE, else auto; see explain). One session with a thread per
               core in this thread, or one per worker with the cores split between them. Not part
               of the content key (maps agree within 1e-4); each record says which ran
    --shard    K/N: item i of the work list is done by shard i mod N (K from 0). Without it, read
               from a Slurm job array (SLURM_ARRAY_TASK_ID/COUNT/MIN/MAX) or a Kubernetes
               Indexed Job (JOB_COMPLETION_INDEX with --shard-count N or SALIENCY_SHARD_COUNT)
  saliency merge --out DIR DIR1 DIR2 ...
    Combines batch folders (shards) into DIR: result files copied, one manifest.jsonl and a
    results.csv; says which items of the work list no folder had.`;

/** `--classes` text → the class requests of every image. */
export function parseClasses(text: string | undefined, model: ExplainableModel): ClassRequest[] {
  if (text === undefined || text === "top") return ["top"];
  if (text === "all") return model.meta.classNames.map((_, i) => i);
  return parseList("classes", text).map((item) => model.checkClass(parseInteger("classes", item, 0, model.numClasses - 1)));
}

/** A required option's value, or an error with the usage. */
export function requiredOption(values: Record<string, unknown>, name: string, usage: string): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") throw new Error(`--${name} is required\n${usage}`);
  return value;
}

/** --workers and the shard (--shard, --shard-count or the scheduler's environment). */
export function runOptions(values: Record<string, unknown>): {workers: number; shard: Shard} {
  const workers = values.workers === undefined ? 1 : parseInteger("workers", values.workers as string, 1, 1024);
  const shardCount = values["shard-count"] === undefined ? undefined : parseInteger("shard-count", values["shard-count"] as string, 1, 1_000_000);
  const shard = resolveShard({...(values.shard === undefined ? {} : {shard: values.shard as string}), ...(shardCount === undefined ? {} : {shardCount})});
  return {workers, shard};
}

export function summary(result: BatchRunResult): string {
  const parts = [`${result.computed} computed`, `${result.reused} found stored`];
  if (result.failures.length) parts.push(`${result.failures.length} FAILED`);
  return `${result.rows.length}/${result.items} results (${parts.join(", ")}) → ${result.manifest}`;
}

/** Runs a batch with a progress bar; Ctrl-C stops it cleanly. Exit code: 0, 1 (failures) or 130. */
export async function runBatchWithProgress(
  options: Omit<Parameters<typeof runBatch>[0], "signal" | "onProgress" | "log">,
  quiet: boolean,
  label: string
): Promise<{result: BatchRunResult; exitCode: number}> {
  const bar = new ProgressBar({label, quiet});
  const interrupt = interruptSignal((name) => {
    if (!quiet) process.stderr.write(`\n${name}: stopping; finished results are kept (rerun to resume)\n`);
  });
  try {
    const result = await runBatch({
      ...options,
      signal: interrupt.signal,
      onProgress: (p) => bar.update(p.done, p.total, p.reused, p.failed ? `${p.failed} failed` : ""),
      log: (line) => {
        if (!quiet) process.stderr.write(`${line}\n`);
      }
    });
    bar.finish();
    if (!quiet || result.interrupted || result.failures.length) process.stderr.write(`${label}: ${summary(result)}\n`);
    for (const failure of result.failures) {
      process.stderr.write(`failed: item ${failure.index} ${failure.image} ${failure.method} class ${failure.classRequest}: ${failure.message}\n`);
    }
    return {result, exitCode: result.interrupted ? INTERRUPTED_EXIT : result.failures.length ? 1 : 0};
  } finally {
    interrupt.release();
  }
}

export async function batchCommand(argv: string[]): Promise<number> {
  const {values} = parseArgs({args: argv, options: BATCH_OPTIONS, strict: true});
  if (values.help) {
    process.stdout.write(`${BATCH_USAGE}\n`);
    return 0;
  }
  const need = (name: string) => requiredOption(values, name, BATCH_USAGE);
  if (values.class !== undefined) throw new Error("batch takes --classes (top, all or a list of indices), not --class");
  const modelSpec = need("model");
  const images = listImages(need("images"));
  const methods = parseList("methods", need("methods")).map(getMethod);
  const out = resolve(need("out"));
  const methodOptions = methodsOptionsFromArgs(methods, values as Record<string, string | boolean | undefined>);
  const {workers, shard} = runOptions(values);
  const quiet = values.quiet === true;
  const engine = checkedEngineChoice(values.engine as string | undefined);
  const backend = await selectNodeBackend(values.backend as string | undefined, {verbose: values.verbose === true});
  const model = await openModel(modelSpec);
  try {
    const classes = parseClasses(values.classes as string | undefined, model);
    const items: BatchItem[] = images.flatMap((image) =>
      methods.flatMap((method) => classes.map((classRequest) => ({image, method: method.name, classRequest})))
    );
    if (!quiet) {
      process.stderr.write(
        `batch: ${images.length} images × ${methods.length} methods × ${classes.length} class(es) = ${items.length} items; ` +
          `shard ${shard.index}/${shard.count} (${shard.source}); ${workers} worker(s) on ${backend.backend}, engine ${engine}\n`
      );
    }
    const {exitCode} = await runBatchWithProgress(
      {model, poolModel: modelSpec, items, methodOptions, out, shard, workers, backend: backend.backend, engine},
      quiet,
      "batch"
    );
    return exitCode;
  } finally {
    model.dispose();
  }
}

export function mergeCommand(argv: string[]): number {
  const {values, positionals} = parseArgs({
    args: argv,
    options: {out: {type: "string"}, quiet: {type: "boolean", short: "q"}, help: {type: "boolean", short: "h"}},
    allowPositionals: true,
    strict: true
  });
  if (values.help) {
    process.stdout.write(`${BATCH_USAGE}\n`);
    return 0;
  }
  if (!values.out) throw new Error(`--out is required\n${BATCH_USAGE}`);
  if (positionals.length === 0) throw new Error(`merge needs the batch folders to combine\n${BATCH_USAGE}`);
  const merged = mergeBatchFolders(positionals, resolve(values.out));
  const total = merged.rows.length + merged.missing.length;
  const missing = merged.missing.length
    ? `; MISSING ${merged.missing.length} item(s): ${merged.missing.slice(0, 10).join(", ")}${merged.missing.length > 10 ? ", …" : ""}`
    : "";
  if (!values.quiet || merged.missing.length) {
    process.stderr.write(
      `merge: ${merged.rows.length}/${total} results from ${positionals.length} folder(s), ${merged.copied} copied${missing} → ${merged.files.join(", ")}\n`
    );
  }
  return merged.missing.length ? 1 : 0;
}
