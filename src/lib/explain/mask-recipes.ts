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
import {coverageWeights, maskedImages, masksFromMaps, weightedMaskSums} from "./masks.js";
import {riseMasksFromDraws} from "./rise-masks.js";
import type {MaskRecipe, MaskRecipeRequest, MaskRecipeResult, MaskWeighting} from "./types.js";

/** Masks [b, H, W, 1] of a recipe, as its source's `make` would return them. */
export function masksFromRecipe(recipe: MaskRecipe): tf.Tensor4D {
  if (recipe.kind === "rise") return riseMasksFromDraws(recipe.draws, recipe.settings);
  return tf.tidy(() =>
    masksFromMaps(
      recipe.parts.map(({planes, count, h, w}) => tf.tensor4d(planes, [count, h, w, 1])),
      recipe.height,
      recipe.width
    )
  );
}

export function maskWeights(weighting: MaskWeighting, scores: tf.Tensor1D, masks: tf.Tensor4D): tf.Tensor1D {
  return weighting === "score" ? scores : coverageWeights(scores, masks);
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

export type {MaskRecipeRequest, MaskRecipeResult} from "./types.js";
