/** SISE's steps 3 and 5: channel masks from activations, and their coverage-normalised weighted sums. */
import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {resizeBilinearArray} from "../src/lib/maps/resize.js";
import {coverageWeights, layeredChannelMaskSource, weightedMaskSums} from "../src/lib/explain/masks.js";
import {seededRandom} from "../src/lib/random.js";
import {channelMasks} from "./helpers/channel-masks.js";
import {minmax} from "./helpers/reference-cases.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("steps 3 and 5: masks and coverage normalisation", () => {
  it("m_k = minmax(Up(A_k)) per channel, in the requested channel order", async () => {
    // A[1, 2, 2, 3]: channel 0 = [1, 2, 3, 4], channel 1 = 5 everywhere, channel 2 = [0, −2, 4, 2].
    const a = tf.tensor4d([1, 5, 0, 2, 5, -2, 3, 5, 4, 4, 5, 2], [1, 2, 2, 3]);
    const same = channelMasks(a, [2, 0], 2, 2);
    expect(same.shape).toEqual([2, 2, 2, 1]);
    const values = Array.from(await same.data());
    [2 / 6, 0, 1, 4 / 6, 0, 1 / 3, 2 / 3, 1].forEach((v, i) => expect(values[i]).toBeCloseTo(v, 5));
    const up = channelMasks(a, [2], 4, 5);
    const expected = minmax(resizeBilinearArray([0, -2, 4, 2], 2, 2, 5, 4));
    const upValues = Array.from(await up.data());
    expected.forEach((v, i) => expect(upValues[i]).toBeCloseTo(v, 5));
    const constant = channelMasks(a, [1], 2, 2);
    expect(Array.from(await constant.data())).toEqual([0, 0, 0, 0]);
    tf.dispose([a, same, up, constant]);
  });

  it("weights s_k / Σ_λ m_k(λ); an empty mask weighs 0; V = minmax(Σ_k weight_k·m_k)", async () => {
    const masks = tf.tensor4d([1, 0, 0, 0, 0, 1, 1, 0.5, 0, 0, 0, 0], [3, 2, 2, 1]);
    const scores = tf.tensor1d([0.8, 0.5, 0.9]);
    const weights = coverageWeights(scores, masks);
    const [sum] = weightedMaskSums(masks, weights, [[0, 3]]);
    const w = Array.from(await weights.data());
    [0.8, 0.2, 0].forEach((v, i) => expect(w[i]).toBeCloseTo(v, 6));
    const s = Array.from(await sum!.data());
    [0.8, 0.2, 0.2, 0.1].forEach((v, i) => expect(s[i]).toBeCloseTo(v, 6));
    tf.dispose([masks, scores, weights, sum!]);
  });

  it("one product gives each part of a batch its own weighted sum", async () => {
    const masks = tf.tensor4d([1, 0, 0, 0, 0, 1, 1, 0.5, 0, 0.25, 0, 1], [3, 2, 2, 1]);
    const weights = tf.tensor1d([2, 3, -1]);
    const [first, rest, all] = weightedMaskSums(masks, weights, [
      [0, 1],
      [1, 3],
      [0, 3]
    ]);
    // by hand: part 0 = 2·m0; part 1 = 3·m1 − m2; part 2 = both.
    expect(Array.from(await first!.data())).toEqual([2, 0, 0, 0]);
    const r = Array.from(await rest!.data());
    [0, 2.75, 3, 0.5].forEach((v, i) => expect(r[i]).toBeCloseTo(v, 6));
    const a = Array.from(await all!.data());
    [2, 2.75, 3, 0.5].forEach((v, i) => expect(a[i]).toBeCloseTo(v, 6));
    tf.dispose([masks, weights, first!, rest!, all!]);
  });

  it("a layered mask source's batches equal each layer's own masks, across layer ends", async () => {
    const random = seededRandom(5);
    const shallow = tf.tensor4d(
      Array.from({length: 4 * 4 * 3}, () => random.next()),
      [1, 4, 4, 3]
    );
    const deep = tf.tensor4d(
      Array.from({length: 2 * 2 * 5}, () => random.next()),
      [1, 2, 2, 5]
    );
    const source = layeredChannelMaskSource(
      [
        {activations: shallow, channels: [2, 0]},
        {activations: deep, channels: [4, 1, 3]}
      ],
      6,
      6
    );
    expect(source.segments).toEqual([2, 3]);
    const batch = source.make(1, 3); // shallow channel 0, deep channels 4 and 1
    const expected = tf.concat([channelMasks(shallow, [0], 6, 6), channelMasks(deep, [4, 1], 6, 6)]);
    const got = Array.from(await batch.data());
    Array.from(await expected.data()).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 6));
    tf.dispose([shallow, deep, batch, expected]);
  });
});
