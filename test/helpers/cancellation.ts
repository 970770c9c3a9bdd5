/** Shared check: a long run cancelled after two batches stops there and frees its tensors. */
import * as tf from "@tensorflow/tfjs";
import {expect} from "vitest";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import type {Method, Progress, RgbImage} from "../../src/lib/explain/types.js";

export async function expectCancelsAfterTwoBatches(
  method: Method,
  model: ExplainableModel,
  image: RgbImage,
  options: Record<string, unknown> & {batchSize: number},
  expectedTotal?: number
): Promise<void> {
  const before = tf.memory().numTensors;
  const controller = new AbortController();
  const seen: number[] = [];
  const run = method.explain(model, image, {
    ...options,
    signal: controller.signal,
    onProgress: (p: Progress) => {
      seen.push(p.done);
      if (expectedTotal !== undefined) expect(p.total).toBe(expectedTotal);
      if (p.done >= 2 * options.batchSize) controller.abort();
    }
  });
  await expect(run).rejects.toThrow(/cancelled/);
  expect(seen).toEqual([options.batchSize, 2 * options.batchSize]);
  expect(tf.memory().numTensors).toBe(before);
}
