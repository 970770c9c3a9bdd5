/**
 * The tfjs backend in the browser. Automatic choice: WebGPU when the adapter is a real GPU (a
 * fallback or software adapter such as SwiftShader is slower than the alternatives), otherwise
 * WebGL, then wasm, then cpu. The user can force any of them. The wasm backend is loaded on
 * demand from attached files (see loaders/site/wasm-backend.ts) and gets the project's
 * gradient kernels. Engine code only reads tensors asynchronously, as WebGPU requires.
 */
/// <reference types="@webgpu/types" />
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-webgpu";
import {registerAveragePoolGradient} from "../lib/kernels/avg-pool-gradient.js";
import {registerWasmGradientKernels} from "../lib/kernels/wasm-gradients.js";

export const BACKEND_CHOICES = ["auto", "webgpu", "webgl", "wasm", "cpu"] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export const BACKEND_LABELS: Record<BackendChoice, string> = {
  auto: "automatic",
  webgpu: "WebGPU",
  webgl: "WebGL",
  wasm: "WebAssembly",
  cpu: "plain JavaScript (cpu)"
};

export interface WasmBackendFiles {
  /** URL of the rewritten backend module. */
  module: string;
  /** .wasm file name → URL. */
  binaries: Record<string, string>;
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  description: string;
  software: boolean;
}

export interface BackendStatus {
  requested: BackendChoice;
  /** The backend tfjs runs on now. */
  name: string;
  /** Why this backend: one sentence for the page. */
  reason: string;
  adapter: AdapterSummary | null;
  initMs: number;
}

const WASM_CORE_GLOBAL = "__saliencyTfjsCore";
const SOFTWARE_PATTERN = /swiftshader|llvmpipe|lavapipe|softpipe|software|microsoft basic render|\bwarp\b/i;

type AdapterWithInfo = GPUAdapter & {info?: GPUAdapterInfo & {isFallbackAdapter?: boolean}; isFallbackAdapter?: boolean};

let adapterPromise: Promise<AdapterSummary | null> | null = null;

/** The WebGPU adapter the browser offers (null: none), and whether it is a software one. */
export function webGpuAdapter(): Promise<AdapterSummary | null> {
  adapterPromise ??= (async () => {
    const gpu = (navigator as Navigator & {gpu?: GPU}).gpu;
    if (!gpu) return null;
    let adapter: AdapterWithInfo | null = null;
    try {
      adapter = (await gpu.requestAdapter()) as AdapterWithInfo | null;
    } catch {
      return null;
    }
    if (!adapter) return null;
    const info = adapter.info;
    const vendor = info?.vendor ?? "";
    const architecture = info?.architecture ?? "";
    const description = [info?.description, info?.device].filter(Boolean).join(" ");
    const fallback = Boolean(adapter.isFallbackAdapter ?? info?.isFallbackAdapter);
    return {vendor, architecture, description, software: fallback || SOFTWARE_PATTERN.test(`${vendor} ${architecture} ${description}`)};
  })();
  return adapterPromise;
}

let wasmPromise: Promise<void> | null = null;

/** Loads and registers the wasm backend once (module + binaries from the site's files). */
export function loadWasmBackend(files: WasmBackendFiles): Promise<void> {
  wasmPromise ??= (async () => {
    // The rewritten module takes tfjs-core from this global: @tensorflow/tfjs re-exports all of it.
    (globalThis as Record<string, unknown>)[WASM_CORE_GLOBAL] = tf;
    const module = (await import(/* @vite-ignore */ files.module)) as {setWasmPaths(paths: Record<string, string>): void};
    module.setWasmPaths(files.binaries);
    registerWasmGradientKernels();
  })();
  wasmPromise.catch(() => (wasmPromise = null));
  return wasmPromise;
}

async function trySet(name: string): Promise<boolean> {
  try {
    if (!(await tf.setBackend(name))) return false;
    await tf.ready();
    return tf.getBackend() === name;
  } catch {
    return false;
  }
}

/** Switches tfjs to the requested backend (or the automatic choice) and says what happened. */
export async function useBackend(requested: BackendChoice, wasm: WasmBackendFiles): Promise<BackendStatus> {
  const started = performance.now();
  // tfjs's AvgPool gradient is wrong next to "same" padding on every backend (WebGL included); ours is exact.
  registerAveragePoolGradient();
  const adapter = await webGpuAdapter();
  const done = (name: string, reason: string): BackendStatus => ({requested, name, reason, adapter, initMs: performance.now() - started});
  const wasmReady = async () => {
    try {
      await loadWasmBackend(wasm);
      return trySet("wasm");
    } catch (error) {
      console.warn(`wasm backend unavailable: ${(error as Error).message}`);
      return false;
    }
  };
  if (requested !== "auto") {
    const ok = requested === "wasm" ? await wasmReady() : await trySet(requested);
    if (ok) {
      const note = requested === "webgpu" && adapter?.software ? " (a software adapter: correct but slow)" : "";
      return done(requested, `${BACKEND_LABELS[requested]}, as chosen${note}.`);
    }
    if (await trySet("webgl")) return done("webgl", `${BACKEND_LABELS[requested]} is not available here; using WebGL.`);
    if (await wasmReady()) return done("wasm", `${BACKEND_LABELS[requested]} is not available here; using WebAssembly.`);
    await trySet("cpu");
    return done("cpu", `${BACKEND_LABELS[requested]} is not available here; using plain JavaScript.`);
  }
  if (adapter && !adapter.software && (await trySet("webgpu"))) return done("webgpu", "WebGPU on a hardware GPU.");
  const why = adapter ? "the WebGPU adapter is a software renderer" : "this browser has no WebGPU adapter";
  if (await trySet("webgl")) return done("webgl", `WebGL, because ${why}.`);
  if (await wasmReady()) return done("wasm", `WebAssembly, because ${why} and WebGL failed.`);
  await trySet("cpu");
  return done("cpu", "Plain JavaScript: no accelerated backend could start.");
}
