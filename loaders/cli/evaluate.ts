/** `saliency evaluate`: a thin wrapper around evaluateDataset (loaders/batch/evaluate.ts). */
import {resolve} from "node:path";
import {parseArgs} from "node:util";
import {getMethod} from "../../src/lib/methods/registry.js";
import {readDataset} from "../batch/datasets.js";
import {evaluateDataset} from "../batch/evaluate.js";
import {evaluationReport, writeEvaluation} from "../batch/evaluate-report.js";
import {selectNodeBackend} from "../backend.js";
import {openModel} from "../model-files.js";
import {checkedEngineChoice} from "../onnx/run-engine.js";
import {EVALUATE_OPTIONS, methodsOptionsFromArgs, parseInteger, parseList} from "./args.js";
import {requiredOption, runOptions, summary} from "./batch.js";
import {interruptSignal, INTERRUPTED_EXIT} from "./interrupt.js";
import {ProgressBar} from "./progress.js";

export const EVALUATE_USAGE = `usage:
  saliency evaluate --model PATH --dataset voc:DIR|coco:FILE.json[:IMAGES_DIR]|saliency:DIR
                    --methods a,b,... --out DIR [--class-map FILE.json] [--truth box|mask]
                    [--curve-steps N] [--limit N] [--workers N] [--shard K/N] [method options]
                    [--backend B] [--engine auto|onnx|tfjs] (as for batch)
    Table 1 of the SISE paper on your data: EBPG, Bbox, mIoU, pointing game, Drop, Increase,
    deletion/insertion AUC and seconds per image, each with its 95% interval, for every
    (image, annotated class). Maps go to DIR as with batch (same cache: a rerun computes only
    what is missing); the figures come from the bench's own code. Writes DIR/evaluate.json,
    evaluate-summary.csv and evaluate-images.csv. --class-map: a JSON object from data-set class
    names to model class indices or names (default: classes matched by name). A sharded run
    only computes its share of the maps; run evaluate unsharded afterwards for the table.`;

export async function evaluateCommand(argv: string[]): Promise<number> {
  const {values} = parseArgs({args: argv, options: EVALUATE_OPTIONS, strict: true});
  if (values.help) {
    process.stdout.write(`${EVALUATE_USAGE}\n`);
    return 0;
  }
  const need = (name: string) => requiredOption(values, name, EVALUATE_USAGE);
  if (values.class !== undefined) throw new Error("evaluate explains every annotated class of each image; --class does not apply");
  const modelSpec = need("model");
  const dataset = readDataset(need("dataset"));
  const methods = parseList("methods", need("methods")).map(getMethod);
  const out = resolve(need("out"));
  const truth = (values.truth as string | undefined) ?? "box";
  if (truth !== "box" && truth !== "mask") throw new Error(`--truth must be box or mask, got "${truth}"`);
  const methodOptions = methodsOptionsFromArgs(methods, values as Record<string, string | boolean | undefined>);
  const {workers, shard} = runOptions(values);
  const curveSteps = values["curve-steps"] === undefined ? undefined : parseInteger("curve-steps", values["curve-steps"] as string, 1, 10_000);
  const limit = values.limit === undefined ? undefined : parseInteger("limit", values.limit as string, 1, 10_000_000);
  const quiet = values.quiet === true;
  const engine = checkedEngineChoice(values.engine as string | undefined);
  const backend = await selectNodeBackend(values.backend as string | undefined, {verbose: values.verbose === true});
  const model = await openModel(modelSpec);
  const maps = new ProgressBar({label: "maps", quiet});
  const metrics = new ProgressBar({label: "metrics", quiet});
  let phase: ProgressBar = maps;
  const interrupt = interruptSignal((name) => {
    if (!quiet) process.stderr.write(`\n${name}: stopping; finished maps are kept (rerun to resume)\n`);
  });
  try {
    const result = await evaluateDataset({
      model,
      poolModel: modelSpec,
      dataset,
      ...(values["class-map"] ? {classMap: values["class-map"] as string} : {}),
      methods: methods.map((m) => m.name),
      methodOptions,
      out,
      workers,
      backend: backend.backend,
      engine,
      shard,
      truth,
      ...(curveSteps === undefined ? {} : {curveSteps}),
      ...(limit === undefined ? {} : {limit}),
      signal: interrupt.signal,
      onMapsProgress: (p) => maps.update(p.done, p.total, p.reused, p.failed ? `${p.failed} failed` : ""),
      onMetricsProgress: (done, total) => {
        if (phase === maps) {
          maps.finish();
          phase = metrics;
        }
        metrics.update(done, total);
      },
      log: (line) => {
        if (!quiet) process.stderr.write(`${line}\n`);
      }
    });
    phase.finish();
    if (!quiet || !result.complete) process.stderr.write(`maps: ${summary(result.batch)}\n`);
    for (const failure of result.batch.failures) {
      process.stderr.write(`failed: ${failure.image} ${failure.method} class ${failure.classRequest}: ${failure.message}\n`);
    }
    if (!result.complete) {
      if (result.batch.interrupted) return INTERRUPTED_EXIT;
      if (result.batch.failures.length) return 1;
      process.stderr.write(`evaluate: shard ${shard.index}/${shard.count} done; run evaluate without --shard for the table\n`);
      return 0;
    }
    process.stdout.write(`${evaluationReport(result)}\n`);
    const files = writeEvaluation(result, out);
    if (!quiet) process.stderr.write(`wrote ${files.join(", ")}\n`);
    return 0;
  } catch (error) {
    if (interrupt.signal.aborted) {
      process.stderr.write(`saliency: ${(error as Error).message}\n`);
      return INTERRUPTED_EXIT;
    }
    throw error;
  } finally {
    interrupt.release();
    model.dispose();
  }
}
