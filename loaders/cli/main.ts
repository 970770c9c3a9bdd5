/**
 * `saliency` command line:
 *   saliency layers   --model PATH [--json] [--backend B]
 *   saliency explain  --model PATH --image FILE --method NAME [--layer L] [--class N]
 *                     [--score logit|softmax|sigmoid] [--seed S] [--backend B] [--fold-batchnorm] --out FILE.json|FILE.png
 *                     [--face N | --whole-image]  (face-crop models: loaders/cli/face-input.ts)
 *   saliency batch    (loaders/cli/batch.ts), saliency merge, saliency evaluate (loaders/cli/evaluate.ts)
 * Every error is one line on stderr and a non-zero exit; outputs are written whole or not at all.
 */
import {extname} from "node:path";
import {parseArgs} from "node:util";
import * as tf from "@tensorflow/tfjs";
import {overlay} from "../../src/lib/maps/overlay.js";
import {getMethod} from "../../src/lib/methods/registry.js";
import type {Explanation} from "../../src/lib/explain/types.js";
import {selectNodeBackend} from "../backend.js";
import {encodePng, readImageFile} from "../image-io.js";
import {batchNormFoldPlan, foldedExplainableModel} from "../../src/lib/model/fold-batchnorm.js";
import {modelCardOf, openModel} from "../model-files.js";
import {checkedEngineChoice, RunEngine, type EngineExplanation} from "../onnx/run-engine.js";
import {writeFileAtomic} from "../atomic-write.js";
import {EXPLAIN_OPTIONS, methodOptionsFromArgs, methodsHelp, parseNumber} from "./args.js";
import {explainInputOf, faceMetadata, mapOnPhoto} from "./face-input.js";
import {BATCH_USAGE, batchCommand, mergeCommand} from "./batch.js";
import {EVALUATE_USAGE, evaluateCommand} from "./evaluate.js";
import {INTERRUPTED_EXIT, InterruptedError, interruptSignal} from "./interrupt.js";
import {ProgressBar} from "./progress.js";

const USAGE = `usage:
  saliency layers  --model PATH [--json] [--backend auto|webgpu|wasm|cpu|tensorflow]
  saliency explain --model PATH --image FILE --method NAME --out FILE.json|FILE.png
                   [method options, below] [--backend B] [--engine E] [--colormap turbo] [--alpha 0.5]
                   [--fold-batchnorm]  (inference graph: each conv + batch norm (+ ReLU) as one conv;
                                        same maps to rounding, faster on ResNets; layer names kept)
                   [--quiet] (no progress bar)  [--verbose] (WebGPU driver warnings when probing)
                   [--face N | --whole-image]  (models taking face crops: see photos, below)
${BATCH_USAGE.replace(/^usage:\n/, "")}
${EVALUATE_USAGE.replace(/^usage:\n/, "")}
engines: --engine auto|onnx|tfjs (default: SALIENCY_ENGINE, else auto) runs the forward-only
         passes of RISE, Score-CAM, SISE and Ada-SISE (their masked inputs) on ONNX Runtime
         (onnxruntime-node, an optional dependency) or on the tfjs backend; gradient passes always
         run on tfjs. auto: ONNX Runtime when it loads and the model converts, else tfjs with a
         one-line notice; onnx: an error instead. Maps agree within 1e-4 either way; the JSON
         output and batch records say which ran ("engine").
models:  a directory or model.json path (card.json beside it gives classes and preprocessing),
         a committed model's name (face-expression for data/models/face-expression),
         or nsfwjs:mobilenet_v2 | nsfwjs:inception_v3 for the packaged pretrained models
photos:  a model whose card says "input": "face-crop" (face-expression) gets the faces face-api's
         detector finds in --image, listed on stderr; it explains the largest one's square crop
         (--face N: face N of the list) and draws the map back on the whole photo (PNG), or writes
         it in photo pixels with the face's box and crop (JSON). No face: an error (pass
         --whole-image to explain the whole image resized); faces under 48 px get a warning.
         Other models ignore --face and --whole-image.
methods and their options:
${methodsHelp()}`;

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") throw new Error(`--${name} is required\n${USAGE}`);
  return value;
}

export function explanationToJson(result: Explanation): object {
  const {map, ...rest} = result;
  // Typed arrays in intermediates become plain lists (JSON.stringify would write {"0": …}).
  const plain = JSON.parse(JSON.stringify(rest, (_key, value: unknown) => (ArrayBuffer.isView(value) ? Array.from(value as Float32Array) : value)));
  return {...plain, width: map.width, height: map.height, map: Array.from(map.data, (v) => Math.round(v * 1e6) / 1e6)};
}

