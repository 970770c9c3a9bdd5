/**
 * An executor pool worker (pool.ts): its own tfjs backend (wasm by default) and its own copy of
 * the model; answers score / probe / mask-recipe / explain requests.
 */
import {probeBatchOn, scoreBatchOn} from "../../src/lib/explain/executor.js";
import {scoreMaskRecipe} from "../../src/lib/explain/mask-recipes.js";
import {getMethod} from "../../src/lib/methods/registry.js";
import type {Explanation} from "../../src/lib/explain/types.js";
import type {ExecutorRequest, ExecutorResult} from "./protocol.js";
import {transferablesOf} from "./transfer.js";
import {serveModelRequests} from "./worker-host.js";

serveModelRequests<ExecutorRequest, ExecutorResult>(
  async (model, request) => {
    switch (request.kind) {
      case "score":
        return scoreBatchOn(model, request.pixels, request.count, request.classIndex, request.mode);
      case "probe":
        return probeBatchOn(model, request.pixels, request.count, request.request);
      case "score-masks":
        return scoreMaskRecipe(model, request.request);
      case "explain":
        return getMethod(request.method).explain(model, request.image, request.options);
    }
  },
  (result) => {
    if (result instanceof Float32Array) return transferablesOf([result]);
    if ("gradients" in result) return transferablesOf([result.scores, ...result.activations, ...result.gradients]);
    if ("sums" in result) return transferablesOf([result.scores, ...result.sums]);
    return transferablesOf([(result as Explanation).map.data]);
  }
);
