import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {drawRiseMask, riseMaskSource, type RiseMaskSettings} from "../src/lib/explain/rise-masks.js";
import {seededRandom} from "../src/lib/random.js";
import {referenceRiseMask} from "./helpers/rise-reference.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("RISE masks", () => {
  const settings: RiseMaskSettings = {grid: 3, keep: 0.4, height: 10, width: 13};

  it("match upsample-then-crop of the drawn grid, and do not depend on the batch split", async () => {
    const random = seededRandom(5);
    const draws = Array.from({length: 7}, () => drawRiseMask(random, settings));
    const source = riseMaskSource(7, settings, 5);
    const batches = [source.make(0, 3), source.make(3, 4)];
    const masks = tf.concat(batches);
    const values = await masks.data();
    tf.dispose([masks, ...batches]);
    draws.forEach((draw, i) => {
      expect(draw.shiftY).toBeLessThan(4); // ⌈10/3⌉
      expect(draw.shiftX).toBeLessThan(5); // ⌈13/3⌉
      referenceRiseMask(draw, settings).forEach((v, p) => expect(values[i * 130 + p]).toBeCloseTo(v, 5));
    });
    const whole = riseMaskSource(7, settings, 5).make(0, 7);
    expect([...(await whole.data())]).toEqual([...values]);
    whole.dispose();
    expect(() => riseMaskSource(7, settings, 5).make(2, 1)).toThrow(/drawn in order/);
  });

  it("keep about p of the image on average", async () => {
    const masks = riseMaskSource(400, {grid: 7, keep: 0.5, height: 16, width: 16}, 1).make(0, 400);
    const mean = (await masks.mean().data())[0]!;
    masks.dispose();
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});