async function layersCommand(argv: string[]): Promise<void> {
  const {values} = parseArgs({
    args: argv,
    options: {model: {type: "string"}, json: {type: "boolean"}, backend: {type: "string"}, verbose: {type: "boolean"}},
    strict: true
  });
  const modelPath = required(values, "model");
  await selectNodeBackend(values.backend, {verbose: values.verbose === true});
  const model = await openModel(modelPath);
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({model: model.meta.name, input: [model.inputHeight, model.inputWidth, 3], classes: model.meta.classNames, layers: model.layers}, null, 1)}\n`
    );
    return;
  }
  const rows = model.layers.map((l) => [
    String(l.index).padStart(4),
    l.name.padEnd(40),
    l.className.padEnd(24),
    JSON.stringify(l.outputShape).padEnd(18),
    l.camCapable ? "cam" : "   ",
    l.blockEnd ? "block-end" : ""
  ]);
  process.stdout.write(`${model.meta.name}: input ${model.inputHeight}x${model.inputWidth}x3, ${model.numClasses} classes\n`);
  for (const row of rows) process.stdout.write(`${row.join(" ").trimEnd()}\n`);
}

async function explainCommand(argv: string[]): Promise<void> {
  const {values} = parseArgs({args: argv, options: EXPLAIN_OPTIONS, strict: true});
  const modelPath = required(values, "model");
  const imagePath = required(values, "image");
  const method = getMethod(required(values, "method"));
  const out = required(values, "out");
  const format = extname(out).toLowerCase();
  if (format !== ".json" && format !== ".png") throw new Error(`--out must end in .json or .png, got "${out}"`);
  const options = methodOptionsFromArgs(method, values as Record<string, string | boolean | undefined>);
  const alpha = typeof values.alpha === "string" ? parseNumber("alpha", values.alpha, 0, 1) : 0.5;
  const engineChoice = checkedEngineChoice(values.engine as string | undefined);
  const image = await readImageFile(imagePath);
  const backend = await selectNodeBackend(values.backend as string | undefined, {verbose: values.verbose === true});
  // A face-crop model explains one detected face; found before the model is opened, so a photo without one costs nothing.
  const input = await explainInputOf(
    image,
    modelCardOf(modelPath),
    {...(typeof values.face === "string" ? {face: values.face} : {}), wholeImage: values["whole-image"] === true},
    {
      photoName: imagePath,
      modelName: modelPath,
      notice: (line) => {
        if (!values.quiet) process.stderr.write(`${line}\n`);
      },
      warn: (line) => process.stderr.write(`${line}\n`)
    }
  );
  const opened = await openModel(modelPath);
  const fold = values["fold-batchnorm"] === true;
  // How many conv + batch norm chains became one conv (recorded in the JSON output).
  const foldedChains = fold && opened.model instanceof tf.LayersModel ? batchNormFoldPlan(opened.model, {allowUnfolded: true}).chains.length : 0;
  const model = fold ? foldedExplainableModel(opened, {allowUnfolded: true}) : opened;
  if (model !== opened) opened.dispose();
  const bar = new ProgressBar({label: method.name, quiet: values.quiet === true});
  // Ctrl-C cancels between batches of passes; nothing has been written yet, so nothing is left.
  const interrupt = interruptSignal(() => {});
  // Forward-only passes on ONNX Runtime (one session, a thread per core) when the engine says so.
  const engine = new RunEngine(model, {engine: engineChoice});
  let result: EngineExplanation;
  try {
    result = await engine.explain(method, input.image, {
      ...options,
      signal: interrupt.signal,
      onProgress: (p: {done: number; total: number; stage?: string}) => bar.update(p.done, p.total, 0, p.stage ?? "")
    });
  } catch (error) {
    if (interrupt.signal.aborted) throw new InterruptedError(`${method.name} interrupted; no output written`);
    throw error;
  } finally {
    interrupt.release();
    await engine.dispose();
    model.dispose();
  }
  bar.finish();
  // A face's map goes back onto the whole photo.
  const map = mapOnPhoto(result.map, input);
  if (format === ".json") {
    const folding = fold ? {foldedBatchNorms: foldedChains} : {};
    writeFileAtomic(
      out,
      `${JSON.stringify({...explanationToJson({...result, map}), image: imagePath, model: model.meta.name, backendProvider: backend.provider, ...folding, ...faceMetadata(input)})}\n`
    );
  } else {
    const rgba = overlay(image.rgb, 3, image.width, image.height, map, {colormap: (values.colormap ?? "turbo") as "turbo", alpha});
    writeFileAtomic(out, encodePng(image.width, image.height, rgba));
  }
  if (values.quiet) return;
  process.stderr.write(
    `${method.title}: class ${result.classIndex} (${result.className}), ${result.score.mode} ${result.score.value.toFixed(4)}, ` +
      `${result.timings.totalMs.toFixed(0)} ms on ${result.backend}${result.engine === "onnx" ? " (forward passes on ONNX Runtime)" : ""} → ${out}\n`
  );
}

export async function main(argv: string[]): Promise<number> {
  // Production mode: no console banners from tfjs, so stderr carries only our own messages.
  tf.env().set("PROD", true);
  const [command, ...rest] = argv;
  try {
    if (command === "layers") await layersCommand(rest);
    else if (command === "explain") await explainCommand(rest);
    else if (command === "batch") return await batchCommand(rest);
    else if (command === "merge") return mergeCommand(rest);
    else if (command === "evaluate") return await evaluateCommand(rest);
    else if (command === undefined || command === "help" || command === "--help" || command === "-h") {
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 1 : 0;
    } else throw new Error(`unknown command "${command}"\n${USAGE}`);
    return 0;
  } catch (error) {
    process.stderr.write(`saliency: ${(error as Error).message}\n`);
    return error instanceof InterruptedError ? INTERRUPTED_EXIT : 1;
  } finally {
    tf.disposeVariables();
  }
}

process.exitCode = await main(process.argv.slice(2));
