// One single-thread ONNX Runtime session in a worker thread (loaders/onnx/pool.ts). Plain
// JavaScript: it needs only onnxruntime-node, not the TypeScript loader the tfjs pool boots.
import {createRequire} from "node:module";
import {parentPort} from "node:worker_threads";

const ort = createRequire(import.meta.url)("onnxruntime-node");
let session = null;
let spec = null;

parentPort.on("message", async (message) => {
  try {
    if (message.type === "init") {
      spec = message;
      // ONNX Runtime reads only ArrayBuffer-backed bytes: copy out of the shared buffer.
      session = await ort.InferenceSession.create(new Uint8Array(message.bytes).slice(), {
        executionProviders: ["cpu"],
        graphOptimizationLevel: "all",
        executionMode: "sequential",
        intraOpNumThreads: 1,
        interOpNumThreads: 1
      });
      parentPort.postMessage({type: "ready"});
    } else if (message.type === "run") {
      const input = new ort.Tensor("float32", message.data, [message.n, ...spec.imageShape]);
      const result = await session.run({[spec.inputName]: input}, [spec.outputName]);
      const data = Float32Array.from(result[spec.outputName].data);
      parentPort.postMessage({type: "result", id: message.id, data}, [data.buffer]);
    }
  } catch (error) {
    parentPort.postMessage({type: "error", id: message.id, message: String(error?.message ?? error)});
  }
});
