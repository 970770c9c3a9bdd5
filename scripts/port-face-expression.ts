/**
 * Ports @vladmandic/face-api's face-expression classifier (FaceExpressionNet on a
 * FaceFeatureExtractor) to a tfjs LayersModel made of standard layers, carrying the package's
 * own weights, and writes data/models/face-expression/ (model.json, weights.bin, card.json).
 *
 *   npx tsx scripts/port-face-expression.ts [--out DIR]
 *
 * The package writes its network as tfjs ops (src/faceFeatureExtractor/FaceFeatureExtractor.ts,
 * denseBlock.ts, src/faceProcessor/FaceProcessor.ts); this script mirrors them layer for layer:
 *
 *   normalised = (RGB - mean(122.782, 117.001, 104.298)) / 255       (inside the package's net;
 *                                                                     here: the card's preprocessing)
 *   denseBlock4(x, dense0, isFirstLayer) … denseBlock4(x, dense3)       each entered at stride 2
 *     out1 = relu(conv0(x))           conv0 = conv2d 3x3 + bias (dense0) or separable 3x3 (others)
 *     out2 = sep(out1)                in3 = relu(out1 + out2)
 *     out3 = sep(in3)                 in4 = relu(out1 + out2 + out3)
 *     out4 = sep(in4)                 out = relu(out1 + out2 + out3 + out4)
 *   avgPool 7x7, stride 2, valid      (7x7 → 1x1)
 *   fc: matMul + bias → 7 logits      (FaceExpressionNet then applies softmax; the port stops at
 *                                      the logits, as every model of this project does)
 *
 * Weights are read exactly as the package reads them (NeuralNetwork.loadFromDisk):
 * tf.io.weightsLoaderFactory over the manifest, which dequantises each uint8 entry as
 * value·scale + min in float32 (tfjs' decodeWeights). The package's Node builds load the
 * project's own @tensorflow/tfjs; the script checks that and stops otherwise.
 */
import * as tf from "@tensorflow/tfjs";
import {createHash} from "node:crypto";
import {mkdirSync, readFileSync} from "node:fs";
import {createRequire} from "node:module";
import {dirname, join, relative, resolve} from "node:path";
import {summariseArchitecture} from "../loaders/models/card.js";
import {saveLayersModelToDir, writeFileAtomic} from "../loaders/models/save.js";

export const FACE_EXPRESSION_CLASSES = ["neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised"];
/** The package's meanRgb (FaceFeatureExtractor.forwardInput), in 0..255 pixel units. */
export const FACE_MEAN_RGB = [122.782, 117.001, 104.298] as const;
export const FACE_INPUT_SIZE = 112;
const BLOCK_CHANNELS = [32, 64, 128, 256];

const require = createRequire(import.meta.url);

export function faceApiRoot(): string {
  try {
    return dirname(require.resolve("@vladmandic/face-api/package.json"));
  } catch {
    throw new Error("@vladmandic/face-api is not installed (run npm install)");
  }
}

