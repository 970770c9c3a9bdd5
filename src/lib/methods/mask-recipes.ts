/**
 * Mask batches as plain data (a "recipe"), so that a pool worker can make the masks, mask the
 * image, score it and take the weighted sums itself: the main thread then only hands out
 * recipes and adds sums, instead of making every batch while the workers wait for it.
 * A recipe rebuilds exactly the masks its source's `make` returns (same ops on the same values),
 * and `scoreMaskRecipe` is the in-thread scoring step, so any executor gives the same bits.
 * Browser-safe: typed arrays and tfjs ops only.
 */
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../model/adapter.js";
import type {ScoreMode} from "../model/score.js";
import {coverageWeights, maskedImages, masksFromMaps, weightedMaskSums} from "./masking.js";
import {riseMasksFromDraws, type RiseMaskDraw, type RiseMaskSettings} from "./rise-masks.js";

export type MaskRecipe =
  /** RISE: the drawn cells and shifts of each mask of the batch. */
  | {kind: "rise"; settings: RiseMaskSettings; draws: RiseMaskDraw[]}
  /** Feature-map masks (Score-CAM, SISE): the batch's low-resolution maps, layer by layer. */
  | {kind: "channels"; height: number; width: number; parts: ChannelPlanes[]};

/** `count` maps of h×w (row-major, one after another) from one layer. */
export interface ChannelPlanes {
  planes: Float32Array;
  count: number;
  h: number;
  w: number;
}

/** Masks [b, H, W, 1] of a recipe, as its source's `make` would return them. */
export function masksFromRecipe(recipe: MaskRecipe): tf.Tensor4D {
  if (recipe.kind === "rise") return riseMasksFromDraws(recipe.draws, recipe.settings);
  return tf.tidy(() => masksFromMaps(recipe.parts.map(({planes, count, h, w}) => tf.tensor4d(planes, [count, h, w, 1])), recipe.height, recipe.width));
}

/** How each mask's score becomes its weight in Σ_k weight_k·m_k (RISE: the score; SISE: score / coverage). */
export type MaskWeighting = "score" | "coverage";

export function maskWeights(weighting: MaskWeighting, scores: tf.Tensor1D, masks: tf.Tensor4D): tf.Tensor1D {
  return weighting === "score" ? scores : coverageWeights(scores, masks);
}

export interface MaskRecipeRequest {
  /** The image [1, H, W, 3] in pixel space (0..255, model input size). */
  pixels: Float32Array;
  recipe: MaskRecipe;
  classIndex: number;
  score: ScoreMode;
  /** Without weighting only the scores come back. */
  weighting: MaskWeighting | null;
  /** Parts [from, to) of the batch that get a weighted sum each (one per stream segment they touch). */
  parts: [number, number][];
}

export interface MaskRecipeResult {
  /** s_k of each mask of the batch. */
  scores: Float32Array;
  /** Σ weight_k·m_k over each requested part, [H·W] row-major. */
  sums: Float32Array[];
}

/** Makes, scores and sums one recipe's masks on `model` in this thread (what a pool worker runs). */
export async function scoreMaskRecipe(model: ExplainableModel, request: MaskRecipeRequest): Promise<MaskRecipeResult> {
  const {inputHeight: height, inputWidth: width} = model;
  if (request.pixels.length !== height * width * 3) {
    throw new Error(`the image for a mask batch must be ${width}x${height}x3 values, got ${request.pixels.length}`);
  }
  const classIndex = model.checkClass(request.classIndex);
  const [scores, ...sums] = tf.tidy(() => {
    const masks = masksFromRecipe(request.recipe);
    const pixels = tf.tensor4d(request.pixels, [1, height, width, 3]);
    const s = model.scores(maskedImages(pixels, masks), classIndex, request.score);
    return request.weighting ? [s, ...weightedMaskSums(masks, maskWeights(request.weighting, s, masks), request.parts)] : [s];
  });
  try {
    const values = await Promise.all([scores!, ...sums].map((t) => t.data()));
    return {scores: Float32Array.from(values[0]!), sums: values.slice(1).map((v) => Float32Array.from(v))};
  } finally {
    tf.dispose([scores!, ...sums]);
  }
}
