/**
 * An executor pool worker (pool.ts): its own tfjs backend (wasm by default) and its own copy of
 * the model; answers score / probe / mask-recipe / explain requests. Explain requests run their
 * forward-only passes on the worker's own engine (an ONNX Runtime session of its own, opened on
 * the first method that needs it) when the pool was given one.
 */
import {workerData} from "node:worker_threads";
import {probeBatchOn, scoreBatchOn} from "../../src/lib/explain/executor.js";
import {scoreMaskRecipe} from "../../src/lib/explain/mask-recipes.js";
import {getMethod} from "../../src/lib/methods/registry.js";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {RunEngine} from "../onnx/run-engine.js";
import type {ExecutorRequest, ExecutorResult, WorkerSetup} from "./protocol.js";
import {transferablesOf} from "./transfer.js";
import {serveModelRequests} from "./worker-host.js";

const {engine: setup} = (workerData as {data: WorkerSetup}).data;
let engine: RunEngine | null = null;
// The pool decides `auto` in the main thread where it can (one notice, not one per worker).
const engineOf = (model: ExplainableModel) => (engine ??= new RunEngine(model, {engine: setup?.choice ?? "tfjs", threads: setup?.threads ?? 1}));

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
        return engineOf(model).explain(getMethod(request.method), request.image, request.options);
    }
  },
  (result) => {
    if (result instanceof Float32Array) return transferablesOf([result]);
    if ("gradients" in result) return transferablesOf([result.scores, ...result.activations, ...result.gradients]);
    if ("sums" in result) return transferablesOf([result.scores, ...result.sums]);
    return transferablesOf([result.map.data]);
  }
);