/** The package's weight map, loaded through tfjs' own loader as the package does. */
export async function loadPackageWeightMap(root: string): Promise<tf.NamedTensorMap> {
  const modelDir = join(root, "model");
  const manifestPath = join(modelDir, "face_expression_model-weights_manifest.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as tf.io.WeightsManifestConfig;
  const readShards = async (paths: string[]) =>
    paths.map((p) => {
      const bytes = readFileSync(p);
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    });
  return tf.io.weightsLoaderFactory(readShards)(manifest, `${modelDir}/`);
}

function take(map: tf.NamedTensorMap, name: string, shape: number[]): tf.Tensor {
  const t = map[name];
  if (!t) throw new Error(`face-api weight "${name}" is missing from the manifest`);
  if (t.shape.join() !== shape.join()) throw new Error(`face-api weight "${name}" has shape [${t.shape}], expected [${shape}]`);
  return t;
}

/**
 * The LayersModel, with the package's weights set. Layer names follow the package's parameter
 * paths (dense0/conv0 → dense0_conv0) so each port layer can be traced back; every dense block
 * ends in a ReLU named denseK_out, the tensor SISE's block-end rule picks.
 */
export function buildFaceExpressionModel(weights: tf.NamedTensorMap): tf.LayersModel {
  const input = tf.input({shape: [FACE_INPUT_SIZE, FACE_INPUT_SIZE, 3], name: "input"});
  const assignments: [tf.layers.Layer, tf.Tensor[]][] = [];
  let x: tf.SymbolicTensor = input;
  let channelsIn = 3;
  BLOCK_CHANNELS.forEach((channels, block) => {
    const p = `dense${block}`;
    const sep = (conv: number, inChannels: number, strides: number, from: tf.SymbolicTensor) => {
      const layer = tf.layers.separableConv2d({
        name: `${p}_conv${conv}`,
        filters: channels,
        kernelSize: 3,
        strides,
        padding: "same",
        depthMultiplier: 1,
        useBias: true
      });
      assignments.push([
        layer,
        [
          take(weights, `${p}/conv${conv}/depthwise_filter`, [3, 3, inChannels, 1]),
          take(weights, `${p}/conv${conv}/pointwise_filter`, [1, 1, inChannels, channels]),
          take(weights, `${p}/conv${conv}/bias`, [channels])
        ]
      ]);
      return layer.apply(from) as tf.SymbolicTensor;
    };
    let conv0: tf.SymbolicTensor;
    if (block === 0) {
      // denseBlock4(..., isFirstLayer = true): a plain conv2d + bias on the 3-channel input.
      const layer = tf.layers.conv2d({name: `${p}_conv0`, filters: channels, kernelSize: 3, strides: 2, padding: "same", useBias: true});
      assignments.push([layer, [take(weights, `${p}/conv0/filters`, [3, 3, channelsIn, channels]), take(weights, `${p}/conv0/bias`, [channels])]]);
      conv0 = layer.apply(x) as tf.SymbolicTensor;
    } else {
      conv0 = sep(0, channelsIn, 2, x);
    }
    const relu = (name: string, from: tf.SymbolicTensor) => tf.layers.reLU({name}).apply(from) as tf.SymbolicTensor;
    const add = (name: string, from: tf.SymbolicTensor[]) => tf.layers.add({name}).apply(from) as tf.SymbolicTensor;
    const out1 = relu(`${p}_conv0_relu`, conv0);
    const out2 = sep(1, channels, 1, out1);
    const in3 = relu(`${p}_relu1`, add(`${p}_add1`, [out1, out2]));
    const out3 = sep(2, channels, 1, in3);
    const in4 = relu(`${p}_relu2`, add(`${p}_add2`, [out1, out2, out3]));
    const out4 = sep(3, channels, 1, in4);
    x = relu(`${p}_out`, add(`${p}_add3`, [out1, out2, out3, out4]));
    channelsIn = channels;
  });
  const pooled = tf.layers.averagePooling2d({name: "avg_pool", poolSize: 7, strides: 2, padding: "valid"}).apply(x) as tf.SymbolicTensor;
  const flat = tf.layers.flatten({name: "flatten"}).apply(pooled) as tf.SymbolicTensor;
  const fc = tf.layers.dense({name: "fc", units: FACE_EXPRESSION_CLASSES.length, useBias: true});
  assignments.push([fc, [take(weights, "fc/weights", [256, 7]), take(weights, "fc/bias", [7])]]);
  const logits = fc.apply(flat) as tf.SymbolicTensor;
  const model = tf.model({inputs: input, outputs: logits, name: "face_expression"});
  for (const [layer, values] of assignments) layer.setWeights(values);
  const used = new Set(assignments.flatMap(([layer]) => layer.name));
  const expected = Object.keys(weights).map((k) =>
    k
      .split("/")
      .slice(0, 2)
      .join("_")
      .replace(/^fc_.*$/, "fc")
  );
  const unused = expected.filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`face-api weights not used by the port: ${unused.join(", ")}`);
  return model;
}

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf("--out");
  if (args.some((a, i) => a !== "--out" && i !== outIndex + 1)) throw new Error(`usage: npx tsx scripts/port-face-expression.ts [--out DIR]`);
  const repo = resolve(import.meta.dirname, "..");
  const out = resolve(outIndex >= 0 ? (args[outIndex + 1] ?? "") : join(repo, "data", "models", "face-expression"));
  await tf.setBackend("cpu");
  const root = faceApiRoot();
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {version: string; license: string};
  // The package's Node builds (dist/face-api.node*.js) require("@tensorflow/tfjs") rather than
  // bundling it: check that this resolves to the project's copy, so the weight loader and its
  // dequantisation below are the very code the package runs.
  const theirs = require.resolve("@tensorflow/tfjs", {paths: [root]});
  const ours = require.resolve("@tensorflow/tfjs");
  if (theirs !== ours) throw new Error(`face-api resolves @tensorflow/tfjs to ${theirs}, the project to ${ours}`);
  const licence = readFileSync(join(root, "LICENSE"), "utf8");
  const copyright = licence
    .split("\n")
    .find((line) => /^Copyright/i.test(line.trim()))
    ?.trim();
  if (pkg.license !== "MIT" || !copyright) throw new Error(`unexpected licence in ${root}: ${pkg.license}`);

  const weights = await loadPackageWeightMap(root);
  const model = buildFaceExpressionModel(weights);
  Object.values(weights).forEach((t) => t.dispose());
  mkdirSync(out, {recursive: true});
  await saveLayersModelToDir(model, out);
  const files = ["model/face_expression_model-weights_manifest.json", "model/face_expression_model.bin"];
  const card = {
    name: "face-expression",
    description:
      "Facial expression classifier of @vladmandic/face-api (FaceExpressionNet: FaceFeatureExtractor of four dense blocks + fully connected layer), ported to standard tfjs layers with the package's weights",
    architecture: summariseArchitecture(model, "face-api-densenet"),
    inputSize: [FACE_INPUT_SIZE, FACE_INPUT_SIZE, 3],
    // The package normalises inside its network: (RGB - meanRgb) / 255. In this project's card
    // terms (pixels / 255, then minus mean, divided by std) that is mean = meanRgb / 255, std = 1.
    preprocessing: {scale: "0-1", mean: FACE_MEAN_RGB.map((m) => m / 255), std: [1, 1, 1]},
    output: "logits",
    // FaceExpressionNet.forwardInput returns softmax(logits); explain probabilities with --score softmax.
    probabilities: "softmax",
    classes: FACE_EXPRESSION_CLASSES,
    // Takes face crops: the CLI and the site detect faces first and draw maps back onto the photo.
    input: "face-crop",
    inputNote: "a face crop resized to 112x112 RGB (the package pads the crop to a square and resizes it bilinearly); see src/lib/model/face-crop.ts",
    source: {
      package: "@vladmandic/face-api",
      version: pkg.version,
      files: files.map((f) => ({path: f, sha256: sha256(join(root, f))})),
      architecture: [
        "src/faceExpressionNet/FaceExpressionNet.ts",
        "src/faceFeatureExtractor/FaceFeatureExtractor.ts",
        "src/faceFeatureExtractor/denseBlock.ts",
        "src/faceProcessor/FaceProcessor.ts"
      ],
      upstream: "face-api.js 0.22.2 by Vincent Mühler (https://github.com/justadudewhohacks/face-api.js), MIT, which the package forks",
      quantisation: "uint8 per tensor, dequantised as value * scale + min in float32 by tfjs 4.22.0's weight loader, as the package loads them"
    },
    licence: {spdx: "MIT", copyright, file: "node_modules/@vladmandic/face-api/LICENSE", text: licence.trim()},
    provenance: {script: "scripts/port-face-expression.ts", command: "npx tsx scripts/port-face-expression.ts", tfjs: tf.version.tfjs},
    dataset: null,
    pretrained: true
  };
  await writeFileAtomic(join(out, "card.json"), JSON.stringify(card, null, 2) + "\n");
  console.log(`wrote ${relative(process.cwd(), out)}: ${model.layers.length} layers, ${model.countParams()} parameters`);
  model.dispose();
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().catch((error: unknown) => {
    console.error(`port-face-expression: ${(error as Error).message}`);
    process.exit(1);
  });
}
