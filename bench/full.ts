/**
 * `npm run bench -- --full`: the full protocol on every model (loaders/bench/full.ts) with a
 * progress bar and ETA per model on stderr, Table 1 per model with 95% intervals and the claims
 * on stdout, and the files under --out: bench-full.txt (the report), bench-full.json (figures,
 * intervals, claims; no rows), bench-full-summary.csv and bench-full-images.csv (one row per
 * (image, class, method)). Maps go to a result store (default results/tmp/full-store, one folder
 * per model): after an interruption (Ctrl-C, a kill) the same command resumes where it stopped.
 */
import {mkdirSync} from "node:fs";
import {relative, resolve} from "node:path";
import * as tf from "@tensorflow/tfjs";
import {writeFileAtomic} from "../loaders/atomic-write.js";
import {EVALUATE_SUMMARY_COLUMNS, evaluationReport} from "../loaders/batch/evaluate-report.js";
import type {BenchArgs} from "../loaders/bench/args.js";
import {toCsv} from "../loaders/bench/csv.js";
import {checkedEngineChoice} from "../loaders/onnx/run-engine.js";
import {FULL_SCHEMA, runFullBench, type FullModelResult} from "../loaders/bench/full.js";
import {machineInfo} from "../loaders/bench/machine.js";
import type {BenchModelSpec} from "../loaders/bench/models.js";
import {IMAGE_COLUMNS} from "../loaders/bench/results.js";
import type {BenchSettings, ClaimResult} from "../loaders/bench/types.js";
import {ProgressBar} from "../loaders/cli/progress.js";
import {interruptSignal} from "../loaders/cli/interrupt.js";

function claimLine(claim: ClaimResult): string {
  const verdict = claim.confirmed === null ? "not run" : claim.confirmed ? "confirmed" : "not confirmed";
  const noise = claim.significant === null ? "" : claim.significant ? ", beyond noise" : ", within noise";
  return `- ${claim.statement}: ${verdict}${noise}. ${claim.detail}`;
}

export function fullReport(results: readonly FullModelResult[]): string {
  return results
    .map((r) =>
      [
        evaluationReport(r.evaluation),
        "",
        `(image, class) pairs: ${r.evaluation.methods[0]?.rows ?? 0}; maps computed this run ${r.evaluation.batch.computed}, found stored ${r.evaluation.batch.reused}`,
        "",
        "Paper claims (paired over (image, class) rows, 95% intervals):",
        ...r.claims.map(claimLine)
      ].join("\n")
    )
    .join("\n\n");
}

/** The JSON form: everything but the rows (those go to the images CSV). NaN as null. */
function fullJson(results: readonly FullModelResult[], header: Record<string, unknown>): string {
  const models = results.map((r) => {
    const {rows: _rows, batch, ...evaluation} = r.evaluation;
    return {
      name: r.name,
      split: r.split,
      probability: r.probability,
      ...evaluation,
      batch: {computed: batch.computed, reused: batch.reused, items: batch.items},
      claims: r.claims
    };
  });
  return (
    JSON.stringify({schema: FULL_SCHEMA, ...header, models}, (_key, value) => (typeof value === "number" && !Number.isFinite(value) ? null : value), 1) + "\n"
  );
}

export async function fullBench(args: BenchArgs, models: readonly BenchModelSpec[], settings: BenchSettings, root: string): Promise<void> {
  const store = resolve(root, args.store ?? "results/tmp/full-store");
  const out = resolve(root, args.out);
  const bars = new Map<string, {maps: ProgressBar; metrics: ProgressBar}>();
  const barsOf = (model: string) => {
    if (!bars.has(model)) bars.set(model, {maps: new ProgressBar({label: `${model} maps`}), metrics: new ProgressBar({label: `${model} metrics`})});
    return bars.get(model)!;
  };
  const interrupt = interruptSignal((name) =>
    process.stderr.write(`\n${name}: stopping; finished maps are kept in ${relative(root, store)} (rerun to resume)\n`)
  );
  const started = performance.now();
  const engine = checkedEngineChoice(args.engine);
  let results: FullModelResult[];
  try {
    results = await runFullBench({
      models,
      settings,
      storeDirectory: store,
      workers: settings.workers,
      ...(args.images === undefined ? {} : {limit: args.images}),
      ...(args.backend ? {backend: args.backend} : {}),
      engine,
      signal: interrupt.signal,
      onMapsProgress: (model, p) => barsOf(model).maps.update(p.done, p.total, p.reused, p.failed ? `${p.failed} failed` : ""),
      onMetricsProgress: (model, done, total) => {
        barsOf(model).maps.finish();
        barsOf(model).metrics.update(done, total);
      },
      log: (line) => process.stderr.write(`${line}\n`)
    });
  } finally {
    for (const {maps, metrics} of bars.values()) (maps.finish(), metrics.finish());
    interrupt.release();
  }
  const incomplete = results.find((r) => !r.evaluation.complete);
  if (incomplete || results.length < models.length) {
    process.stderr.write(
      `bench --full: stopped before every map of ${incomplete?.name ?? "the remaining models"} was done; rerun the same command to resume\n`
    );
    process.exitCode = 130;
    return;
  }
  const header = {
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(" ")}`,
    machine: machineInfo(),
    tfjs: tf.version.tfjs,
    engine,
    wallSeconds: (performance.now() - started) / 1000,
    settings
  };
  const report = `# ${header.command} (${header.date}; ${header.machine.cpu}, ${header.machine.cores} cores; engine ${engine})\n\n${fullReport(results)}\n`;
  process.stdout.write(report);
  mkdirSync(out, {recursive: true});
  const summary = results.flatMap((r) =>
    r.evaluation.methods.map((m) => ({
      model: r.name,
      dataset: r.split,
      method: m.method,
      explainedScore: m.explainedScore,
      rows: m.rows,
      localisedRows: m.localisedRows,
      ...Object.fromEntries(
        Object.entries(m.metrics).flatMap(([k, v]) => [
          [k, v],
          [`${k}Ci95`, m.intervals[k as keyof typeof m.intervals]]
        ])
      )
    }))
  );
  const files: [string, string][] = [
    ["bench-full.txt", report],
    ["bench-full.json", fullJson(results, header)],
    ["bench-full-summary.csv", toCsv(EVALUATE_SUMMARY_COLUMNS, summary)],
    [
      "bench-full-images.csv",
      toCsv(
        IMAGE_COLUMNS,
        results.flatMap((r) => r.evaluation.rows as unknown as Record<string, unknown>[])
      )
    ]
  ];
  for (const [name, text] of files) writeFileAtomic(resolve(out, name), text);
  process.stdout.write(`wrote ${files.map(([name]) => relative(root, resolve(out, name))).join(", ")}\n`);
}
