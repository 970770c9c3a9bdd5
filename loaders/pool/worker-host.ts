/**
 * The worker-thread side of a model worker: selects the backend, rebuilds the model it was
 * given, then answers requests one at a time (the memory request itself, the rest through
 * `handle`), sending typed arrays back by transfer. Each worker entry module (worker.ts,
 * loaders/train/replica-worker.ts) calls serveModelRequests once.
 */
import {parentPort, workerData} from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import type {ExplainableModel} from "../../src/lib/model/adapter.js";
import {selectNodeBackend} from "../backend.js";
import {modelFromPayload} from "./model-transfer.js";
import type {MemoryRequest, WorkerReply, WorkerSetup} from "./protocol.js";

export function serveModelRequests<Request extends {id: number; kind: string}, Result>(
  handle: (model: ExplainableModel, request: Request) => Promise<Result>,
  /** The buffers of a result that may be moved rather than copied (see transfer.ts). */
  buffersOf: (result: Result) => ArrayBuffer[]
): void {
  const port = parentPort;
  if (!port) throw new Error("a model worker runs as a worker thread, started by loaders/pool/workers.ts");
  const send = (reply: WorkerReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);
  void (async () => {
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
    // Requests are handled strictly one after another: the main thread sends one at a time anyway.
    let queue = Promise.resolve();
    port.on("message", (request: Request | MemoryRequest) => {
      queue = queue.then(async () => {
        try {
          if (request.kind === "memory") send({id: request.id, kind: "done", result: tf.memory().numTensors});
          else {
            const result = await handle(model, request as Request);
            send({id: request.id, kind: "done", result}, buffersOf(result));
          }
        } catch (error) {
          send({id: request.id, kind: "error", message: (error as Error)?.message ?? String(error)});
        }
      });
    });
  })();
}
