/**
 * The bench's faces section alone (`npm run bench -- --sections faces` runs it and keeps the
 * report as results/bench-faces.txt): model-truth metrics and the sanity check of every method
 * on face crops of the committed photographs (loaders/bench/faces.ts), for every committed model
 * whose card says it takes face crops. Writes bench-faces.json, bench-faces.csv and
 * bench-faces-images.csv into --out (default results/; --quick: results/tmp/).
 *   npx tsx bench/faces.ts [--quick] [--methods a,b] [--backend B] [--out DIR]
 */
import {mkdirSync} from "node:fs";
import {dirname, relative, resolve} from "node:path";
import {fileURLToPath} from "node:url";
import {parseArgs} from "node:util";
import * as tf from "@tensorflow/tfjs";
import {METHODS} from "../src/lib/methods/registry.js";
import {writeFileAtomic} from "../loaders/atomic-write.js";
import {selectNodeBackend} from "../loaders/backend.js";
import {facesFiles, facesReport, facesSettings, runFacesBench} from "../loaders/bench/faces.js";
import {machineInfo} from "../loaders/bench/machine.js";
import {stderrProgress} from "../loaders/bench/progress.js";
import {openModel} from "../loaders/model-files.js";
import {CATALOGUE_DIR, listModels, modelInputKind} from "../loaders/models/catalogue.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

async function main(): Promise<void> {
  const {values} = parseArgs({
    args: process.argv.slice(2),
    options: {quick: {type: "boolean"}, methods: {type: "string"}, backend: {type: "string"}, out: {type: "string"}},
    strict: true
  });
  const quick = values.quick === true;
  const methods = values.methods ? values.methods.split(",").map((m) => m.trim()) : Object.keys(METHODS);
  for (const name of methods) if (!METHODS[name]) throw new Error(`unknown method "${name}": choose from ${Object.keys(METHODS).join(", ")}`);
  const models = listModels(CATALOGUE_DIR).filter((entry) => modelInputKind(entry.card, `${entry.name}/card.json`) === "face-crop");
  if (models.length === 0) throw new Error(`no model in ${relative(ROOT, CATALOGUE_DIR)} takes face crops (card "input": "face-crop")`);
  const out = resolve(ROOT, values.out ?? (quick ? "results/tmp" : "results"));
  const backend = await selectNodeBackend(values.backend);
  const log = stderrProgress();
  const machine = machineInfo();
  process.stdout.write(
    `date ${new Date().toISOString()}; ${machine.cpu}, ${machine.cores} cores; ${backend.backend} (${backend.provider}), tfjs ${tf.version.tfjs}${quick ? "; --quick" : ""}\n\n`
  );
  for (const entry of models) {
    const model = await openModel(entry.directory);
    try {
      const result = await runFacesBench(model, facesSettings({quick, methods}), log);
      process.stdout.write(`${facesReport({...result, model: entry.name})}\n`);
      mkdirSync(out, {recursive: true});
      // One model today; a second face model would get its own files.
      const prefix = models.length > 1 ? `-${entry.name}` : "";
      for (const [name, text] of facesFiles({...result, model: entry.name})) {
        const path = resolve(out, name.replace(/^bench-faces/, `bench-faces${prefix}`));
        writeFileAtomic(path, text);
        process.stdout.write(`wrote ${relative(ROOT, path)}\n`);
      }
    } finally {
      model.dispose();
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench faces: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
