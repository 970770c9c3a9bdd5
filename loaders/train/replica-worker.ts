/**
 * A data-parallel training worker (started by data-parallel.ts): its own backend and copy of the
 * model, which becomes a training replica (replica.ts) once the trainer tells it its rank.
 */
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {transferablesOf} from "../pool/transfer.js";
import {serveModelRequests} from "../pool/worker-host.js";
import {TrainingReplica} from "./replica.js";
import type {ReplicaRequest, ReplicaResult} from "./replica-protocol.js";

let replica: TrainingReplica | null = null;

function replicaOf(): TrainingReplica {
  if (!replica) throw new Error("this worker has not joined a data-parallel trainer yet");
  return replica;
}

function layersModelOf(model: ExplainableModel): tf.LayersModel {
  if (!(model.model instanceof tf.LayersModel)) throw new Error(`model "${model.meta.name}" is a GraphModel: training needs a LayersModel`);
  return model.model;
}

serveModelRequests<ReplicaRequest, ReplicaResult>(
  async (model, request) => {
    switch (request.kind) {
      case "replica-start":
        replica?.dispose();
        replica = null;
        replica = new TrainingReplica(layersModelOf(model), request.setup);
        return null;
      case "replica-step":
        return replicaOf().step(request.step);
      case "replica-state":
        return replicaOf().state();
    }
  },
  (result) => (result !== null && "optimizer" in result ? transferablesOf([...result.weights, ...result.optimizer.moments]) : [])
);
