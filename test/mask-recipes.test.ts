/**
 * Mask recipes: a batch described as data rebuilds exactly the masks its source makes, and
 * scoring a recipe gives the scores and per-part weighted sums of the in-thread computation.
 */
import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {masksFromRecipe, scoreMaskRecipe} from "../src/lib/explain/mask-recipes.js";
import {coverageWeights, layeredChannelMaskSource, maskedImages} from "../src/lib/explain/masks.js";
import {riseMaskSource} from "../src/lib/explain/rise-masks.js";
import {seededRandom} from "../src/lib/random.js";
import {residualModel, testImage} from "./helpers/tiny-models.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

async function values(t: tf.Tensor): Promise<number[]> {
  const v = Array.from(await t.data());
  t.dispose();
  return v;
}

describe("mask recipes", () => {
  it("RISE: the recipe's masks are the source's masks, bit for bit, batch after batch", async () => {
    const settings = {grid: 3, keep: 0.5, height: 10, width: 9};
    const made = riseMaskSource(7, settings, 11);
    const described = riseMaskSource(7, settings, 11);
    for (const [start, size] of [
      [0, 3],
      [3, 4]
    ] as const) {
      const recipe = described.recipe!(start, size);
      expect(recipe.kind).toBe("rise");
      expect(await values(masksFromRecipe(recipe))).toEqual(await values(made.make(start, size)));
    }
    expect(() => described.recipe!(0, 1)).toThrow(/drawn in order/);
  });

  it("feature maps: planes gathered here give the masks the source makes, across layer ends", async () => {
    const random = seededRandom(2);
    const shallow = tf.tensor4d(
      Array.from({length: 5 * 5 * 4}, () => random.normal()),
      [1, 5, 5, 4]
    );
    const deep = tf.tensor4d(
      Array.from({length: 2 * 3 * 6}, () => random.normal()),
      [1, 2, 3, 6]
    );
    const layers = [
      {activations: shallow, channels: [3, 1, 0]},
      {activations: deep, channels: [5, 2]}
    ];
    const source = layeredChannelMaskSource(layers, 8, 7);
    for (const [start, size] of [
      [0, 2],
      [2, 3]
    ] as const) {
      const recipe = source.recipe!(start, size);
      expect(recipe.kind === "channels" && recipe.parts.map((p) => p.count)).toEqual(start === 0 ? [2] : [1, 2]);
      expect(await values(masksFromRecipe(recipe))).toEqual(await values(source.make(start, size)));
    }
    // The planes are the activations' channels, read row-major.
    const recipe = source.recipe!(3, 1);
    const plane = recipe.kind === "channels" ? Array.from(recipe.parts[0]!.planes) : [];
    expect(plane).toEqual(Array.from(await deep.data()).filter((_, i) => i % 6 === 5));
    tf.dispose([shallow, deep]);
  });

  it("scoring a recipe: the model's scores on the masked image and each part's coverage-weighted sum", async () => {
    const model = new ExplainableModel(residualModel(12, 3, 4), {name: "tiny", classNames: ["a", "b", "c"]});
    const image = Float32Array.from(testImage(12, 12, 3).rgb);
    const settings = {grid: 2, keep: 0.5, height: 12, width: 12};
    const recipe = riseMaskSource(5, settings, 4).recipe!(0, 5);
    const result = await scoreMaskRecipe(model, {
      pixels: image,
      recipe,
      classIndex: 2,
      score: "softmax",
      weighting: "coverage",
      parts: [
        [0, 2],
        [2, 5]
      ]
    });
    const masks = masksFromRecipe(recipe);
    const pixels = tf.tensor4d(image, [1, 12, 12, 3]);
    const scores = model.scores(maskedImages(pixels, masks), 2, "softmax");
    expect(Array.from(result.scores)).toEqual(await values(scores.clone()));
    const weights = await values(coverageWeights(scores, masks));
    const maskValues = await values(masks);
    expect(result.sums).toHaveLength(2);
    [
      [0, 2],
      [2, 5]
    ].forEach(([from, to], part) => {
      Array.from({length: 144}, (_, p) => {
        let sum = 0;
        for (let k = from!; k < to!; k++) sum += weights[k]! * maskValues[k * 144 + p]!;
        return sum;
      }).forEach((v, p) => expect(result.sums[part]![p]).toBeCloseTo(v, 5));
    });
    const unweighted = await scoreMaskRecipe(model, {pixels: image, recipe, classIndex: 2, score: "softmax", weighting: null, parts: []});
    expect(unweighted.sums).toEqual([]);
    await expect(scoreMaskRecipe(model, {pixels: image.subarray(3), recipe, classIndex: 2, score: "softmax", weighting: null, parts: []})).rejects.toThrow(
      /must be 12x12x3 values/
    );
    await expect(scoreMaskRecipe(model, {pixels: image, recipe, classIndex: 9, score: "softmax", weighting: null, parts: []})).rejects.toThrow(/out of range/);
    tf.dispose([pixels, scores]);
    model.dispose();
  });
});
