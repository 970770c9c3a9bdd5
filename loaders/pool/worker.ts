/**
 * A pool worker: its own tfjs backend (wasm by default) and its own copy of the model; answers
 * score / probe / explain / training-shard requests one at a time, sending typed arrays back by
 * transfer.
 */
import {parentPort, workerData} from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {probeBatchOn, scoreBatchOn} from "../../src/lib/explain/executor.js";
import {scoreMaskRecipe} from "../../src/lib/explain/mask-recipes.js";
import {getMethod} from "../../src/lib/methods/registry.js";
import type {Explanation} from "../../src/lib/explain/types.js";
import {selectNodeBackend} from "../backend.js";
import {modelFromPayload} from "./model-transfer.js";
import {TrainingReplica} from "./replica.js";
import type {WorkerReply, WorkerRequest, WorkerResult, WorkerSetup} from "./protocol.js";
import {transferablesOf} from "./transfer.js";

const port = parentPort;
if (!port) throw new Error("loaders/pool/worker.ts runs as a worker thread, started by the worker pool");

function send(reply: WorkerReply, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(reply, transfer);
}

let replica: TrainingReplica | null = null;

function replicaOf(): TrainingReplica {
  if (!replica) throw new Error("this worker is not part of a data-parallel trainer");
  return replica;
}

async function handle(model: ExplainableModel, request: WorkerRequest): Promise<WorkerResult> {
  switch (request.kind) {
    case "memory":
      return tf.memory().numTensors;
    case "replica-start":
      replica?.dispose();
      replica = null;
      replica = new TrainingReplica(layersModelOf(model), request.setup);
      return null;
    case "replica-step":
      return replicaOf().step(request.step);
    case "replica-state":
      return replicaOf().state();
    case "score":
      return scoreBatchOn(model, request.pixels, request.count, request.classIndex, request.mode);
    case "probe":
      return probeBatchOn(model, request.pixels, request.count, request.request);
    case "score-masks":
      return scoreMaskRecipe(model, request.request);
    case "explain":
      return getMethod(request.method).explain(model, request.image, request.options);
  }
}

function layersModelOf(model: ExplainableModel): tf.LayersModel {
  if (!(model.model instanceof tf.LayersModel)) throw new Error(`model "${model.meta.name}" is a GraphModel: training needs a LayersModel`);
  return model.model;
}

function resultBuffers(result: WorkerResult): ArrayBuffer[] {
  if (result === null || typeof result === "number") return [];
  if (result instanceof Float32Array) return transferablesOf([result]);
  if ("optimizer" in result) return transferablesOf([...result.weights, ...result.optimizer.moments]);
  if ("correct" in result) return [];
  if ("gradients" in result) return transferablesOf([result.scores, ...result.activations, ...result.gradients]);
  if ("sums" in result) return transferablesOf([result.scores, ...result.sums]);
  return transferablesOf([(result as Explanation).map.data]);
}

async function main(): Promise<void> {
  const setup = (workerData as {data: WorkerSetup}).data;
  let model: ExplainableModel;
  try {
    const backend = await selectNodeBackend(setup.backend);
    model = await modelFromPayload(setup.model);
    send({kind: "ready", backend: backend.backend, model: model.meta.name});
  } catch (error) {
    send({kind: "failed", message: (error as Error).message});
    return;
  }
  // Requests are handled strictly one after another: the pool sends one at a time anyway.
  let queue = Promise.resolve();
  port!.on("message", (request: WorkerRequest) => {
    queue = queue.then(async () => {
      try {
        const result = await handle(model, request);
        send({id: request.id, kind: "done", result}, resultBuffers(result));
      } catch (error) {
        send({id: request.id, kind: "error", message: (error as Error)?.message ?? String(error)});
      }
    });
  });
}

void main();
