/** An executor that runs every batch on the model in this thread: the reference the pool is compared with. */
import {scoreMaskRecipe} from "../../src/lib/explain/mask-recipes.js";
import {probeBatchOn, scoreBatchOn} from "../../src/lib/explain/executor.js";
import type {PassExecutor} from "../../src/lib/explain/types.js";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";

export function inProcessExecutor(model: ExplainableModel): PassExecutor {
  return {
    concurrency: 1,
    scoreBatch: (pixels, count, classIndex, mode) => scoreBatchOn(model, pixels, count, classIndex, mode),
    probeBatch: (pixels, count, request) => probeBatchOn(model, pixels, count, request),
    scoreMaskRecipe: (request) => scoreMaskRecipe(model, request)
  };
}
