/**
 * Node backend selection. Order: tfjs-node-gpu, tfjs-node (native TensorFlow; their install
 * downloads a native library, so they are optional and absent on machines without internet),
 * then wasm (with the project's gradient kernels), then cpu. An explicit choice is honoured or
 * fails with a clear error.
 */
import * as tf from "@tensorflow/tfjs";
import {registerWasmGradientKernels} from "../src/lib/kernels/wasm-gradients.js";

export const NODE_BACKENDS = ["tensorflow", "wasm", "cpu"] as const;
export type NodeBackendName = (typeof NODE_BACKENDS)[number];

/** Optional native packages, best first. Each registers the "tensorflow" backend when imported. */
const NATIVE_PACKAGES = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"] as const;

async function tryNative(): Promise<string | null> {
  for (const name of NATIVE_PACKAGES) {
    try {
      await import(/* @vite-ignore */ name);
      if (tf.findBackend("tensorflow") || tf.findBackendFactory("tensorflow")) return name;
    } catch {
      // Not installed (the usual case here): try the next one.
    }
  }
  return null;
}

async function tryWasm(): Promise<boolean> {
  try {
    await import("@tensorflow/tfjs-backend-wasm");
    registerWasmGradientKernels();
    return await tf.setBackend("wasm");
  } catch {
    return false;
  }
}

export interface BackendChoice {
  backend: string;
  /** Which package provided it, for reports. */
  provider: string;
}

/**
 * Selects and initialises a backend. `requested` may be "auto" (default), or one of
 * NODE_BACKENDS; environment variable SALIENCY_BACKEND is used when `requested` is undefined.
 */
export async function selectNodeBackend(requested?: string): Promise<BackendChoice> {
  const want = requested ?? process.env.SALIENCY_BACKEND ?? "auto";
  if (want !== "auto" && !(NODE_BACKENDS as readonly string[]).includes(want)) {
    throw new Error(`unknown backend "${want}": choose one of auto, ${NODE_BACKENDS.join(", ")}`);
  }
  if (want === "auto" || want === "tensorflow") {
    const native = await tryNative();
    if (native && (await tf.setBackend("tensorflow"))) {
      await tf.ready();
      return {backend: "tensorflow", provider: native};
    }
    if (want === "tensorflow") {
      throw new Error(
        "backend \"tensorflow\" needs @tensorflow/tfjs-node-gpu or @tensorflow/tfjs-node, which are not installed"
      );
    }
  }
  if (want === "auto" || want === "wasm") {
    if (await tryWasm()) {
      await tf.ready();
      return {backend: "wasm", provider: "@tensorflow/tfjs-backend-wasm"};
    }
    if (want === "wasm") throw new Error("backend \"wasm\" could not be initialised");
  }
  if (!(await tf.setBackend("cpu"))) throw new Error("backend \"cpu\" could not be initialised");
  await tf.ready();
  return {backend: "cpu", provider: "@tensorflow/tfjs (cpu)"};
}
