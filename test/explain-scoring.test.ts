import * as tf from "@tensorflow/tfjs";
import {beforeAll, describe, expect, it} from "vitest";
import {ExplainableModel} from "../src/lib/model/adapter.js";
import {type PassExecutor} from "../src/lib/explain/executor.js";
import {maskedImages} from "../src/lib/explain/masks.js";
import {WorkTracker} from "../src/lib/explain/progress.js";
import {maskBatches, scoreMasks, type MaskSource} from "../src/lib/explain/scoring.js";
import {inProcessExecutor} from "./helpers/in-process-executor.js";
import {residualModel, testImage} from "./helpers/tiny-models.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("mask scoring", () => {
  const model = new ExplainableModel(residualModel(16, 3, 2), {name: "tiny", classNames: ["a", "b", "c"]});
  const pixels = tf.tensor4d(Float32Array.from(testImage(16, 16, 4).rgb), [1, 16, 16, 3]);
  const maskValues = Float32Array.from({length: 7 * 256}, (_, i) => ((i * 37) % 101) / 100);
  const source = (): MaskSource => ({count: 7, make: (start, size) => tf.tensor4d(maskValues.subarray(start * 256, (start + size) * 256), [size, 16, 16, 1])});
  const scoring = (executor?: PassExecutor) => ({
    classIndex: 1,
    score: "softmax" as const,
    batchSize: 3,
    work: new WorkTracker(7),
    weighting: "score" as const,
    segments: [2, 0, 5],
    ...(executor ? {executor} : {})
  });

  it("plans batches of the batch size; an odd count of them ends in two halves of the last", () => {
    const sizes = (count: number, batch: number) => maskBatches(count, batch).map((b) => b.size);
    expect(sizes(176, 16)).toEqual([16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 8, 8]);
    expect(sizes(64, 16)).toEqual([16, 16, 16, 16]);
    expect(sizes(37, 16)).toEqual([16, 16, 3, 2]);
    expect(sizes(5, 16)).toEqual([5]);
    expect(sizes(3, 1)).toEqual([1, 1, 1]); // a batch of one cannot split
    const plan = maskBatches(105, 10);
    expect(plan.map((b) => b.start)).toEqual(plan.map((_, i) => plan.slice(0, i).reduce((n, b) => n + b.size, 0))); // contiguous
    expect(plan.reduce((n, b) => n + b.size, 0)).toBe(105);
    expect(plan.length % 2).toBe(0);
  });

  it("masks the image like tf.mul(pixels, masks)", async () => {
    const masks = source().make(0, 7);
    const [fast, plain] = [maskedImages(pixels, masks), tf.mul(pixels, masks)];
    expect([...(await fast.data())]).toEqual([...(await plain.data())]);
    tf.dispose([masks, fast, plain]);
  });

  it("keeps one weighted sum per segment across batch ends (zeros for an empty one), in this thread and through an executor", async () => {
    const before = tf.memory().numTensors;
    const {scores, weightedSums} = await scoreMasks(model, pixels, source(), scoring());
    const expected = [
      [0, 2],
      [2, 2],
      [2, 7]
    ].map(([from, to]) =>
      Array.from({length: 256}, (_, p) => {
        let sum = 0;
        for (let k = from!; k < to!; k++) sum += scores[k]! * maskValues[k * 256 + p]!;
        return sum;
      })
    );
    expect(weightedSums).toHaveLength(3);
    for (const [i, sum] of weightedSums.entries()) (await sum.data()).forEach((v, p) => expect(v).toBeCloseTo(expected[i]![p]!, 5));
    const pooled = await scoreMasks(model, pixels, source(), scoring(inProcessExecutor(model)));
    expect([...pooled.scores]).toEqual([...scores]);
    for (const [i, sum] of pooled.weightedSums.entries()) expect([...(await sum.data())]).toEqual([...(await weightedSums[i]!.data())]);
    tf.dispose([...weightedSums, ...pooled.weightedSums]);
    await expect(scoreMasks(model, pixels, source(), {...scoring(), segments: [3, 3]})).rejects.toThrow(/must be counts adding up to the 7 masks/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
