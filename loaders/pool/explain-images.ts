/**
 * Whole images spread over a worker pool (benchmarks, precomputing the site's maps): each worker
 * explains its images with the method's in-process code; results come back in input order.
 */
import {getMethod} from "../../src/lib/methods/registry.js";
import {AbortedError} from "../../src/lib/explain/progress.js";
import type {CommonOptions, Explanation, RgbImage} from "../../src/lib/explain/types.js";
import {WorkerPool, type PoolModel, type WorkerPoolOptions} from "./pool.js";

export interface ExplainImagesOptions {
  signal?: AbortSignal;
  /** Called as each image finishes (in completion order). */
  onImage?: (done: number, total: number) => void;
}

/** Explains every image on an existing pool, one image per worker at a time, results in input order. */
export async function explainImagesOnPool(
  pool: WorkerPool,
  methodName: string,
  images: readonly RgbImage[],
  options: CommonOptions & Record<string, unknown> = {},
  run: ExplainImagesOptions = {}
): Promise<Explanation[]> {
  getMethod(methodName); // unknown names fail here, before any work is sent
  const results = new Array<Explanation>(images.length);
  let next = 0;
  let done = 0;
  // One runner per worker, each taking the next image: cancellation is seen between images.
  const runner = async () => {
    while (next < images.length) {
      if (run.signal?.aborted) throw new AbortedError();
      const index = next++;
      results[index] = await pool.explainImage(methodName, images[index]!, options);
      run.onImage?.(++done, images.length);
    }
  };
  await Promise.all(Array.from({length: Math.min(pool.size, images.length)}, runner));
  return results;
}

/** Starts a pool for `model`, explains `images` in input order, and closes the pool. */
export async function explainImagesInPool(
  methodName: string,
  model: PoolModel,
  images: readonly RgbImage[],
  options: CommonOptions & Record<string, unknown> = {},
  poolOptions: WorkerPoolOptions & ExplainImagesOptions = {}
): Promise<Explanation[]> {
  getMethod(methodName);
  const pool = await WorkerPool.create(model, poolOptions);
  try {
    return await explainImagesOnPool(pool, methodName, images, options, poolOptions);
  } finally {
    await pool.close();
  }
}
