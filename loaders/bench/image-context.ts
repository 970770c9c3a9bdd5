/**
 * What every method's Table 1 row needs about one (image, class), computed once, and the row
 * itself: shared by the bench (loaders/bench/run.ts) and `saliency evaluate`, so both give the
 * same figures for the same images by construction.
 */
import type {SaliencyMap} from "../../src/lib/maps/types.js";
import {gaussianBlurImage} from "../../src/lib/metrics/blur.js";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import type {ScoreMode} from "../../src/lib/model/score.js";
import type {RgbImage} from "../../src/lib/explain/types.js";
import {faithfulnessScores, localisationScores, probabilityRows, probabilityScorer, type ProbabilityScorer} from "./image-metrics.js";
import type {ForwardEngine} from "../onnx/engine.js";
import {insertionBlur} from "./settings.js";
import type {BenchSettings, ImageRow} from "./types.js";

/** An image with the name its rows carry. */
export type NamedImage = RgbImage & {file: string};

/** One image to score: the class explained and its ground truth G (null: none for that class). */
export interface MetricInput<I extends NamedImage = NamedImage> {
  image: I;
  classIndex: number;
  truth: Uint8Array | null;
}

export interface ImageContext<I extends NamedImage = NamedImage> {
  image: I;
  pixels: Float32Array;
  classIndex: number;
  /** The model's top class. */
  predicted: number;
  /** Y: the class's probability (softmax, or sigmoid for a multi-label model). */
  probability: number;
  truth: Uint8Array | null;
  /** Insertion's starting canvas: the image blurred. */
  canvas: Float32Array;
  score: ProbabilityScorer;
}

/**
 * Contexts of images of one size: one forward pass over all of them gives each its top class
 * and Y (the class probability).
 */
export async function imageContexts<I extends NamedImage>(
  model: ExplainableModel,
  inputs: readonly MetricInput<I>[],
  settings: BenchSettings,
  /** Where Y, Drop / Increase and the curves' passes run (default: tfjs). */
  forward?: ForwardEngine
): Promise<ImageContext<I>[]> {
  if (inputs.length === 0) return [];
  const {width, height} = inputs[0]!.image;
  if (inputs.some((i) => i.image.width !== width || i.image.height !== height)) throw new Error("imageContexts takes images of one size");
  const batch = new Float32Array(inputs.length * width * height * 3);
  inputs.forEach(({image}, n) => batch.set(image.rgb, n * width * height * 3));
  const values = await probabilityRows(model, batch, inputs.length, width, height, forward);
  const classes = model.numClasses;
  const blur = insertionBlur(settings, width, height);
  return inputs.map(({image, classIndex, truth}, n) => {
    const row = values.subarray(n * classes, (n + 1) * classes);
    let predicted = 0;
    for (let c = 1; c < classes; c++) if (row[c]! > row[predicted]!) predicted = c;
    const pixels = Float32Array.from(image.rgb);
    return {
      image,
      pixels,
      classIndex,
      predicted,
      probability: row[classIndex]!,
      truth,
      canvas: gaussianBlurImage(pixels, width, height, 3, blur.sigma, blur.radius),
      score: probabilityScorer(model, classIndex, width, height, forward)
    };
  });
}

/** What a row needs of an explanation: its map, the score it explained and its passes. */
export interface ExplainedMap {
  map: SaliencyMap;
  score: {mode: ScoreMode};
  passes: {forward: number; backward: number};
}

/** Every Table 1 metric of one explanation of one image. */
export async function imageRow(
  modelName: string,
  methodName: string,
  context: ImageContext,
  explanation: ExplainedMap,
  ms: number,
  settings: BenchSettings,
  tolerance: number
): Promise<ImageRow> {
  const {map} = explanation;
  const localisation = context.truth ? localisationScores(map, context.truth, {tolerance, iouFraction: settings.iouFraction}) : null;
  const faithfulness = await faithfulnessScores(context.pixels, map, context.score, {
    keepFraction: settings.keepFraction,
    curveSteps: settings.curveSteps,
    insertionCanvas: context.canvas
  });
  return {
    model: modelName,
    method: methodName,
    file: context.image.file,
    classIndex: context.classIndex,
    predicted: context.predicted,
    explainedScore: explanation.score.mode,
    ebpg: localisation?.ebpg ?? null,
    bbox: localisation?.bbox ?? null,
    iou: localisation?.iou ?? null,
    pointingHit: localisation?.pointingHit ?? null,
    probability: context.probability,
    ...faithfulness,
    ms,
    forwardPasses: explanation.passes.forward,
    backwardPasses: explanation.passes.backward
  };
}
